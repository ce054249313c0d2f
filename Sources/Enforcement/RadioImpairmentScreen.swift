import Foundation
import Signal
import Spectrum

/// What the receiver did to a spectrum that makes it unfit to accuse anyone with.
public enum RadioImpairment: String, Sendable, Equatable, CaseIterable {
    /// The receiver's DC offset stepped inside the spectrum's segments: a step splatters power
    /// over the whole band (a 1/f² skirt around the centre) that no transmitter sent.
    case dcStep = "dc_step"
    /// The noise floor moved against the one the stream started with: an unannounced gain
    /// change, or a signal's own wideband energy, which a spectrum cannot tell apart. Such
    /// spectra are kept, with the benefit of the doubt: every limit is widened by the shift.
    case floorShift = "floor_shift"
}

/// Decides, spectrum by spectrum, what the radio did to a spectrum: the audit keeps spectra
/// with a DC step out of every rule (a verifier re-measuring evidence skips the same ones),
/// and reads those whose floor moved with the benefit of the doubt. Pure: spectra in (in
/// stream order), verdicts out.
///
/// **DC steps** are seen in the segments' window-weighted complex means (the windowed bin 0,
/// free from the transform): under noise, or a signal's continuum, of density P per bin
/// around the centre that mean has variance 1.5 P (Hann), so a change between consecutive
/// segments beyond `dcStepFactor` × P (100: 20 dB, a false alarm once in e³³) is a step, and
/// both segments hold it. P is taken in those two segments from a ring of bins around the
/// centre (8…32 out at 1024; the median of each side, the higher side; never under the floor):
/// a DC step's own splatter there is some 30 dB under the step, while a wideband signal across
/// the centre moves the means no more than its own density and a keyed carrier off the centre
/// splatters more into its side of the ring than into the DC. With half-overlapping segments
/// every step lies in the middle half of one of them, where it moves the windowed mean by a
/// quarter of itself or more; one that moves it less than the factor splatters under 18 dB
/// over that density, within 8 bins of the centre. A narrow carrier keyed on and off within a
/// few bins of 0 Hz cannot be told from a DC step and is screened out with it (receivers are
/// tuned so that no grant sits on their centre). A steady offset is no impairment: the audit
/// removes each segment's mean.
///
/// **Floor shifts**: each bin is read against its own background level (`Background.levels`:
/// the receiver's passband shape, spurs and carriers always on), and the lower quartile of
/// those ratios is a noise level, whatever occupies the upper three quarters of the bins.
/// Against the level the stream started with (`startLevel`, from its first quiet spectra, or
/// given), a shift beyond `maxFloorShiftDB` may be the gain (readings off by exactly that
/// much) or a signal's energy spread over the band (readings right). A drop is the whole
/// band's (no signal lowers a floor). A rise is the lesser of the whole band's and the lowest
/// of 8 sub-bands' (+0.5 dB for the chance spread of an eighth of the bins): a gain change
/// moves every sub-band alike, a signal's skirts lift those near it most. The audit takes the
/// reading least against the accused: a rise widens every upper limit by the rise and a drop
/// every lower limit by the drop, and occupancy is judged against the moved floor.
public struct RadioImpairmentScreen: Sendable {
    /// How far the floor may move before readings get the benefit of the doubt, dB.
    public static let defaultMaxFloorShiftDB = 1.0
    static let subBands = 8
    /// Per bin, the background level ratios are taken against (FS²).
    public let reference: [Double]
    private let inverseReference: [Float]
    /// The noise power per bin (FS²) steps of the DC are judged against at least.
    public let floorPerBin: Double
    /// The stream's starting level against `reference` (1: the gain the background was measured at).
    public private(set) var startLevel: Double
    public let dcStepFactor: Double
    public let maxFloorShiftDB: Double
    /// The noise-only lower quartile and upper decile of a ratio.
    private let quartileUnderNoise: Double, decileUnderNoise: Double
    /// The last segment of the previous spectrum (its mean and density around the centre),
    /// and where that spectrum ended.
    private var previous: (mean: (re: Float, im: Float), density: Double, endSample: Int64)?
    /// The start's lowest-sub-band level, and how much lower one sub-band reads than the
    /// whole band by chance (8 quartiles of an eighth of the bins each).
    private var startSubBandLevel = 1.0
    private let subBandToleranceDB = 0.5
    /// Work space, grown to the largest use and reused (nothing is allocated per spectrum).
    private var scratch: [Float] = [], ring: [Float] = []
    private var counts: [UInt32] = []

