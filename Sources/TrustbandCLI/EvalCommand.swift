import ArgumentParser
import Foundation
import Signal
import Spectrum

/// `trustband eval`: grade detect against recordings with known truth.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Grade detection against truth: real recordings with a manifest, or the synthetic catalogue.",
        subcommands: [EvalDetectCommand.self, EvalSynthCommand.self])
}

/// `trustband eval detect MANIFEST.json`: detect on every recording, graded burst by burst.
struct EvalDetectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detect",
        abstract: "Run detect (default settings) on every recording of a truth manifest and print recall, precision, counts, start error, peak and short-burst recall.")

    @Argument(help: "A manifest in the format of shared/data/real/manifest.json.")
    var manifest: String

    @Option(help: "FFT size.")
    var fft = 1024

    @Flag(help: "Only the first stage (emissions as the spectra place them), for comparison.")
    var noRefine = false

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        try reportingErrors {
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: manifest)) } catch {
                throw UserFacingError(message: "\(manifest): cannot read: \(error.localizedDescription)")
            }
            let truth = try TruthManifest.decode(json: data, path: manifest)
            let folder = URL(fileURLWithPath: manifest).deletingLastPathComponent()
            var configuration = DetectionConfiguration()
            configuration.welch.fftSize = fft
            configuration.refinement.enabled = !noRefine
            var rows: [(String, DetectionScore)] = []
            for entry in truth.recordings {
                let path = entry.file.hasPrefix("/") ? entry.file : folder.appendingPathComponent(entry.file).path
                let options = RecordingOptions(format: try entry.datatype.map { try SampleFormat(parsing: $0) }, sampleRate: entry.sampleRateHz)
                let recording = try Recording.open(path, options: options)
                let report = try OccupancyAnalysis.run(configuration) { try RecordingSource(recording: recording) }
                rows.append((entry.file, DetectionEvaluation.score(report, truth: entry.bursts)))
            }
            let text = DetectionEvaluation.render(rows, fftSize: fft)
            print(json ? try JSONWriter.write(DetectionEvaluation.json(rows, fftSize: fft)) : text)
        }
    }
}

/// `trustband eval synth --out DIR`: the synthetic catalogue as recordings with a manifest.
struct EvalSynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Write the synthetic scenes (OOK, FSK, short bursts, a long carrier, a train of 20 OOK packets at SNR 3-30 dB) as SigMF recordings with manifest.json.")

    @Option(help: "Folder to write into (created).")
    var out: String

    @Option(help: "Seed of the scenes.")
    var seed: UInt64 = 1

    @Option(help: "In-band SNRs in dB, comma-separated.")
    var snrs = "3,10,20,30"

    func run() throws {
        try reportingErrors {
            let snrList = try snrs.split(separator: ",").map { text -> Double in
                guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite else {
                    throw UserFacingError(message: "--snrs: '\(text)' is not a number of dB")
                }
                return value
            }
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            var entries: [TruthManifest.Entry] = []
            for item in SyntheticCatalogue.cases(snrs: snrList, seed: seed) {
                let meta = (out as NSString).appendingPathComponent("\(item.name).sigmf-meta")
                try item.scene.write(to: meta, format: .cf32LE, overwrite: true)
                entries.append(TruthManifest.Entry(file: "\(item.name).sigmf-meta", sampleRateHz: item.scene.sampleRate,
                                                   nSamples: item.scene.sampleCount, device: item.name, bursts: item.truth))
            }
            let manifest = TruthManifest(about: "trustband eval synth --seed \(seed) --snrs \(snrs)", recordings: entries)
            try manifest.encoded().write(to: URL(fileURLWithPath: (out as NSString).appendingPathComponent("manifest.json")))
            print("\(entries.count) recordings and manifest.json in \(out)")
        }
    }
}

/// Scoring and printing shared by `eval detect` and the tests.
public enum DetectionEvaluation {
    /// Scores a report against a file's truth (frequencies compared relative to the centre).
    public static func score(_ report: OccupancyReport, truth: [TruthBurst]) -> DetectionScore {
        let centre = report.centerFrequency ?? 0
        return DetectionScore.file(truth: truth, detections: report.emissions.map { ($0.startSample, $0.endSample, $0.peakFrequency - centre) })
    }

    static func render(_ rows: [(String, DetectionScore)], fftSize: Int) -> String {
        var lines = ["file                              bursts  found  recalled  precise  median start err"]
        for (file, s) in rows {
            lines.append(String(format: "%@ %7d %6d %9d %8d  %@", file.padding(toLength: 32, withPad: " ", startingAt: 0) as NSString, s.bursts, s.detections, s.recalled, s.precise,
                                s.medianStartError.map { "\($0)" } ?? "-"))
        }
        let total = rows.reduce(DetectionScore()) { $0 + $1.1 }
        func share(_ x: Double) -> String { String(format: "%.3f", x) }
        lines += ["", "measure                                   measured    goal"]
        lines.append("recall                                    \(share(total.recall))       ≥ 0.98")
        lines.append("precision                                 \(share(total.precision))       ≥ 0.97")
        lines.append("files with detections = bursts ±10 %      \(share(total.countRightShare))       ≥ 0.90")
        let median = total.medianStartError.map { String(format: "%+.2f frames (%d samples)", Double($0) / Double(fftSize), $0) } ?? "-"
        lines.append("median start error                        \(median)    within ±2 frames")
        lines.append("starts within ±5 frames                   \(share(total.startWithin(frames: 5, fftSize: fftSize)))       ≥ 0.90")
        lines.append("peak inside the true −10 dB band (±3 kHz) \(share(total.peakInBandShare))       ≥ 0.95")
        lines.append("short bursts (< \(DetectionScore.shortBurstSamples) samples) recall        \(total.shortBursts == 0 ? "-    " : share(total.shortRecall))       ≥ 0.95")
        lines.append("(\(total.files) files, \(total.bursts) bursts, \(total.detections) detections, \(total.shortBursts) short bursts)")
        return lines.joined(separator: "\n")
    }

    static func json(_ rows: [(String, DetectionScore)], fftSize: Int) -> JSONValue {
        let total = rows.reduce(DetectionScore()) { $0 + $1.1 }
        var o = JSONObject()
        o["files"] = .array(rows.map { file, s in
            .object(JSONObject([("file", .string(file)), ("bursts", .integer(Int64(s.bursts))), ("detections", .integer(Int64(s.detections))),
                                ("recalled", .integer(Int64(s.recalled))), ("precise", .integer(Int64(s.precise))),
                                ("start_errors", .array(s.startErrors.map { .integer($0) }))]))
        })
        o["recall"] = .number(total.recall)
        o["precision"] = .number(total.precision)
        o["count_right_share"] = .number(total.countRightShare)
        o["median_start_error_samples"] = total.medianStartError.map { .integer($0) } ?? .null
        o["starts_within_5_frames"] = .number(total.startWithin(frames: 5, fftSize: fftSize))
        o["peak_in_band_share"] = .number(total.peakInBandShare)
        o["short_recall"] = .number(total.shortRecall)
        o["short_bursts"] = .integer(Int64(total.shortBursts))
        return .object(o)
    }
}
