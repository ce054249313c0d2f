import ArgumentParser
import Foundation
import Logging
import Radio
import Signal

/// `trustband replay RECORDING`: stream a recording through a source and show what it contains.
struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Stream a recording (through the SoapySDR replay driver, or straight from the file) and print its power over time.")

    @Argument(help: "The recording to replay.")
    var recording: String

    @Flag(help: "Read the file directly instead of through SoapySDR's driver=replay.")
    var direct = false

    @Flag(help: "Pace at the recording's sample rate, as a live radio would.")
    var realtime = false

    @Option(help: "Rows to print (the recording is split into this many intervals).")
    var rows = 20

    @OptionGroup var source: RecordingArguments

    func run() throws {
        try reportingErrors {
            // driver=replay is built in: the system's hardware modules are not needed (and are
            // slow to load), so keep SoapySDR to ours.
            if !direct { SoapyRuntime.useBuiltInDriversOnly() }
            let recording = try source.open(recording)
            print(RecordingSummary.text(recording))
            print("")
            let report = try ReplayReport.run(recording, throughSoapy: !direct, realtime: realtime, rows: max(1, rows))
            print(report)
        }
    }
}

/// Streams a recording and tabulates its power per interval beside its annotations.
public enum ReplayReport {
    public static func run(_ recording: Recording, throughSoapy: Bool, realtime: Bool, rows: Int) throws -> String {
        guard let rate = recording.metadata.global.sampleRate else {
            throw UserFacingError(message: "\(recording.path) does not say its sample rate; pass --rate")
        }
        let interval = max(1, Int64((Double(recording.sampleCount) / Double(rows)).rounded(.up)))
        var table = PowerTable(interval: interval, rate: rate)
        let buffer = IQBuffer(capacity: 1 << 14)
        let clock = SystemPacingClock()
        let started = clock.now()
        var footer: [String] = []
        if throughSoapy {
            let args = try ReplayDevice.args(for: recording, realtime: realtime)
            let device = try SoapyDeviceSource(
                args: args,
                settings: DeviceSettings(frequency: recording.metadata.captures.first?.frequency ?? 0, sampleRate: rate),
                logger: Logger(label: "trustband.replay"))
            while let info = try device.read(into: buffer) { table.add(buffer, at: info.sampleIndex) }
            let s = device.statistics
            footer.append("source:      SoapySDR \(device.applied.driver) (\(device.applied.streamFormat)), \(s.blocks) blocks, \(s.overflows) overflows, \(s.timeouts) timeouts, \(s.reconnects) reconnects")
        } else {
            let file = try RecordingSource(recording: recording, pacing: realtime ? .realTime(clock: clock) : .asFastAsPossible)
            while let info = try file.read(into: buffer) { table.add(buffer, at: info.sampleIndex) }
            footer.append("source:      file (\(recording.format.sigmfName))")
        }
        let seconds = Double(clock.now() - started) / 1e9
        footer.append(String(format: "replayed:    %lld samples in %.3f s (%.1f MS/s)", table.samples, seconds,
                             Double(table.samples) / max(seconds, 1e-9) / 1e6))
        return table.render(annotations: recording.metadata.annotations) + "\n" + footer.joined(separator: "\n")
    }
}

/// Helpers to point `driver=replay` at a recording.
public enum ReplayDevice {
    /// SoapySDR args that make the replay driver serve `recording`.
    public static func args(for recording: Recording, realtime: Bool = false, extra: String = "") throws -> String {
        guard recording.container != .sigmfArchive else {
            throw UserFacingError(message: "the replay driver reads .sigmf-meta/.sigmf-data pairs and raw files; extract the archive or use --direct")
        }
        let format = recording.format
        guard [SampleFormat.cu8, .ci8, .ci16LE, .cf32LE].contains(format) else {
            throw UserFacingError(message: "the replay driver serves cu8, ci8, ci16_le and cf32_le; \(format.sigmfName) needs --direct")
        }
        var parts = ["driver=replay", "file=\(recording.dataPath)", "format=\(format.sigmfName)",
                     "rate=\(recording.metadata.global.sampleRate ?? 0)", "offset=\(recording.dataOffset)"]
        if let centre = recording.metadata.captures.first?.frequency { parts.append("center=\(centre)") }
        if realtime { parts.append("realtime=1") }
        if !extra.isEmpty { parts.append(extra) }
        return parts.joined(separator: ",")
    }
}

/// Mean and peak power per fixed interval of samples.
struct PowerTable {
    let interval: Int64
    let rate: Double
    private(set) var samples: Int64 = 0
    private var sums: [Double] = []
    private var peaks: [Float] = []
    private var counts: [Int64] = []

    init(interval: Int64, rate: Double) {
        self.interval = interval
        self.rate = rate
    }

    mutating func add(_ buffer: IQBuffer, at index: Int64) {
        for (k, sample) in buffer.samples.enumerated() {
            let row = Int((index + Int64(k)) / interval)
            while sums.count <= row {
                sums.append(0)
                peaks.append(0)
                counts.append(0)
            }
            let p = sample.power
            sums[row] += Double(p)
            peaks[row] = max(peaks[row], p)
            counts[row] += 1
        }
        samples += Int64(buffer.count)
    }

    func render(annotations: [SigMFAnnotation]) -> String {
        var lines = ["     start s     end s   mean dBFS   peak dBFS  annotations"]
        for row in sums.indices {
            let start = Int64(row) * interval, end = start + counts[row]
            let labels = annotations.filter { a in
                a.sampleStart < end && a.sampleStart + (a.sampleCount ?? 1) > start
            }.map { $0.label ?? "unlabelled" }
            let span = String(format: "%12.6f %9.6f", Double(start) / rate, Double(end) / rate)
            let mean = Formatting.decibels(sums[row] / Double(max(1, counts[row])))
            lines.append("\(span)      \(mean)      \(Formatting.decibels(Double(peaks[row])))  \(labels.joined(separator: ", "))")
        }
        return lines.joined(separator: "\n")
    }
}
