import Foundation

/// One true burst of a recording, from an independent decoder (rtl_433, URH) or a synthetic
/// scene's own truth. Frequencies relative to the capture's centre.
public struct TruthBurst: Sendable, Equatable, Codable {
    public var startSample: Int64
    public var endSample: Int64
    public var peakOffsetHz: Double
    /// The burst's band 10 dB below its peak, [low, high], relative to the centre.
    public var band10DbHz: [Double]
    public var snrDb: Double?

    enum CodingKeys: String, CodingKey {
        case startSample = "start_sample", endSample = "end_sample", peakOffsetHz = "peak_offset_hz"
        case band10DbHz = "band_10db_hz", snrDb = "snr_db"
    }

    public init(startSample: Int64, endSample: Int64, peakOffsetHz: Double, band10DbHz: [Double], snrDb: Double? = nil) {
        self.startSample = startSample
        self.endSample = endSample
        self.peakOffsetHz = peakOffsetHz
        self.band10DbHz = band10DbHz
        self.snrDb = snrDb
    }

    public var duration: Int64 { endSample - startSample }
}

/// How one file's detections compare with its truth, burst by burst (the grading of issue 18).
///
/// - a true burst is **recalled** when some detection overlaps it;
/// - a detection is **precise** when at least half of it lies inside true bursts;
/// - the detection that **covers** a burst is the one that overlaps it most; its start minus
///   the burst's start is the start error, and its peak is right when it lies inside the
///   burst's −10 dB band widened by `peakToleranceHz`;
/// - a burst shorter than `shortBurstSamples` counts also as a short burst.
public struct DetectionScore: Sendable, Equatable {
    public var bursts = 0
    public var recalled = 0
    public var detections = 0
    public var precise = 0
    public var shortBursts = 0
    public var shortRecalled = 0
    public var peaksInBand = 0
    /// Start error (detection − truth) in samples of each recalled burst.
    public var startErrors: [Int64] = []
    /// Files whose count of detections is within ±10 % of their count of bursts, of all files.
    public var filesCountRight = 0
    public var files = 0

    public init() {}

    public static let peakToleranceHz = 3000.0
    public static let shortBurstSamples: Int64 = 1024

    /// Scores one file. `detections` are `(start, end, peak offset from the centre in Hz)`.
    public static func file(truth: [TruthBurst], detections: [(start: Int64, end: Int64, peakHz: Double)]) -> DetectionScore {
        var score = DetectionScore()
        score.files = 1
        score.bursts = truth.count
        score.detections = detections.count
        let ratio = truth.isEmpty ? (detections.isEmpty ? 1 : .infinity) : Double(detections.count) / Double(truth.count)
        score.filesCountRight = abs(ratio - 1) <= 0.1 + 1e-9 ? 1 : 0
        func overlap(_ a: Int64, _ b: Int64, _ c: Int64, _ d: Int64) -> Int64 { max(0, min(b, d) - max(a, c)) }
        for burst in truth {
            let short = burst.duration < shortBurstSamples
            if short { score.shortBursts += 1 }
            let covering = detections.indices.max { i, j in
                overlap(detections[i].start, detections[i].end, burst.startSample, burst.endSample)
                    < overlap(detections[j].start, detections[j].end, burst.startSample, burst.endSample)
            }
            guard let c = covering, overlap(detections[c].start, detections[c].end, burst.startSample, burst.endSample) > 0 else { continue }
            score.recalled += 1
            if short { score.shortRecalled += 1 }
            score.startErrors.append(detections[c].start - burst.startSample)
            let low = (burst.band10DbHz.first ?? burst.peakOffsetHz) - peakToleranceHz
            let high = (burst.band10DbHz.last ?? burst.peakOffsetHz) + peakToleranceHz
            if (low...high).contains(detections[c].peakHz) { score.peaksInBand += 1 }
        }
        for d in detections {
            let inside = truth.reduce(Int64(0)) { $0 + overlap(d.start, d.end, $1.startSample, $1.endSample) }
            if inside * 2 >= d.end - d.start { score.precise += 1 }
        }
        return score
    }

    /// The sum of two scores (of different files).
    public static func + (a: DetectionScore, b: DetectionScore) -> DetectionScore {
        var s = a
        s.bursts += b.bursts
        s.recalled += b.recalled
        s.detections += b.detections
        s.precise += b.precise
        s.shortBursts += b.shortBursts
        s.shortRecalled += b.shortRecalled
        s.peaksInBand += b.peaksInBand
        s.startErrors += b.startErrors
        s.filesCountRight += b.filesCountRight
        s.files += b.files
        return s
    }

    public var recall: Double { ratio(recalled, bursts) }
    public var precision: Double { ratio(precise, detections) }
    public var shortRecall: Double { ratio(shortRecalled, shortBursts) }
    public var peakInBandShare: Double { ratio(peaksInBand, recalled) }
    public var countRightShare: Double { ratio(filesCountRight, files) }

    /// Median and 90th percentile of |start error| in samples (nil without recalled bursts).
    public var medianStartError: Int64? { quantile(startErrors.map { $0 }, 0.5) }
    public var p90AbsoluteStartError: Int64? { quantile(startErrors.map { abs($0) }, 0.9) }
    /// Shares of recalled bursts whose start error is within `frames` FFT frames.
    public func startWithin(frames: Int, fftSize: Int) -> Double {
        ratio(startErrors.filter { abs($0) <= Int64(frames * fftSize) }.count, startErrors.count)
    }

    private func ratio(_ a: Int, _ b: Int) -> Double { b == 0 ? 1 : Double(a) / Double(b) }

    private func quantile(_ values: [Int64], _ q: Double) -> Int64? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((q * Double(sorted.count - 1)).rounded()))]
    }
}
