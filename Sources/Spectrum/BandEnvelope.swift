import Foundation
import Signal

/// One stretch of time when a band's envelope stands above its on-threshold: a pulse of an
/// OOK packet, a whole FSK packet, a short burst. Samples of the stream, delay removed.
public struct OnRun: Sendable, Equatable {
    public var start: Int64
    public var end: Int64
    /// Mean envelope over the run, in units of the band's noise power.
    public var level: Double
    /// Mean envelope over the gap before the run (since the window's last run), in the same
    /// units, when it stands above the noise beyond chance (`BandEnvelope.gapPfa`): the band
    /// is not quiet there. nil for a quiet gap and for a window's first run.
    public var occupiedBefore: Double?
    /// Where the envelope fell back to the noise (the off-threshold), at or after `end`: a
    /// strong run's envelope takes up to the filter's reach to get there. The packet rule
    /// measures gaps from here, so that a brief fade inside a carrier stays a dip.
    public var offSample: Int64
    /// The first run of its window: the stretch before it, back to the last window, is one the
    /// spectra saw nothing in and the envelope did not read. The gaps before such runs are the
    /// spacing of what the spectra saw as separate emissions; `PacketRule` keeps the boundary
    /// between its gap classes at or under their median.
    public var opensWindow: Bool

    public init(start: Int64, end: Int64, level: Double, occupiedBefore: Double? = nil, offSample: Int64? = nil,
                opensWindow: Bool = false) {
        self.start = start
        self.end = end
        self.level = level
        self.occupiedBefore = occupiedBefore
        self.offSample = max(end, offSample ?? end)
        self.opensWindow = opensWindow
    }

    public var length: Int64 { end - start }
}

/// The power envelope of one band at the full sample rate, and its on-runs. The band is mixed
/// to zero and low-pass filtered by three cascaded moving sums of length L (a CIC-3 filter:
/// O(1) work per sample, sidelobes 39 dB down), whose pass band is the band's width; |y|² is
/// then smoothed over `smoothing` = 2L samples (the time resolution stays the filter's:
/// the smoothing is symmetric and its delay is removed). The filter's delay is removed, so a run starts
/// where the emission does, to within the filter's length (L ≈ 0.26 × rate / width: the
/// time resolution the band's width allows).
///
/// Thresholds are in units of the band's noise power at the output, which the caller knows
/// from the background (`noisePower`). The output under noise alone is a weighted sum of
/// correlated χ² terms; its effective number of degrees of freedom (the Gamma shape with the
/// same mean and variance) gives the on-threshold for a per-sample false-alarm probability.
/// A run ends only when the envelope falls to within 1 dB of the noise (hysteresis), so a
/// weak, fluctuating plateau is not chopped while keying gaps, which fall to noise, still end it.
/// Pure: samples in, runs out.
public final class BandEnvelope {
    public let offsetHz: Double
    public let sampleRate: Double
    /// Length of each moving sum of the band filter, and of the power smoothing.
    public let length: Int
    public let smoothing: Int
    /// Samples between an input and the output that describes it.
    public let delay: Int
    /// On and off thresholds over the noise power at the output.
    public let onFactor: Double
    public let offFactor: Double
    /// Noise power of the output, FS² (per-sample noise in the band × the filter's noise gain).
    public let noiseLevel: Double
    /// Runs shorter than this are dropped (a noise excursion lasts about L samples).
    public let minimumRun: Int64
    /// Degrees of freedom of a block mean of the envelope under noise (its Gamma shape).
    public let blockDof: Double
    /// Block means at or below this quantile of a held window set its whole-window reference.
    public static let referenceQuantile = 0.2
    /// The window's ends are both inside the emission when the quieter is this many times the
    /// whole window's reference or more.
    public static let contaminatedEnds = 2.0
    /// A run's mean level must reach this fraction of the on-threshold.
    public static let minimumRunLevel = 0.5

