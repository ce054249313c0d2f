import ArgumentParser
import Foundation
import Logging
import Radio
import Signal

/// `trustband record --device ARGS …`: capture from any SoapySDR device into SigMF.
struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record", abstract: "Capture samples from a SoapySDR device into a SigMF recording.")

    @Option(help: "SoapySDR device args, e.g. driver=rtlsdr or driver=replay,file=x.sigmf-meta.")
    var device: String

    @Option(help: "Centre frequency in Hz.")
    var freq: Double

    @Option(help: "Sample rate in S/s.")
    var rate: Double

    @Option(help: "Gain in dB (AGC is always off).")
    var gain: Double?

    @Option(help: "Analog bandwidth in Hz.")
    var bandwidth: Double?

    @Option(help: "Antenna name.")
    var antenna: String?

    @Option(help: "Number of samples to capture.")
    var samples: Int64

    @Option(help: "Output metadata path (NAME.sigmf-meta).")
    var out: String

    @Flag(help: "Ask the driver for CF32 instead of recording the device's native format losslessly.")
    var cf32 = false

    @Flag(help: "Replace existing output files.")
    var overwrite = false

    func run() throws {
        try reportingErrors {
            guard samples > 0 else { throw UserFacingError(message: "--samples must be positive") }
            let settings = DeviceSettings(frequency: freq, sampleRate: rate, gain: gain, bandwidth: bandwidth,
                                          antenna: antenna, preferNativeFormat: !cf32)
            let result = try Recorder.record(args: device, settings: settings, samples: samples, to: out, overwrite: overwrite,
                                             logger: Logger(label: "trustband.record"))
            let s = result.statistics
            print("wrote \(out): \(result.samplesWritten) samples (\(result.metadata.global.datatype.sigmfName)) from \(result.applied.driver); " +
                  "\(s.overflows) overflows, \(s.droppedSamples) samples dropped, \(s.timeouts) timeouts, \(s.reconnects) reconnects")
        }
    }
}

/// Captures a device's stream into SigMF: the device's own format byte for byte when we can
/// convert it exactly (so a replayed recording is reproduced bit for bit), a new capture
/// segment at every gap, and the device's settings in the metadata.
public enum Recorder {
    public struct Result {
        public var metadata: SigMFMetadata
        public var samplesWritten: Int64
        public var statistics: RadioStatistics
        public var applied: AppliedSettings
    }

    public static func record(args: String, settings: DeviceSettings, samples: Int64, to metaPath: String,
                              overwrite: Bool = false, policy: ReconnectPolicy = ReconnectPolicy(),
                              clock: any PacingClock = SystemPacingClock(), logger: Logger) throws -> Result {
        let source = try SoapyDeviceSource(args: args, settings: settings, policy: policy, clock: clock, logger: logger)
        let writer = try SigMFWriter(metaPath: metaPath, format: source.deviceFormat, overwrite: overwrite)
        let buffer = IQBuffer(capacity: 1 << 14)
        var captures: [SigMFCapture] = []
        while writer.samplesWritten < samples, let info = try source.read(into: buffer) {
            if captures.isEmpty || info.discontinuity {
                captures.append(SigMFCapture(sampleStart: writer.samplesWritten, frequency: info.centerFrequency,
                                             datetime: info.time, globalIndex: info.sampleIndex))
            }
            let take = Int(min(Int64(info.count), samples - writer.samplesWritten))
            let raw = source.lastRawBlock
            try writer.appendRaw(UnsafeRawBufferPointer(rebasing: raw[0..<(take * source.deviceFormat.bytesPerSample)]))
        }
        guard writer.samplesWritten == samples else {
            throw UserFacingError(message: "the device stopped after \(writer.samplesWritten) of \(samples) samples")
        }
        let applied = source.applied
        var global = SigMFGlobal(datatype: source.deviceFormat, sampleRate: applied.sampleRate,
                                 recorder: "trustband record", hardware: "\(applied.driver) (\(applied.hardware))")
        var device = JSONObject()
        device["args"] = .string(args)
        device["driver"] = .string(applied.driver)
        device["hardware"] = .string(applied.hardware)
        device["stream_format"] = .string(applied.streamFormat)
        device["gain_db"] = .number(applied.gain)
        device["agc"] = .bool(applied.automaticGain)
        device["bandwidth_hz"] = .number(applied.bandwidth)
        if let antenna = applied.antenna { device["antenna"] = .string(antenna) }
        let s = source.statistics
        device["overflows"] = .integer(s.overflows)
        device["dropped_samples"] = .integer(s.droppedSamples)
        device["reconnects"] = .integer(s.reconnects)
        global.extra["trustband:device"] = .object(device)
        let metadata = try writer.finish(metadata: SigMFMetadata(global: global, captures: captures))
        return Result(metadata: metadata, samplesWritten: writer.samplesWritten, statistics: s, applied: applied)
    }
}
