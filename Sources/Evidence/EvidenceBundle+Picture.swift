import Enforcement
import Foundation
import Signal
import Spectrum

extension EvidenceBundle {
    /// Most waterfall rows: spectra are averaged further on long excerpts to stay under it.
    static let maximumPictureRows = 240

    /// Measures the excerpt as written (so the picture shows exactly the bundled IQ) and draws it.
    static func picture(excerptPath: String, violation: Violation, excerptStart: Int64, grant: Grant, context: Context) throws -> EvidencePicture {
        let excerpt = try Recording.open(excerptPath)
        let rate = excerpt.metadata.global.sampleRate ?? 1
        var welch = WelchConfiguration(fftSize: context.fftSize, window: .hann, overlap: 0.5, averages: 1, statistics: false)
        let segments = max(1, Int(excerpt.sampleCount) / welch.hop)
        welch.averages = max(1, (segments + maximumPictureRows - 1) / maximumPictureRows)
        try welch.validate()
        var rows: [[Float]] = [], times: [Double] = [], firstBin = 0.0, binWidth = rate / Double(welch.fftSize)
        var samples: Int64 = 0
        try OccupancyAnalysis.spectra(of: try RecordingSource(recording: excerpt), welch: welch, samples: &samples) { spectrum in
            rows.append(Array(spectrum.mean))
            times.append(Double(spectrum.startSample) / rate)
            firstBin = (spectrum.centerFrequency ?? 0) + spectrum.offset(ofBin: 0)
            binWidth = spectrum.binWidth
        }
        let when = violation.startTime.map { "\($0.rfc3339) … \(violation.endTime?.rfc3339 ?? "")" }
            ?? String(format: "%.3f … %.3f s into the recording", Double(violation.startSample) / rate, Double(violation.endSample) / rate)
        let limit = violation.limit.isFinite ? String(format: "limit %.2f, %+.1f dB over", violation.limit, violation.marginDB) : "none allowed"
        return EvidencePicture(
            rows: rows, rowTimes: times, firstBinHz: firstBin, binWidthHz: binWidth, offsetDB: context.calibration?.offsetDb ?? 0,
            violationStart: Double(violation.startSample - excerptStart) / rate, violationEnd: Double(violation.endSample - excerptStart) / rate,
            duration: Double(excerpt.sampleCount) / rate, grant: grant,
            title: "\(violation.kind.rawValue) violation (\(violation.rule)) of grant \(grant.id) by \(violation.suspect)",
            subtitle: "\(when); measured \(String(format: "%.2f", violation.measured)) \(violation.unit), \(limit)")
    }
}
