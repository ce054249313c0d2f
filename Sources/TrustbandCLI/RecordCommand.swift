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
        let segment = try SegmentRecorder.record(from: source, args: args, samples: samples, to: metaPath, recorder: "trustband record",
                                                 overwrite: overwrite, buffer: IQBuffer(capacity: 1 << 14))
        guard let segment, segment.samples == samples else {
            // What was captured is kept: a short recording is still evidence of what was on the air.
            throw UserFacingError(message: "the device stopped after \(segment?.samples ?? 0) of \(samples) samples"
                                  + (segment == nil ? "" : "; those are in \(metaPath)"))
        }
        return Result(metadata: segment.metadata, samplesWritten: segment.samples, statistics: source.statistics, applied: source.applied)
    }
}