    /// What one spectrum shows of the radio.
    public struct Assessment: Sendable, Equatable {
        /// The largest step of the DC between its segments over the density around the
        /// centre, dB, when beyond the screen's factor (the spectrum is then kept out).
        public var dcStepDB: Double?
        /// The step lies between the previous spectrum's last segment and this one's first:
        /// the previous spectrum holds it too.
        public var previousHoldsStep: Bool
        /// The floor's shift against the start, dB, when beyond `maxFloorShiftDB` (else 0).
        public var floorShiftDB: Double
    }

    /// - Parameters:
    ///   - reference: per bin, the background level (`Background.levels`, FS²).
    ///   - floorPerBin: the noise power per bin (`Background.floor`).
    ///   - effectiveAverages: of the Welch estimate (`DetectionThreshold.effectiveAverages`).
    public init(reference: [Double], floorPerBin: Double, effectiveAverages: Double, dcStepFactor: Double = 100,
                maxFloorShiftDB: Double = defaultMaxFloorShiftDB) {
        // A bin with (next to) nothing in its background (the centre once the DC is taken out)
        // is read against a thousandth of the floor rather than against zero.
        self.reference = reference.map { max($0, 1e-3 * floorPerBin) }
        inverseReference = self.reference.map { Float(1 / $0) }
        self.floorPerBin = floorPerBin
        self.dcStepFactor = dcStepFactor
        self.maxFloorShiftDB = maxFloorShiftDB
        startLevel = 1
        quartileUnderNoise = DetectionThreshold.noiseQuantile(0.25, effectiveAverages: effectiveAverages)
        decileUnderNoise = DetectionThreshold.noiseQuantile(0.9, effectiveAverages: effectiveAverages)
    }

    /// Takes the stream's starting level from its first spectra: the median level of those
    /// that are noise to their upper decile (within 1 dB of where noise alone puts it: a spur
    /// or a narrow carrier may be there, nothing that moves the floor). Keeps 1 when none is.
    public mutating func learnStart(from spectra: [PowerSpectrum]) {
        var quiet: [(whole: Double, subBand: Double)] = []
        for spectrum in spectra {
            let (quartile, decile) = wholeBand(spectrum, decile: true)
            if decile <= decileUnderNoise / quartileUnderNoise * pow(10, 0.1) * quartile {
                quiet.append((quartile / quartileUnderNoise, level(spectrum)))
            }
        }
        guard !quiet.isEmpty else { return }
        startLevel = quiet.map(\.whole).sorted()[quiet.count / 2]
        startSubBandLevel = quiet.map(\.subBand).sorted()[quiet.count / 2]
    }

    /// Takes the starting level from outside: the noise power per bin the receiver showed at its
    /// configured gain (an agent's first segment), against this stream's pooled `floor`.
    public mutating func setStart(floorPerBin start: Double, pooledFloor: Double) {
        startLevel = start / pooledFloor
        startSubBandLevel = startLevel
    }

    /// The next spectrum's assessment.
    public mutating func assess(_ spectrum: PowerSpectrum) -> Assessment {
        let (step, atJoin) = largestDCStep(spectrum)
        let shift = floorShift(spectrum)
        return Assessment(dcStepDB: step > dcStepFactor ? decibels(step) : nil, previousHoldsStep: step > dcStepFactor && atJoin,
                          floorShiftDB: shift)
    }

