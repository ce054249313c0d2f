import Foundation
import Signal
import Spectrum

/// The result of an audit: every violation, and how it was measured.
public struct AuditReport: Sendable {
    public var violations: [Violation]
    public var floorDBFSPerHz: Double
    public var calibration: AppliedCalibration?
    public var samples: Int64
    public var sampleRate: Double
    /// FFT size of the spectra measured, and the noise floor per bin of them (dBFS).
    public var fftSize: Int
    public var floorDBFSPerBin: Double
}

/// Audits a stream against grants in two passes (the background first, as `detect` learns it).
public enum Audit {
    public static func run<S: IQSource>(grants: [Grant], detection: DetectionConfiguration = DetectionConfiguration(),
                                        configuration: AuditConfiguration = AuditConfiguration(),
                                        calibration: AppliedCalibration? = nil, epoch: Timestamp? = nil,
                                        source makeSource: () throws -> S) throws -> AuditReport {
        let learned = try OccupancyAnalysis.learn(detection, source: try makeSource())
        let meter = GrantMeter(grants: grants, background: learned.background, threshold: learned.threshold,
                               offsetDB: calibration?.offsetDb ?? 0)
        let auditor = Auditor(meter: meter, configuration: configuration, epoch: epoch)
        var violations: [Violation] = []
        var samples: Int64 = 0
        var timed = epoch != nil
        try OccupancyAnalysis.spectra(of: try makeSource(), welch: learned.welch, samples: &samples) { spectrum in
            if spectrum.time != nil { timed = true }
            violations += auditor.add(spectrum)
        }
        violations += auditor.finish(timed: timed)
        violations.sort { ($0.startSample, $0.grantID, $0.rule) < ($1.startSample, $1.grantID, $1.rule) }
        let binWidth = learned.sampleRate / Double(learned.welch.fftSize)
        return AuditReport(violations: violations, floorDBFSPerHz: decibels(learned.background.floor / binWidth),
                           calibration: calibration, samples: samples, sampleRate: learned.sampleRate,
                           fftSize: learned.welch.fftSize, floorDBFSPerBin: decibels(learned.background.floor))
    }
}