    private var stages: [Ring<(Double, Double)>]
    private var sums: [(Double, Double)]
    private var power: Ring<Double>
    private var powerSum = 0.0
    private var phasor = (1.0, 0.0)
    private let rotation: (Double, Double)
    private var position: Int64 = -1
    private var warm = 0
    private var current: (start: Int64, sum: Double, count: Int, top: Double)?
    /// The envelope summed over the gap since the last run (runs dropped as noise included).
    private var gapSum = 0.0
    private var gapCount = 0
    private var runsInWindow = 0
    /// The gap's mean when the current run opened, if it is above the noise.
    private var occupiedBeforeCurrent: Double?
    /// The noise blocks this band's earlier windows measured.
    private var noisePool: NoisePool
    /// The filter's squared autocorrelation (the envelope's noise statistics).
    private let correlationSquares: [Double]
    /// False-alarm probability of the test that a gap's mean envelope is above the noise.
    public static let gapPfa = 1e-3
    /// The envelope's last `edgeReach` values, and around the current run's on-point: the
    /// stretch where its start is placed once its level is known.
    private var history: Ring<Double>
    private var startContext: [Double] = []
    private var endContext: [Double] = []
    public let edgeReach: Int
    public private(set) var runs: [OnRun] = []
    /// Samples at the start of each window whose envelope sets the window's noise reference.
    public let referenceSamples: Int
    /// Envelope values held back until the reference is known, the first at `pendingStart`.
    private var pending: [Float] = []
    private var pendingStart: Int64 = 0
    /// True while the whole window is held back (it is short enough): its reference is then
    /// measured at both ends, so an emission that starts with the recording is still seen.
    private var holdingWindow = false
    /// Windows up to this many samples are held whole (4 bytes a sample).
    public static let heldWindowLimit = 1 << 22
    /// The noise reference of the current window, measured in it (a strong neighbour's leakage
    /// through the filter, a receiver's DC spike beside the band, counts as noise here): from
    /// the window's first and (held whole) last `referenceSamples`, or from the whole window
    /// when both ends are inside the emission (`settleReference`); `noiseLevel` before it is
    /// measured.
    public private(set) var reference: Double

    /// - Parameters:
    ///   - offsetHz, widthHz: the band, relative to the capture's centre.
    ///   - noisePerSample: the band's noise as per-sample power of white noise (FS²): the
    ///     background's mean bin power over the band × the FFT size.
    ///   - samplePfa: per-output-sample false-alarm probability of the on-threshold.
    ///   - referenceSamples: how much of each window (before the emission: a spectrum span)
    ///     measures the noise the band actually has; 0 to trust `noisePerSample` alone.
    public init(offsetHz: Double, widthHz: Double, sampleRate: Double, noisePerSample: Double, samplePfa: Double = 1e-6,
                referenceSamples: Int = 0) {
        self.offsetHz = offsetHz
        self.sampleRate = sampleRate
        let l = Self.filterLength(sampleRate: sampleRate, widthHz: widthHz)
        length = l
        smoothing = max(2, 2 * l)
        delay = (3 * (l - 1) + (smoothing - 1)) / 2
        stages = (0..<3).map { _ in Ring(count: l, zero: (0, 0)) }
        sums = Array(repeating: (0, 0), count: 3)
        power = Ring(count: smoothing, zero: 0)
        let w = -2 * Double.pi * offsetHz / sampleRate
        rotation = (cos(w), sin(w))
        // The filter's taps (three boxes convolved, unit DC gain) and its noise statistics.
        var taps = [Double](repeating: 1, count: l)
        for _ in 0..<2 { taps = Self.convolve(taps, [Double](repeating: 1, count: l)) }
        let norm = pow(Double(l), 3)
        taps = taps.map { $0 / norm }
        let gain = taps.reduce(0) { $0 + $1 * $1 }
        noiseLevel = noisePerSample * gain
        reference = noiseLevel
        self.referenceSamples = referenceSamples
        // |y|² of complex Gaussian noise: Cov(|y_n|², |y_m|²) = |r(n−m)|² σ⁴, r the taps'
        // autocorrelation (normalised to r(0) = 1), computed once for both means below.
        let correlationSquares = (0..<taps.count).map { a -> Double in
            var r = 0.0
            for n in 0..<(taps.count - a) { r += taps[n] * taps[n + a] }
            return (r / gain) * (r / gain)
        }
        // The envelope is a mean of `smoothing` values of |y|²; a reference block, taken as the
        // mean of |y|² over as many samples (the smoothing only spreads its support by S − 1).
        self.correlationSquares = correlationSquares
        let dof = Self.meanDof(block: smoothing, correlationSquares: correlationSquares)
        blockDof = Self.meanDof(block: Self.referenceBlock(length: l), correlationSquares: correlationSquares)
        noisePool = NoisePool(blockDof: blockDof)
        onFactor = max(2, GammaFunctions.inverseQ(dof, samplePfa) / dof)
        offFactor = min(1.25, onFactor / 2)
        minimumRun = Int64(max(4, l))
        edgeReach = 3 * l + smoothing
        history = Ring(count: edgeReach, zero: 0)
    }

