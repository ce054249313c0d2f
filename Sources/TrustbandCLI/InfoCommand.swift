import ArgumentParser
import Foundation
import Signal

/// `trustband info RECORDING`: what a recording holds.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info", abstract: "Describe a recording: datatype, rate, centre, duration, captures, annotations.")

    @Argument(help: "A .sigmf-meta, .sigmf-data, .sigmf archive, or raw IQ file.")
    var recording: String

    @OptionGroup var source: RecordingArguments

    @Flag(help: "Print JSON.")
    var json = false

    @Flag(help: "Fail (exit 1) when the recording has a problem: core:sha512 mismatch, captures or annotations past the end.")
    var verify = false

    func run() throws {
        try reportingErrors {
            var options = try source.options()
            options.describeOnly = true
            let recording = try Recording.open(self.recording, options: options)
            // Problems are reported, not fatal, unless --verify asks for a sound recording.
            let problems = try recording.integrityProblems()
            print(json ? try RecordingSummary.json(recording, problems: problems) : RecordingSummary.text(recording, problems: problems),
                  terminator: json ? "" : "\n")
            if verify, let first = problems.first { throw first }
        }
    }
}

/// A recording described for people (text) and programs (JSON).
enum RecordingSummary {
    static func json(_ r: Recording, problems: [SignalError] = []) throws -> String {
        let meta = r.metadata
        var o = JSONObject()
        o["path"] = .string(r.path)
        o["container"] = .string(r.container.rawValue)
        o["data_path"] = .string(r.dataPath)
        o["datatype"] = .string(r.format.sigmfName)
        o["bytes_per_sample"] = .integer(Int64(r.format.bytesPerSample))
        o["sample_rate"] = meta.global.sampleRate.map { .number($0) } ?? .null
        o["center_hz"] = meta.captures.first?.frequency.map { .number($0) } ?? .null
        o["samples"] = .integer(r.sampleCount)
        o["duration_s"] = r.duration.map { .number($0) } ?? .null
        o["start_time"] = meta.captures.first?.datetime.map { .string($0.rfc3339) } ?? .null
        o["sha512"] = meta.global.sha512.map { .string($0) } ?? .null
        o["problems"] = .array(problems.map { .string($0.description) })
        if case .object(let whole) = try meta.jsonValue() {
            o["captures"] = whole["captures"]
            o["annotations"] = whole["annotations"]
        }
        return try JSONWriter.write(.object(o))
    }

    static func text(_ r: Recording, problems: [SignalError] = []) -> String {
        let meta = r.metadata
        var lines: [String] = []
        lines.append("recording:   \(r.path) (\(r.container.rawValue))")
        if r.dataPath != r.path { lines.append("data:        \(r.dataPath)") }
        lines.append("datatype:    \(r.format.sigmfName) (\(r.format.bytesPerSample) bytes/sample)")
        lines.append("sample rate: \(meta.global.sampleRate.map(Formatting.rate) ?? "unknown (pass --rate)")")
        lines.append("centre:      \(meta.captures.first?.frequency.map(Formatting.frequency) ?? "unknown (frequencies are relative)")")
        lines.append("samples:     \(r.sampleCount)" + (r.duration.map { " (\(Formatting.seconds($0)))" } ?? ""))
        if let start = meta.captures.first?.datetime { lines.append("start:       \(start.rfc3339)") }
        if let text = meta.global.description { lines.append("description: \(text)") }
        if let text = meta.global.hardware { lines.append("hardware:    \(text)") }
        lines.append("captures:    \(meta.captures.count)")
        for (n, c) in meta.captures.enumerated() {
            var parts = ["  [\(n)] sample \(c.sampleStart)"]
            if let f = c.frequency { parts.append(Formatting.frequency(f)) }
            if let t = c.datetime { parts.append(t.rfc3339) }
            lines.append(parts.joined(separator: "  "))
        }
        lines.append("annotations: \(meta.annotations.count)")
        for (n, a) in meta.annotations.enumerated() {
            var parts = ["  [\(n)] samples \(a.sampleStart)" + (a.sampleCount.map { "+\($0)" } ?? "")]
            if let rate = meta.global.sampleRate {
                parts.append(String(format: "%.6f–%.6f s", Double(a.sampleStart) / rate,
                                    Double(a.sampleStart + (a.sampleCount ?? 0)) / rate))
            }
            if let low = a.freqLowerEdge, let high = a.freqUpperEdge {
                parts.append("\(Formatting.frequency(low)) … \(Formatting.frequency(high))")
            }
            if let label = a.label { parts.append("'\(label)'") }
            if let comment = a.comment { parts.append(comment) }
            lines.append(parts.joined(separator: "  "))
        }
        if !problems.isEmpty {
            lines.append("problems:    \(problems.count) (detect and audit refuse this recording)")
            for p in problems { lines.append("  \(p.description)") }
        }
        return lines.joined(separator: "\n")
    }
}
