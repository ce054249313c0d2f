import Foundation

/// What a band looks like without the signals that come and go: the overall noise floor, and
/// per bin the level that is there nearly all the time (noise, the receiver's DC spike and spurs,
/// carriers that never switch off).
///
/// Fed single-segment periodograms (a Welch estimator with one average), it keeps two sets of
/// per-bin histograms of level in dB (constant memory whatever the recording's length): one of
/// the periodograms averaged `averages` at a time, as detection sees them, and one of the
/// single periodograms. The floor is the pooled lower quartile of the averaged ones; a bin's background
/// is their `backgroundQuantile`-quantile over time. A bin that this makes look persistently
/// occupied is checked against the single periodograms, which see even one quiet segment
/// (a burst that fills most of a short recording is not background). Quantiles become mean
/// noise power through the Gamma(K, 1/K) quantiles of the noise-only statistic.
public final class BackgroundModel {
    public let binCount: Int
    public let averages: Int
    public let effectiveAverages: Double
    /// Quantile over time taken as a bin's background: bins occupied less than (1 − q) of the
    /// time keep the noise floor as their background.
    public let backgroundQuantile: Double
    /// Quantile of single periodograms that decides whether an occupied-looking bin is really
    /// never quiet.
    public let segmentQuantile: Double
    public private(set) var spectra = 0
    public private(set) var segments = 0
    private static let everySegmentUpTo = 4096
    private static let lowestDB = -200.0, cellDB = 0.25, cellCount = 880  // −200…+20 dB
    private var averaged: LevelHistogram
    private var single: LevelHistogram
    /// The averaged spectra summed over ± `bandHalfWidth` bins: what a band does as a whole.
    private var band: LevelHistogram
    private var bandRow: [Float]
    private var sum: [Float]
    private var summed = 0

    public init(binCount: Int, averages: Int, effectiveAverages: Double, backgroundQuantile: Double = 0.2, segmentQuantile: Double = 0.05) {
        self.binCount = binCount
        self.averages = averages
        self.effectiveAverages = effectiveAverages
        self.backgroundQuantile = backgroundQuantile
        self.segmentQuantile = segmentQuantile
        averaged = LevelHistogram(binCount: binCount, lowestDB: Self.lowestDB, cellDB: Self.cellDB, cellCount: Self.cellCount)
        single = LevelHistogram(binCount: binCount, lowestDB: Self.lowestDB, cellDB: Self.cellDB, cellCount: Self.cellCount)
        band = LevelHistogram(binCount: binCount, lowestDB: Self.lowestDB, cellDB: Self.cellDB, cellCount: Self.cellCount)
        bandRow = [Float](repeating: 0, count: binCount)
        sum = [Float](repeating: 0, count: binCount)
    }

    /// Adds one segment's periodogram (the mean of a one-average spectrum).
    public func add(_ periodogram: PowerSpectrum) {
        let row = periodogram.mean
        // Every segment of a short recording counts (one quiet segment may be all there is);
        // past the first few thousand, every fourth is plenty to find quiet stretches.
        if segments < Self.everySegmentUpTo || segments % 4 == 0 { single.add(row) }
        for k in 0..<binCount { sum[k] += row[k] }
        segments += 1
        summed += 1
        guard summed == averages else { return }
        let scale = 1 / Float(averages)
        for k in 0..<binCount { sum[k] *= scale }
        sum.withUnsafeBufferPointer { averaged.add($0) }
        // The band's level: the mean over ± h bins (fewer at the edges), by a running sum; as
        // for single periodograms, every spectrum of a short recording, every fourth past that.
        if spectra < Self.everySegmentUpTo || spectra % 4 == 0 {
            let h = Self.bandHalfWidth, n = binCount
            sum.withUnsafeBufferPointer { row in
                bandRow.withUnsafeMutableBufferPointer { band in
                    var running: Float = 0
                    for k in 0..<min(h, n) { running += row[k] }
                    for k in 0..<n {
                        if k + h < n { running += row[k + h] }
                        if k - h - 1 >= 0 { running -= row[k - h - 1] }
                        band[k] = running / Float(min(n - 1, k + h) - max(0, k - h) + 1)
                    }
                }
            }
            bandRow.withUnsafeBufferPointer { band.add($0) }
        }
        for k in 0..<binCount { sum[k] = 0 }
        summed = 0
        spectra += 1
    }