    /// The largest change of the DC between consecutive segments (the previous spectrum's
    /// last one included when the stream runs on), as a power over the density around the
    /// centre in those two segments; and whether it is at the join.
    private mutating func largestDCStep(_ spectrum: PowerSpectrum) -> (step: Double, atJoin: Bool) {
        let continues = previous.map { !spectrum.discontinuity && spectrum.startSample < $0.endSample } ?? false
        var last = continues ? previous.map { ($0.mean, $0.density) } : nil
        var largest = 0.0, atJoin = false
        for r in 0..<spectrum.averages {
            let mean = spectrum.segmentMean(r)
            let density = densityAroundCentre(spectrum.segments, row: r, bins: spectrum.binCount)
            if let (before, beforeDensity) = last {
                let dr = Double(mean.re - before.re), di = Double(mean.im - before.im)
                let ratio = (dr * dr + di * di) / max(floorPerBin, density, beforeDensity)
                if ratio > largest {
                    largest = ratio
                    atJoin = r == 0
                }
            }
            last = (mean, density)
        }
        if let last { previous = (last.0, last.1, spectrum.endSample) }
        return (largest, atJoin)
    }

    /// The power per bin of one segment in a ring around the centre (8…32 bins out at 1024):
    /// the median of each side, the higher of the two. A DC step's own splatter there is 30 dB
    /// under its step; a keyed carrier off the centre splatters more on its side of the ring
    /// than into the DC.
    private mutating func densityAroundCentre(_ rows: UnsafeBufferPointer<Float>, row: Int, bins n: Int) -> Double {
        let centre = n / 2
        let inner = max(3, n / 128), outer = min(centre - 1, max(inner + 3, n / 32))
        guard outer > inner else { return 0 }
        var densest = 0.0
        let count = outer - inner + 1
        if ring.count < count { ring = [Float](repeating: 0, count: count) }
        for side in -1...1 where side != 0 {
            let median = ring.withUnsafeMutableBufferPointer { buffer in
                let out = UnsafeMutableBufferPointer(rebasing: buffer[0..<count])
                for k in inner...outer { out[k - inner] = rows[row * n + centre + side * k] }
                return Self.select(out, count / 2)
            }
            densest = max(densest, Double(median))
        }
        return densest
    }