    /// Feeds samples `samples` whose first is stream index `first`; a gap from the last call
    /// restarts the filter.
    public func process(_ samples: UnsafeBufferPointer<IQ>, first: Int64) {
        if first != position + 1 || position < 0 { restart(at: first) }
        let norm = 1 / pow(Double(length), 3)
        let smoothingScale = 1 / Double(smoothing)
        let settle = 3 * length + smoothing
        var (pr, pi) = phasor
        let (rr, ri) = rotation
        for k in 0..<samples.count {
            let x = samples[k]
            var v = (Double(x.i) * pr - Double(x.q) * pi, Double(x.i) * pi + Double(x.q) * pr)
            (pr, pi) = (pr * rr - pi * ri, pr * ri + pi * rr)
            for s in 0..<3 {
                let old = stages[s].push(v)
                sums[s].0 += v.0 - old.0
                sums[s].1 += v.1 - old.1
                v = sums[s]
            }
            let p = (v.0 * v.0 + v.1 * v.1) * norm * norm
            powerSum += p - power.push(p)
            let e = powerSum * smoothingScale
            let n = first + Int64(k) - Int64(delay)
            warm += 1
            if warm < settle { continue }
            if holdingWindow || warm - settle < referenceSamples {
                if pending.isEmpty { pendingStart = n }
                pending.append(Float(e))
                if !holdingWindow, pending.count == referenceSamples { settleReference() }
            } else {
                detect(n, e)
            }
        }
        // Keep the oscillator on the unit circle.
        let magnitude = (pr * pr + pi * pi).squareRoot()
        phasor = (pr / magnitude, pi / magnitude)
        position = first + Int64(samples.count) - 1
    }

    /// Says that a window of `length` samples starts at the next `process` call: a short one is
    /// held whole, so that its noise reference can come from either end.
    public func beginWindow(length: Int64) {
        finish()
        position = -2
        holdingWindow = referenceSamples > 0 && length <= Int64(Self.heldWindowLimit)
    }

    /// L for a band `widthHz` wide: CIC-3's −3 dB points are ±0.26 × rate / L from its centre,
    /// so this pass band is as wide as the band.
    public static func filterLength(sampleRate: Double, widthHz: Double) -> Int {
        max(1, Int((0.52 * sampleRate / max(widthHz, 1)).rounded()))
    }

    /// Ends the current run (end of a window or of the stream).
    public func finish() {
        if !pending.isEmpty { settleReference() }
        if let run = current { close(run, end: position + 1 - Int64(delay)) }
        current = nil
    }

    private func detect(_ n: Int64, _ e: Double) {
        if current != nil, startContext.count < 2 * edgeReach { startContext.append(e) }
        defer { _ = history.push(e) }
        if var run = current {
            if e < offFactor * reference {
                close(run, end: n)
                current = nil
            } else {
                run.sum += e
                run.top = max(run.top, e)
                run.count += 1
                current = run
            }
        } else if e <= onFactor * reference {
            gapSum += e
            gapCount += 1
        } else {
            current = (n, e, 1, e)
            startContext.removeAll(keepingCapacity: true)
            history.appendOrdered(to: &startContext)
            occupiedBeforeCurrent = runsInWindow == 0 ? nil : occupied(mean: gapSum / Double(max(1, gapCount)), samples: gapCount)
            startContext.append(e)
        }
    }

