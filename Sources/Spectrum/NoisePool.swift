import Foundation

/// The noise a band's earlier windows measured, kept so that a window's own few noise blocks
/// are not the whole reference.
///
/// A window's ends hold only a few reference blocks when its band is narrow (a block is 4 filter
/// lengths: at L = 133, three blocks each end), and a median of three block means of about
/// 3.5 degrees of freedom strays by a factor of 1.7 either way. The band's noise changes
/// little from one window to the next, so the blocks that earlier windows took as noise are
/// pooled, and a window whose own blocks agree with the pool takes the pool's median with them.
/// A window whose blocks do not agree (a neighbour's leakage came on, the gain changed, an
/// end is inside an emission) keeps its own reading. Pure: block means in, a level out.
struct NoisePool {
    /// Degrees of freedom of one block mean under noise (its Gamma shape).
    let blockDof: Double
    /// Blocks kept (the most recent); the pool speaks once it holds `minimumBlocks`.
    let capacity: Int
    let minimumBlocks: Int
    /// Two-sided probability below which a window's median is taken to disagree with the pool.
    static let disagreement = 0.01
    /// Two ends of a window whose references are within this factor are both noise.
    static let endsAgreement = 3.0
    /// Readings in a row that disagreed with the pool on the same side, after which it is
    /// theirs (`add`). Under noise alone two in a row happen about once in 10⁴ windows.
    static let changeWindows = 3
    private var blocks: [Double] = []
    private var next = 0
    private var streak: [[Double]] = []
    private var streakSide: Verdict?
    /// The median of a block mean under noise alone over its mean (Gamma, `blockDof`).
    private let medianRatio: Double

    init(blockDof: Double, capacity: Int = 128, minimumBlocks: Int = 32) {
        self.blockDof = blockDof
        self.capacity = capacity
        self.minimumBlocks = minimumBlocks
        medianRatio = GammaFunctions.inverseQ(blockDof, 0.5) / blockDof
    }

    /// The pool's noise mean, once it holds `minimumBlocks`.
    var pooledNoise: Double? { blocks.count >= minimumBlocks ? noiseMean(blocks) : nil }

    /// The noise's mean from a set of block means: their median over the median of one block
    /// mean under noise alone (the median alone reads a Gamma of 3.5 degrees of freedom 10 % low).
    func noiseMean(_ means: [Double]) -> Double? {
        means.isEmpty ? nil : Self.median(means) / medianRatio
    }

    /// What a window's ends say about the noise.
    struct Reading {
        /// The noise's mean, nil when the window has no reference blocks.
        var noise: Double?
        /// The blocks it came from, which `add` puts in the pool once the caller takes them as
        /// the noise.
        var blocks: [Double]
        /// Whether they agreed with the pool: nil when the pool was silent, otherwise the
        /// verdict of the test, with which side they read when they did not.
        var verdict: Verdict?
    }

    enum Verdict: Equatable { case agrees, above, below }