    /// The k-th smallest of `v` (0-based), reordering it (Hoare's quickselect, median of
    /// three: linear on average, which per spectrum is what a full sort of the bins is not).
    static func select(_ v: UnsafeMutableBufferPointer<Float>, _ k: Int) -> Float {
        var low = 0, high = v.count - 1
        while low < high {
            let mid = low + (high - low) / 2
            if v[mid] < v[low] { v.swapAt(mid, low) }
            if v[high] < v[low] { v.swapAt(high, low) }
            if v[high] < v[mid] { v.swapAt(high, mid) }
            let pivot = v[mid]
            var i = low, j = high
            while i <= j {
                while v[i] < pivot { i += 1 }
                while v[j] > pivot { j -= 1 }
                if i <= j {
                    v.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if k <= j { high = j } else if k >= i { low = i } else { return v[k] }
        }
        return v[k]
    }

    /// The floor's shift against the start in dB, or 0 within `maxFloorShiftDB`. A drop is the
    /// whole band's (no signal lowers the floor); a rise is the whole band's or, when that is
    /// more, the lowest sub-band's (what a gain change moves alike everywhere).
    private mutating func floorShift(_ spectrum: PowerSpectrum) -> Double {
        let whole = decibels(wholeBand(spectrum).quartile / quartileUnderNoise / startLevel)
        if whole < -maxFloorShiftDB { return whole }
        guard whole > maxFloorShiftDB else { return 0 }
        let rise = min(whole, decibels(level(spectrum) / startSubBandLevel) + subBandToleranceDB)
        return rise > maxFloorShiftDB ? rise : 0
    }

    /// The lowest sub-band's lower-quartile ratio to the reference, as a noise level.
    private mutating func level(_ spectrum: PowerSpectrum) -> Double {
        let n = min(spectrum.binCount, reference.count), width = max(4, n / Self.subBands)
        var lowest = Double.infinity
        var start = 0
        while start + width <= n {
            let quartile = withRatios(spectrum, start..<(start + width)) { Self.select($0, width / 4) }
            lowest = min(lowest, Double(quartile) / quartileUnderNoise)
            start += width
        }
        return lowest
    }

    /// Calls `body` with the ratios of `bins` of the spectrum to the reference, in `scratch`.
    private mutating func withRatios<T>(_ spectrum: PowerSpectrum, _ bins: Range<Int>, _ body: (UnsafeMutableBufferPointer<Float>) -> T) -> T {
        if scratch.count < bins.count { scratch = [Float](repeating: 0, count: bins.count) }
        let mean = spectrum.mean
        return inverseReference.withUnsafeBufferPointer { inverse in
            scratch.withUnsafeMutableBufferPointer { buffer in
                let out = UnsafeMutableBufferPointer(rebasing: buffer[0..<bins.count])
                for (i, k) in bins.enumerated() { out[i] = mean[k] * inverse[k] }
                return body(out)
            }
        }
    }

    /// The whole band's lower-quartile and (when asked) upper-decile ratios to the reference.
    private mutating func wholeBand(_ spectrum: PowerSpectrum, decile: Bool = false) -> (quartile: Double, decile: Double) {
        let n = min(spectrum.binCount, reference.count)
        // Taken out for the call (not copied): the histogram is reused, never reallocated.
        var counts: [UInt32] = []
        swap(&counts, &self.counts)
        defer { swap(&counts, &self.counts) }
        return withRatios(spectrum, 0..<n) { ratios in
            let quartile = Self.quantile(UnsafeBufferPointer(ratios), rank: n / 4, counts: &counts)
            return (Double(quartile), decile ? Double(Self.select(ratios, n * 9 / 10)) : .nan)
        }
    }

    /// The `rank`-th smallest (0-based) of `values`, to 1/64 of an octave (0.05 dB), in time
    /// linear in the count and free of data-dependent branches: a histogram of the floats' bit
    /// patterns (ordered as the positive values are), 64 buckets an octave from 2⁻³² to 2³²
    /// (what lies outside counts at the ends). A quickselect over 1024 bins costs four times more.
    static func quantile(_ values: UnsafeBufferPointer<Float>, rank: Int, counts: inout [UInt32]) -> Float {
        let shift: UInt32 = 17, base = Int((127 - 32) << 6), buckets = 64 << 6
        if counts.count != buckets { counts = [UInt32](repeating: 0, count: buckets) }
        return counts.withUnsafeMutableBufferPointer { c in
            c.update(repeating: 0)
            for value in values {
                let key = Int(max(value, 0).bitPattern >> shift) - base
                c[min(buckets - 1, max(0, key))] &+= 1
            }
            var seen = 0
            for b in 0..<buckets {
                seen += Int(c[b])
                if seen > rank { return Float(bitPattern: UInt32(b + base) << shift | 1 << (shift - 1)) }
            }
            return Float(bitPattern: UInt32(buckets - 1 + base) << shift)
        }
    }
}

/// A stretch of consecutive impaired spectra, as the audit reports it.
public struct ImpairedSpan: Sendable, Equatable {
    public var impairment: RadioImpairment
    public var startSample: Int64
    public var endSample: Int64
    public var startTime: Timestamp?
    public var endTime: Timestamp?
    /// Spectra in it (kept out of the audit for a DC step, read with wider limits for a floor shift).
    public var spectra: Int
    /// The largest DC step over the floor, or the floor shift furthest from 0, dB.
    public var worstDB: Double
}