    /// Where the run's start really is: the envelope of a step through this symmetric filter
    /// is at a quarter of its plateau (half its amplitude) at the step. The on-point crosses
    /// a threshold set by the noise, early on the ramp of a strong signal and late on a weak
    /// one; the crossing of level/4 nearest to it, within the filter's reach, is the start.
    private func placedStart(_ on: Int64, level: Double) -> Int64 {
        // A pulse shorter than the filter never reaches its level: its bump's own top counts then.
        let top = startContext.max() ?? level
        let target = min(level, top) / 4
        let c = startContext, i0 = min(edgeReach, c.count - 1)
        guard i0 >= 0, c.count > i0 else { return on }
        var i = i0
        if c[i0] >= target {
            while i > 0, c[i - 1] >= target { i -= 1 }
        } else {
            while i < c.count, c[i] < target { i += 1 }
            if i == c.count { return on }
        }
        return on + Int64(i - i0)
    }

    /// A gap's mean envelope over the reference when it is above the noise beyond chance: over
    /// the Gamma quantile (at `gapPfa`) of a mean of as many envelope values under noise alone.
    /// The degrees of freedom are capped at 1000 (quantile 1.10): a longer gap is held to that,
    /// and the quantile's series stays short (it grows with the shape).
    private func occupied(mean: Double, samples: Int) -> Double? {
        let level = mean / reference
        // The quantile is above the mean for any shape: a gap at or under the noise is quiet.
        guard samples > 0, level > 1 else { return nil }
        let dof = min(1000, Self.meanDof(block: samples, correlationSquares: correlationSquares))
        return level >= GammaFunctions.inverseQ(dof, Self.gapPfa) / dof ? level : nil
    }

    /// Where the run's end really is, as its start is placed: the envelope falls through a
    /// quarter of the plateau at the step down, while the off-point (the noise's level) comes
    /// up to the filter's reach later on a strong signal. The last value at or above level/4
    /// (the run's top's, for a pulse shorter than the filter) within the reach before `off`,
    /// + 1; the reach's start when all of it is under.
    private func placedEnd(_ off: Int64, level: Double) -> Int64 {
        endContext.removeAll(keepingCapacity: true)
        history.appendOrdered(to: &endContext)
        let target = level / 4
        let last = endContext.lastIndex(where: { $0 >= target }) ?? 0
        return off - Int64(endContext.count - 1 - last)
    }

    /// Envelope values averaged per block when the reference is measured.
    static func referenceBlock(length: Int) -> Int { max(16, 4 * length) }

    /// Degrees of freedom (the Gamma shape with the same mean and variance) of a mean of
    /// `block` consecutive values of |y|² under noise (`GammaFunctions.shapeOfSum`).
    static func meanDof(block: Int, correlationSquares: [Double]) -> Double {
        GammaFunctions.shapeOfSum(count: block, correlationSquares: correlationSquares)
    }

