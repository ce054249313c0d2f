import Agent
import ArgumentParser
import Foundation
import Signal
import Spectrum

/// `trustband detect RECORDING`: the occupancy report.
struct DetectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detect",
        abstract: "Find every emission in a recording (time, band, peak, power, SNR) against a noise floor, at a chosen false-alarm probability.")

    @Argument(help: "The recording to analyse.")
    var recording: String

    @OptionGroup var source: RecordingArguments

    @Option(help: "FFT size.")
    var fft = 1024

    @Option(help: "Window: hann, blackmanharris, flattop, rectangular.")
    var window = "hann"

    @Option(help: "Segment overlap, 0 ≤ overlap < 1.")
    var overlap = 0.5

    @Option(help: "Segments averaged per spectrum.")
    var averages = 4

    @Option(help: "Probability of any false detection in the whole recording.")
    var pfa = 1e-3

    @Option(help: "Spectra an emission may go unseen and still continue (gaps within a packet).")
    var hang = SegmentationConfiguration().hangSpectra

    @Option(help: "Spectra averaged by the long-integration test, which finds weak emissions that last (0: off).")
    var integration = SegmentationConfiguration().integrationSpectra

    @Option(help: "Threads computing spectra (default: one per core, at most 4; the result is the same bit for bit).")
    var threads = AgentConfiguration.defaultThreads

    @Flag(help: "Only the first stage: emissions as the spectra place them (no packets, no per-packet spectrum).")
    var noRefine = false

    @Option(help: "Packets of one band this close (seconds) are one transmission.")
    var transmissionGap = 0.1

    @Option(help: "Calibration table (JSON) to report dBm; needs --gain.")
    var calibration: String?

    @Option(help: "Receiver gain in dB the recording was made at (for --calibration).")
    var gain: Double?

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        try reportingErrors {
            let recording = try source.open(recording)
            try recording.checkIntegrity()
            var welch = WelchConfiguration(fftSize: fft, window: try WindowKind(parsing: window), overlap: overlap, averages: averages,
                                           statistics: false)
            welch.threads = threads
            guard transmissionGap.isFinite, transmissionGap >= 0 else {
                throw UserFacingError(message: "--transmission-gap: \(transmissionGap) must be a number of seconds ≥ 0")
            }
            guard integration >= 0 else { throw UserFacingError(message: "--integration: \(integration) must be a number of spectra ≥ 0") }
            let refinement = RefinementConfiguration(enabled: !noRefine, rule: PacketRule(transmissionGapSeconds: transmissionGap))
            let configuration = DetectionConfiguration(welch: welch, pfa: pfa,
                                                       segmentation: SegmentationConfiguration(hangSpectra: max(0, hang), integrationSpectra: integration),
                                                       refinement: refinement)
            let applied = try CalibrationLoader.load(path: calibration, gain: gain, for: recording)
            let progress = TerminalProgress(enabled: !json)
            var pass = 0
            let report = try OccupancyAnalysis.run(configuration, calibration: applied) {
                pass += 1
                return ProgressRecordingSource(try RecordingSource(recording: recording), progress: progress, pass: pass)
            }
            progress.finish()
            if json {
                print(try JSONWriter.write(report.jsonValue(recording: recording.path)))
            } else {
                print(OccupancyText.render(report, recording: recording))
            }
        }
    }
}

/// The occupancy report for people.
enum OccupancyText {
    static func render(_ report: OccupancyReport, recording: Recording) -> String {
        let unit = report.calibration == nil ? "dBFS" : "dBm"
        let offset = report.calibration?.offsetDb ?? 0
        var lines = [
            "recording:   \(recording.path)",
            "rate:        \(Formatting.rate(report.sampleRate)), \(report.samples) samples",
            String(format: "noise floor: %.1f %@/Hz (%.1f dBFS per %.0f Hz bin)", report.floorDBFSPerHz + offset, unit,
                   report.floorDBFSPerBin, report.sampleRate / Double(report.configuration.welch.fftSize)),
            String(format: "detection:   %d-point %@, %.0f%% overlap, %d averages; pfa %g over %.0f cells → threshold %.1f dB above the floor",
                   report.configuration.welch.fftSize, report.configuration.welch.window.rawValue, report.configuration.welch.overlap * 100,
                   report.configuration.welch.averages, report.configuration.pfa, report.threshold.cells, decibels(report.threshold.factor)),
        ]
        if let calibration = report.calibration { lines.append(String(format: "calibration: %@ (%+.1f dB)", calibration.id, calibration.offsetDb)) }
        lines.append("")
        lines.append("emissions: \(report.emissions.count)")
        lines.append("    start s      end s   low              high             peak              power \(unit)   SNR dB  pulses  tx")
        for e in report.emissions {
            lines.append(String(format: "%10.6f %10.6f   %@ %@ %@ %9.1f %8.1f %7d  %@",
                                Double(e.startSample) / report.sampleRate, Double(e.endSample) / report.sampleRate,
                                pad(Formatting.frequency(e.frequencyLow)), pad(Formatting.frequency(e.frequencyHigh)),
                                pad(Formatting.frequency(e.peakFrequency)), e.powerDBFS + offset, e.snrDB, e.pulses,
                                (e.transmission.map { "\($0)" } ?? "-") as NSString))
        }
        if !report.persistent.isEmpty {
            lines.append("")
            lines.append("persistent signals (present nearly all the time): \(report.persistent.count)")
            for p in report.persistent {
                lines.append(String(format: "   %@ … %@ peak %@ %9.1f %@ %8.1f dB SNR", pad(Formatting.frequency(p.frequencyLow)),
                                    pad(Formatting.frequency(p.frequencyHigh)), pad(Formatting.frequency(p.peakFrequency)),
                                    p.powerDBFS + offset, unit, p.snrDB))
            }
        }
        return lines.joined(separator: "\n")
    }

    private static func pad(_ s: String) -> NSString { s.padding(toLength: 16, withPad: " ", startingAt: 0) as NSString }
}
