import Foundation
import Signal

/// One averaged power spectrum, in ascending frequency order (bin 0 is −rate/2, bin N/2 is the
/// centre). Values are linear power per bin in full-scale units (FS²), so that summing bins
/// gives band power and a full-scale complex tone sums to 1 (0 dBFS).
///
/// An estimator reuses one instance for every spectrum it makes: copy what you keep.
public final class PowerSpectrum {
    public let binCount: Int
    public let sampleRate: Double
    public let averages: Int
    /// Mean over the averaged segments (the Welch estimate).
    public var mean: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: storage, count: binCount) }
    /// Per-bin maximum, minimum and median over the segments (when statistics are on).
    public var maximum: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: storage + binCount, count: binCount) }
    public var minimum: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: storage + 2 * binCount, count: binCount) }
    public var median: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: storage + 3 * binCount, count: binCount) }
    /// The segments' own periodograms, `averages` rows of `binCount`, oldest first (zeros when
    /// the configuration keeps no rows: `WelchConfiguration.keepsRows`).
    public var segments: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: storage + 4 * binCount, count: averages * binCount) }
    /// Stream index of the first sample of the first segment, and one past the last sample.
    public internal(set) var startSample: Int64 = 0
    public internal(set) var endSample: Int64 = 0
    /// Samples between consecutive segments' starts.
    public let segmentHop: Int
    /// Time of `startSample`, when the source knows it.
    public internal(set) var time: Timestamp?
    /// Centre frequency in Hz when known.
    public internal(set) var centerFrequency: Double?
    /// True for the first spectrum after a gap in the stream.
    public internal(set) var discontinuity = false

    /// The window-weighted complex mean of segment `row`'s samples, in full-scale units, kept
    /// when the estimate takes the DC out (`WelchConfiguration.removeDC`; zero otherwise): what
    /// a receiver's DC offset shows as, and how a step in it is seen.
    /// Under noise of power P per bin its variance is P × the window's noise bandwidth in bins
    /// (1.5 for Hann).
    public func segmentMean(_ row: Int) -> (re: Float, im: Float) {
        precondition(row >= 0 && row < averages, "segment \(row) of \(averages)")
        return (segmentMeanStorage[2 * row], segmentMeanStorage[2 * row + 1])
    }

    /// mean, maximum, minimum, median, then the segment rows: one allocation, reused.
    let storage: UnsafeMutablePointer<Float>
    private var storageCount: Int { (4 + averages) * binCount }
    /// Each segment's complex mean, re and im interleaved.
    let segmentMeanStorage: UnsafeMutablePointer<Float>

    init(binCount: Int, sampleRate: Double, averages: Int, segmentHop: Int) {
        self.binCount = binCount
        self.sampleRate = sampleRate
        self.averages = averages
        self.segmentHop = segmentHop
        storage = .allocate(capacity: (4 + averages) * binCount)
        storage.initialize(repeating: 0, count: (4 + averages) * binCount)
        segmentMeanStorage = .allocate(capacity: 2 * averages)
        segmentMeanStorage.initialize(repeating: 0, count: 2 * averages)
    }

    deinit {
        storage.deallocate()
        segmentMeanStorage.deallocate()
    }

    var meanStorage: UnsafeMutablePointer<Float> { storage }
    var maximumStorage: UnsafeMutablePointer<Float> { storage + binCount }
    var minimumStorage: UnsafeMutablePointer<Float> { storage + 2 * binCount }
    var medianStorage: UnsafeMutablePointer<Float> { storage + 3 * binCount }
    func segmentStorage(_ row: Int) -> UnsafeMutablePointer<Float> { storage + (4 + row) * binCount }

    /// Width of one bin in Hz.
    public var binWidth: Double { sampleRate / Double(binCount) }

    /// Frequency of bin `k` relative to the centre, in Hz.
    public func offset(ofBin k: Int) -> Double { (Double(k) - Double(binCount / 2)) * binWidth }

    /// The bin whose centre is nearest `offset` Hz from the centre (clamped).
    public func bin(atOffset offset: Double) -> Int {
        min(binCount - 1, max(0, Int((offset / binWidth).rounded()) + binCount / 2))
    }

    /// Power spectral density of bin `k` in FS²/Hz (scipy's `scaling='density'`).
    public func density(ofBin k: Int) -> Double { Double(mean[k]) / binWidth }

    /// Total power of bins `range` in FS² (its dBFS is 10·log10 of it).
    public func bandPower(_ range: Range<Int>) -> Double {
        var total = 0.0
        for k in range { total += Double(mean[k]) }
        return total
    }

    /// An empty spectrum of the shape `welch` makes at `sampleRate`, to `copyEstimate(from:)` into.
    public static func like(_ welch: WelchConfiguration, sampleRate: Double) -> PowerSpectrum {
        PowerSpectrum(binCount: welch.fftSize, sampleRate: sampleRate, averages: welch.averages, segmentHop: welch.hop)
    }

    /// Takes `other`'s estimate (its mean) and where and when it lies, without allocating and
    /// without the per-segment rows and statistics: what a reader of `mean` holds back.
    public func copyEstimate(from other: PowerSpectrum) {
        copy(from: other, floats: binCount)
    }

    /// A copy of the current values that the estimator will not overwrite.
    public func snapshot() -> PowerSpectrum {
        let copy = PowerSpectrum(binCount: binCount, sampleRate: sampleRate, averages: averages, segmentHop: segmentHop)
        copy.copy(from: self)
        return copy
    }

    /// Takes every value of `other` (of the same shape) without allocating.
    func copy(from other: PowerSpectrum) {
        copy(from: other, floats: storageCount)
    }

    /// The first `floats` of the storage (the mean first), the segments' means, and the placing.
    private func copy(from other: PowerSpectrum, floats: Int) {
        precondition(other.binCount == binCount && other.averages == averages, "spectra of different shapes")
        storage.update(from: other.storage, count: floats)
        segmentMeanStorage.update(from: other.segmentMeanStorage, count: 2 * averages)
        startSample = other.startSample
        endSample = other.endSample
        time = other.time
        centerFrequency = other.centerFrequency
        discontinuity = other.discontinuity
    }
}

/// 10·log10 with a floor, for printing and thresholds in dB.
@inlinable
public func decibels(_ linear: Double) -> Double { 10 * log10(max(linear, 1e-30)) }