    /// The median of block means over the reference stretch (blocks of 4 filter lengths), then
    /// the stretch itself is detected against it.
    private func settleReference() {
        let block = Self.referenceBlock(length: length)
        func blockMeans(_ values: ArraySlice<Float>) -> [Double] {
            var means: [Double] = []
            var index = values.startIndex
            while index + block <= values.endIndex {
                means.append(values[index..<(index + block)].reduce(0.0) { $0 + Double($1) } / Double(block))
                index += block
            }
            return means
        }
        // What the band holds before the emission (and after it, for a window held whole) is
        // its noise, whatever the background says: a band busy most of the time has a
        // background above its noise. How the ends' blocks become the reference, with the
        // band's earlier windows' (`NoisePool.reading`).
        let headBlocks = blockMeans(pending.prefix(referenceSamples))
        let tailBlocks = holdingWindow && pending.count >= 2 * referenceSamples ? blockMeans(pending.suffix(referenceSamples)) : []
        let endsReading = noisePool.reading(head: headBlocks, tail: tailBlocks), ends = endsReading.noise
        // A window held whole is also read as a whole: the 20th percentile of its block means,
        // over the same quantile of a block mean under noise alone (Gamma, `blockDof`). The ends
        // can both fall inside the emission, when the spectra placed a weak one late and ended it
        // early (a 10 dB OOK packet whose first spectra missed it): a reference measured on the
        // signal then hid all of it. The quiet fifth of the window (gaps between packets, keying
        // gaps) is its noise. Where less than a fifth is quiet this estimate is above the ends'
        // and the ends count.
        var whole: Double?
        if holdingWindow {
            let means = blockMeans(pending[...]).sorted()
            if means.count >= 10 {
                let q = Self.referenceQuantile
                whole = means[Int(q * Double(means.count))] / (GammaFunctions.inverseQ(blockDof, 1 - q) / blockDof)
            }
        }
        if let whole, ends.map({ whole * Self.contaminatedEnds < $0 }) ?? true {
            reference = whole
        } else if let ends {
            reference = ends
            // Ends taken as the noise join the pool, agreeing or not, so that it follows a
            // band whose noise changes (the median keeps an end inside an emission out).
            noisePool.add(endsReading)
        }
        // Replayed from a buffer swapped out (not copied: a held window is up to 4 Mi values).
        var replay: [Float] = []
        swap(&replay, &pending)
        let first = pendingStart
        holdingWindow = false
        for (k, e) in replay.enumerated() { detect(first + Int64(k), Double(e)) }
        replay.removeAll(keepingCapacity: true)
        swap(&replay, &pending)
    }

    private func close(_ run: (start: Int64, sum: Double, count: Int, top: Double), end: Int64) {
        let level = run.sum / Double(run.count)
        // A run whose mean stays under half the on-threshold crossed it for a moment and then
        // lingered above the off-threshold: noise (a 127-sample run at 3 × the noise between two
        // 20 dB FSK packets made three gaps of two, and the rule read them as keying). A pulse
        // that crosses the threshold stands near it or above for its length. A run dropped is
        // part of the gap it interrupted.
        guard end - run.start >= minimumRun, level >= Self.minimumRunLevel * onFactor * reference else {
            gapSum += run.sum
            gapCount += run.count
            return
        }
        let start = min(placedStart(run.start, level: level), end - 1)
        runs.append(OnRun(start: start, end: max(start + 1, placedEnd(end, level: min(level, run.top))), level: level / reference,
                          occupiedBefore: occupiedBeforeCurrent, offSample: end, opensWindow: runsInWindow == 0))
        gapSum = 0
        gapCount = 0
        runsInWindow += 1
    }

    private func restart(at first: Int64) {
        finish()
        for s in 0..<3 { stages[s].reset(); sums[s] = (0, 0) }
        power.reset()
        history.reset()
        gapSum = 0
        gapCount = 0
        runsInWindow = 0
        startContext.removeAll(keepingCapacity: true)
        powerSum = 0
        warm = 0
        reference = noiseLevel
        // The mixer's phase at `first`, so that restarts do not depend on where blocks split.
        let phase = (-2 * Double.pi * offsetHz / sampleRate * Double(first)).truncatingRemainder(dividingBy: 2 * .pi)
        phasor = (cos(phase), sin(phase))
        position = first - 1
    }

    private static func convolve(_ a: [Double], _ b: [Double]) -> [Double] {
        var out = [Double](repeating: 0, count: a.count + b.count - 1)
        for i in a.indices { for j in b.indices { out[i + j] += a[i] * b[j] } }
        return out
    }
}

/// A fixed-length delay line: `push` returns the value that falls out.
struct Ring<T> {
    private var storage: [T]
    private var head = 0
    private let zero: T

    init(count: Int, zero: T) {
        storage = Array(repeating: zero, count: count)
        self.zero = zero
    }

    mutating func push(_ value: T) -> T {
        let old = storage[head]
        storage[head] = value
        head += 1
        if head == storage.count { head = 0 }
        return old
    }

    /// Appends the values, oldest first.
    func appendOrdered(to array: inout [T]) {
        array.append(contentsOf: storage[head...])
        array.append(contentsOf: storage[..<head])
    }

    mutating func reset() {
        for i in storage.indices { storage[i] = zero }
        head = 0
    }
}