    /// The noise's mean a window's ends give.
    ///
    /// Each end counts by the median of its blocks. Ends that agree with each other (within
    /// `endsAgreement`) are one sample of the noise, their blocks together; otherwise the
    /// quieter end counts (the other holds the emission, which started before the window or
    /// ran past it). Taking the quieter of two agreeing ends biased the reference low: a block
    /// of 4L has about 3.4 degrees of freedom, an end of seven blocks strays by ±1.5 dB, and a
    /// reference 3 dB low let noise in a 5 ms gap between 30 dB packets pass for pulses and
    /// join the packets.
    ///
    /// With the pool speaking, what the ends give counts together with the pool's blocks when
    /// its median agrees with the pool. Of two ends that disagree with each other, the one that
    /// agrees with the pool is the noise, not merely the quieter: at three blocks an end, one
    /// window in a hundred of noise alone had an end reading a quarter of the noise. Ends that
    /// agree with each other are tested together, as six blocks: tested one by one, an end
    /// reading twice the pool passed often enough to slow the pool's following a change.
    func reading(head: [Double], tail: [Double]) -> Reading {
        let headNoise = noiseMean(head), tailNoise = noiseMean(tail)
        let together = headNoise.flatMap { h in tailNoise.map { t in max(h, t) <= Self.endsAgreement * min(h, t) } } ?? false
        var own: (noise: Double?, blocks: [Double])
        if together {
            own = (noiseMean(head + tail), head + tail)
        } else if let h = headNoise, tailNoise.map({ $0 >= h }) ?? true {
            own = (h, head)
        } else {
            own = (tailNoise, tail)
        }
        guard let pooled = pooledNoise, pooled > 0, let ownNoise = own.noise else { return Reading(noise: own.noise, blocks: own.blocks) }
        let candidates = together ? [head + tail] : [head, tail]
        let agreeing = candidates.filter { !$0.isEmpty && agrees($0, noise: pooled) }.flatMap { $0 }
        if !agreeing.isEmpty { return Reading(noise: noiseMean(blocks + agreeing), blocks: agreeing, verdict: .agrees) }
        return Reading(noise: ownNoise, blocks: own.blocks, verdict: ownNoise > pooled ? .above : .below)
    }

    /// Whether the median of `local` is within the two-sided `disagreement` quantiles of the
    /// median of as many block means under noise of mean `noise`: with m = ⌊n/2⌋, the sorted
    /// local[m] ≤ x exactly when at least m + 1 of the n blocks are, a binomial tail in the
    /// Gamma CDF F(x).
    func agrees(_ local: [Double], noise: Double) -> Bool {
        let n = local.count, m = n / 2
        let f = GammaFunctions.p(blockDof, blockDof * Self.median(local) / noise)
        let atOrBelow = Self.binomialTail(n: n, p: f, atLeast: m + 1)
        return atOrBelow > Self.disagreement && 1 - atOrBelow > Self.disagreement
    }

    /// Adds the blocks of a reading taken as the noise, forgetting the oldest beyond
    /// `capacity`. After `changeWindows` readings in a row that disagreed with the pool on the
    /// same side, the band's noise has changed: the pool is theirs alone (silent until it holds
    /// `minimumBlocks` again, the windows reading their own ends meanwhile). With 128 blocks
    /// and six a window, the pool alone took some 20 windows to follow a 6 dB rise, and windows
    /// in the middle of it read a third of the new noise.
    mutating func add(_ reading: Reading) {
        switch reading.verdict {
        case .above?, .below?:
            if reading.verdict != streakSide { streak = []; streakSide = reading.verdict }
            streak.append(reading.blocks)
            if streak.count >= Self.changeWindows {
                blocks = []
                next = 0
                let recent = streak
                streak = []
                streakSide = nil
                for window in recent { append(window) }
                return
            }
        case .agrees?:
            streak = []
            streakSide = nil
        case nil:
            break
        }
        append(reading.blocks)
    }

    private mutating func append(_ values: [Double]) {
        for value in values {
            if blocks.count < capacity {
                blocks.append(value)
            } else {
                blocks[next] = value
                next = (next + 1) % capacity
            }
        }
    }

    /// The upper middle of `values` (values[n/2] sorted), as the reference has always read it.
    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    /// P(Binomial(n, p) ≥ k), summed in logs (n runs to hundreds of blocks for a wide band).
    static func binomialTail(n: Int, p: Double, atLeast k: Int) -> Double {
        guard k > 0, p > 0 else { return k > 0 ? 0 : 1 }
        guard k <= n else { return 0 }
        guard p < 1 else { return 1 }
        let logP = log(p), logQ = log1p(-p), logN: Double = lgamma(Double(n + 1))
        var total = 0.0
        for j in k...n {
            let logChoose: Double = logN - lgamma(Double(j + 1)) - lgamma(Double(n - j + 1))
            total += exp(logChoose + Double(j) * logP + Double(n - j) * logQ)
        }
        return min(1, total)
    }
}