    /// The result: floor and per-bin background in linear power per bin. A bin counts as
    /// persistently occupied when its background is `persistentFactor` or more above the floor.
    public func background(persistentFactor: Double) -> Background {
        // The floor from the pooled lower quartile: signals occupying a fifth of the
        // time–frequency plane move it by a fraction of a dB.
        let floorQuantile = 0.25
        let medianFactor = DetectionThreshold.noiseQuantile(floorQuantile, effectiveAverages: effectiveAverages)
        let quantileFactor = DetectionThreshold.noiseQuantile(backgroundQuantile, effectiveAverages: effectiveAverages)
        let singleFactor = DetectionThreshold.noiseQuantile(segmentQuantile, effectiveAverages: 1)
        let averaged = self.averaged.counts(), single = self.single.counts(), band = self.band.counts()
        var pooled = [UInt64](repeating: 0, count: Self.cellCount)
        for k in 0..<binCount {
            for c in 0..<Self.cellCount { pooled[c] += UInt64(averaged[k * Self.cellCount + c]) }
        }
        let floor = Self.quantile(pooled[...], floorQuantile) / medianFactor
        let levels = (0..<binCount).map { k -> Double in
            let cells = (k * Self.cellCount)..<((k + 1) * Self.cellCount)
            return Self.quantile(averaged[cells].lazy.map(UInt64.init)[...], backgroundQuantile) / quantileFactor
        }
        let perBin = (0..<binCount).map { k -> Double in
            let cells = (k * Self.cellCount)..<((k + 1) * Self.cellCount)
            let level = max(floor, levels[k])
            guard level > persistentFactor * floor else { return level }
            let quietest = Self.quantile(single[cells].lazy.map(UInt64.init)[...], segmentQuantile) / singleFactor
            if quietest <= persistentFactor * floor { return max(floor, min(level, quietest)) }
            // The single periodograms' low quantile reads the bin as one exponential population.
            // A bin quiet in only a tenth of its segments (a keyed packet repeated over most of a
            // short recording, quiet before, between and after its repeats) is a mixture, whose
            // 5th percentile is a noise segment's middle, read 13 dB too high. So the band around
            // the bin decides too: a keyed emitter goes quiet in all its bins at once, a
            // persistent noise-like carrier's bins fluctuate apart and their sum holds steady,
            // a carrier never drops. The bin is switching, not persistent, when the band's
            // `bandQuantile`-quantile over time is at the floor's level (within `quietFactor`)
            // and `dropFactor` or more below the band's median, or at the floor's own level
            // (within `silentFactor`) and `weakDropFactor` or more below it.
            let bandCells = band[cells].lazy.map(UInt64.init)[...]
            let quiet = Self.quantile(bandCells, Self.bandQuantile)
            let median = Self.quantile(bandCells, 0.5)
            if quiet <= Self.quietFactor * floor && quiet * Self.dropFactor <= median
                || quiet <= Self.silentFactor * floor && quiet * Self.weakDropFactor <= median {
                return max(floor, min(level, quiet))
            }
            return level
        }
        return Background(floor: floor, perBin: perBin, spectra: spectra, levels: levels)
    }

    /// Bins either side summed into the band a bin's persistence is judged by.
    static let bandHalfWidth = 4
    /// Quantile over time of the band's level that must be quiet (2 %: 1 spectrum of 40).
    static let bandQuantile = 0.02
    /// A band level up to this many times the floor is quiet.
    static let quietFactor = 2.0
    /// How far below its median a switching band's quiet level sits.
    static let dropFactor = 4.0
    /// A band whose quiet level is the floor's own (within `silentFactor`) needs to drop only
    /// `weakDropFactor` below its median: a weak keyed emitter (OOK at 10 dB in-band, on 86 %
    /// of a short recording) is 2.2–2.3 × its quiet level at its median. Always-on noise-like
    /// carriers 6–10 dB up come out as they did without this rule (docs/spectrum.md).
    static let silentFactor = 1.5
    static let weakDropFactor = 2.0

    /// Linear value at quantile `q` of a dB histogram (interpolated within cells).
    private static func quantile<C: Collection>(_ counts: C, _ q: Double) -> Double where C.Element == UInt64 {
        let total = counts.reduce(0, +)
        guard total > 0 else { return 1e-30 }
        let target = Double(total) * q
        var running = 0.0
        for (c, n) in counts.enumerated() {
            let next = running + Double(n)
            if next >= target && n > 0 {
                let fraction = (target - running) / Double(n)
                return pow(10, (lowestDB + (Double(c) + fraction) * cellDB) / 10)
            }
            running = next
        }
        return pow(10, (lowestDB + Double(cellCount) * cellDB) / 10)
    }
}

/// Noise floor and per-bin background of a band, in linear power per bin (FS²).
public struct Background: Sendable, Equatable {
    /// Mean noise power per bin.
    public var floor: Double
    /// Per bin: the level present nearly all the time, never below `floor`.
    public var perBin: [Double]
    /// Spectra the estimate is built from.
    public var spectra: Int
    /// Per bin, the level present nearly all the time as it was measured, not raised to the
    /// floor: the receiver's passband shape where nothing transmits (the same as `perBin`
    /// when not given).
    public var levels: [Double]

    public init(floor: Double, perBin: [Double], spectra: Int, levels: [Double]? = nil) {
        self.floor = floor
        self.perBin = perBin
        self.spectra = spectra
        self.levels = levels ?? perBin
    }

    /// The persistent signals as runs of bins: `persistentRuns(factor:gapBins:)`, with a
    /// modulated carrier at the margin taken whole. Its bins fall either side of the `factor`
    /// line, in pieces; a run over 2 × the floor (gaps bridged) that holds such bins and is
    /// `wideBins` or wider (wider than any spur's skirts: a Hann spur 60 dB up stays over 2 ×
    /// for about ten bins) is one signal.
    public func persistentSignalRuns(factor: Double, gapBins: Int = 0, wideBins: Int = 16) -> [ClosedRange<Int>] {
        let strong = persistentRuns(factor: factor, gapBins: gapBins)
        guard factor > 2 else { return strong }
        let whole = persistentRuns(factor: 2, gapBins: gapBins).filter { run in
            run.count >= wideBins && strong.contains { $0.overlaps(run) }
        }
        return (whole + strong.filter { run in !whole.contains { $0.overlaps(run) } }).sorted { $0.lowerBound < $1.lowerBound }
    }

    /// Runs of bins whose background stands `factor` or more above the floor, bridging gaps
    /// of up to `gapBins`: stationary signals (carriers that never switch off, spurs, the
    /// receiver's DC spike).
    public func persistentRuns(factor: Double, gapBins: Int = 0) -> [ClosedRange<Int>] {
        var runs: [ClosedRange<Int>] = []
        for k in perBin.indices where perBin[k] > factor * floor {
            if let last = runs.last, k - last.upperBound <= gapBins + 1 {
                runs[runs.count - 1] = last.lowerBound...k
            } else {
                runs.append(k...k)
            }
        }
        return runs
    }
}
