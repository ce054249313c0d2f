import Foundation
import Testing
import TestSupport
@testable import Signal
@testable import Spectrum

/// `detect` graded against the real recordings' ground truth (rtl_433, URH): a match overlaps
/// a true burst by at least half of the shorter of the two.
@Suite("Detection on real recordings", .enabled(if: RealDataManifest.available))
struct RealDetectionTests {
    struct Grade {
        var truePositives = 0, falsePositives = 0, misses = 0
        /// Matches whose start is within two FFT frames and whose peak is in the true −10 dB band
        /// or within 3 kHz of the true peak.
        var accurate = 0
        var notes: [String] = []
    }

    @Test("Bursts are found with recall ≥ 0.95 and precision ≥ 0.9; starts and peaks are accurate for ≥ 90 % of matches")
    func grade() throws {
        let manifest = try #require(try RealDataManifest.load())
        var grade = Grade()
        let fft = 1024
        for entry in manifest.recordings {
            let recording = try Recording.open(Paths.realData.appendingPathComponent(entry.file).path,
                                               options: RecordingOptions(sampleRate: entry.sampleRateHz))
            let report = try OccupancyAnalysis.run(DetectionConfiguration()) { try RecordingSource(recording: recording) }
            var used = Set<Int>()
            for burst in entry.bursts {
                let match = report.emissions.indices.first { i in
                    let e = report.emissions[i]
                    let overlap = min(e.endSample, burst.endSample) - max(e.startSample, burst.startSample)
                    let shorter = min(e.endSample - e.startSample, burst.endSample - burst.startSample)
                    return !used.contains(i) && overlap * 2 >= shorter
                }
                guard let match else { grade.misses += 1; grade.notes.append("\(entry.file): missed \(burst.startSample)…\(burst.endSample)"); continue }
                used.insert(match)
                grade.truePositives += 1
                let e = report.emissions[match]
                let startOK = abs(e.startSample - burst.startSample) <= Int64(2 * fft)
                let peakOK = (burst.band10DbHz[0]...burst.band10DbHz[1]).contains(e.peakFrequency) || abs(e.peakFrequency - burst.peakOffsetHz) <= 3000
                if startOK && peakOK { grade.accurate += 1 } else {
                    grade.notes.append("\(entry.file): burst \(burst.startSample) found at \(e.startSample), peak \(e.peakFrequency) Hz (true \(burst.peakOffsetHz))")
                }
            }
            grade.falsePositives += report.emissions.count - used.count
        }
        let recall = Double(grade.truePositives) / Double(grade.truePositives + grade.misses)
        let precision = Double(grade.truePositives) / Double(grade.truePositives + grade.falsePositives)
        #expect(recall >= 0.95, "recall \(recall): \(grade.notes)")
        #expect(precision >= 0.9, "precision \(precision): \(grade.notes)")
        #expect(Double(grade.accurate) >= 0.9 * Double(grade.truePositives), "\(grade.accurate) of \(grade.truePositives) accurate: \(grade.notes)")
    }
}
