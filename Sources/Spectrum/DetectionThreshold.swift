import Foundation

/// A per-bin detection threshold derived from a false-alarm probability (DESIGN.md §7).
///
/// A bin of a spectrum averaging K segments holds, under noise alone, σ² times the mean of K
/// exponential variables: Gamma(K, 1/K), i.e. χ² with 2K degrees of freedom over 2K. With
/// overlapping segments the K are correlated: the statistic is then a weighted sum of K
/// exponentials (`init(pfa:cells:window:hop:averages:)`), whose variance a Gamma with an
/// effective K matches (Welch 1967) but whose far tail it does not. `pfa` is the probability of any false
/// detection among all the cells tested (bins × spectra); each cell is tested at the Šidák
/// level 1 − (1 − pfa)^(1/cells).
public struct DetectionThreshold: Sendable, Equatable {
    public let pfa: Double
    public let cells: Double
    public let effectiveAverages: Double
    /// Per-cell false-alarm probability.
    public let cellPfa: Double
    /// Detect when power > factor × noise power of the bin.
    public let factor: Double

    /// The threshold for a mean of `effectiveAverages` independent exponential terms (Gamma).
    public init(pfa: Double, cells: Double, effectiveAverages: Double) throws(SpectrumError) {
        try self.init(pfa: pfa, cells: cells, effectiveAverages: effectiveAverages, weights: nil)
    }

    /// The threshold for a Welch mean of `averages` segments `hop` apart under `window`, from
    /// the exact law of that mean under noise: Σ λᵢ Eᵢ / K with Eᵢ independent exponentials and
    /// λ the eigenvalues of the segments' correlation (`segmentWeights`), its tail by the
    /// Lugannani-Rice saddlepoint (within 1.5 % of the exact tail for Hann at 50 %, K = 4).
    /// The moment-matched Gamma is light there: at a cell pfa of 1e-6, 1e-8 and 1e-9 the exact
    /// tail at its threshold is 1.7, 2.6 and 3.3 times the pfa, and 100 noise-only recordings
    /// with `--pfa 0.01` gave 4 single-bin false emissions for an expected 1 (now 1).
    public init(pfa: Double, cells: Double, window: Window, hop: Int, averages: Int) throws(SpectrumError) {
        let weights = Self.segmentWeights(window: window, hop: hop, averages: averages)
        try self.init(pfa: pfa, cells: cells, effectiveAverages: Self.effectiveAverages(window: window, hop: hop, averages: averages),
                      weights: weights)
    }

    private init(pfa: Double, cells: Double, effectiveAverages: Double, weights: [Double]?) throws(SpectrumError) {
        guard pfa > 0, pfa < 1 else { throw .invalidConfiguration(field: "--pfa", problem: "\(pfa) must be between 0 and 1") }
        guard cells >= 1, effectiveAverages > 0 else {
            throw .invalidConfiguration(field: "threshold", problem: "needs at least one cell and a positive number of averages")
        }
        self.pfa = pfa
        self.cells = cells
        self.effectiveAverages = effectiveAverages
        cellPfa = -expm1(log1p(-pfa) / cells)
        if let weights {
            factor = Self.meanQuantile(weights: weights, tail: cellPfa)
        } else {
            factor = GammaFunctions.inverseQ(effectiveAverages, cellPfa) / effectiveAverages
        }
    }

    /// The x with P(Σ λᵢ Eᵢ / n > x) = tail, for n weights λ of mean 1: the saddlepoint quantile,
    /// or the Gamma's when the weights are equal (its exact law: segments that do not overlap,
    /// bins of a rectangular window).
    static func meanQuantile(weights: [Double], tail: Double) -> Double {
        let n = Double(max(1, weights.count))
        if let low = weights.min(), let high = weights.max(), high - low > 1e-9 {
            return weightedExponentialsQuantile(weights: weights, tail: tail) / n
        }
        return GammaFunctions.inverseQ(n, tail) / n
    }

    /// The eigenvalues of the correlation of `averages` segments `hop` apart (amplitudes of a
    /// bin: ρ(m) = `Window.overlapCorrelation(lag: m·hop)`), as the symbol of that banded
    /// Toeplitz matrix sampled at kπ/(K+1): 1 + 2 Σ ρ(m) cos(mkπ/(K+1)), exact when only
    /// neighbours overlap (50 % or less), and scaled to sum to K. A bin's power summed over
    /// the segments is Σ λᵢ Eᵢ under noise.
    public static func segmentWeights(window: Window, hop: Int, averages: Int) -> [Double] {
        let n = max(1, averages)
        var rho: [Double] = []
        var m = 1
        while m < n, m * hop < window.length {
            rho.append(window.overlapCorrelation(lag: m * hop))
            m += 1
        }
        return correlationEigenvalues(lags: rho, count: n, floor: 1e-6)
    }

    /// The eigenvalues of the n × n banded Toeplitz correlation matrix with ρ(0) = 1 and
    /// ρ(1), ρ(2), … = `lags`, as its symbol 1 + 2 Σ ρ(m) cos(mθ) sampled at θ = kπ/(n + 1),
    /// each at least `floor`, scaled to sum to n (their exact sum, the matrix's trace).
    static func correlationEigenvalues(lags rho: [Double], count n: Int, floor: Double) -> [Double] {
        let n = max(1, n)
        let raw = (1...n).map { k -> Double in
            let theta = Double(k) * Double.pi / Double(n + 1)
            var value = 1.0
            for (j, r) in rho.enumerated() { value += 2 * r * cos(Double(j + 1) * theta) }
            return max(floor, value)
        }
        let scale = Double(n) / raw.reduce(0, +)
        return raw.map { $0 * scale }
    }

    /// P(Σ λᵢ Eᵢ > x), Eᵢ independent unit exponentials: the Lugannani-Rice saddlepoint
    /// approximation, for x above the mean (the far tail thresholds live in).
    static func weightedExponentialsTail(_ x: Double, weights: [Double]) -> Double {
        let mean = weights.reduce(0, +)
        guard x > mean * (1 + 1e-9) else { return 0.5 }
        let top = weights.max() ?? 1
        func derivative(_ t: Double) -> Double { weights.reduce(0) { $0 + $1 / (1 - $1 * t) } }
        // K'(t) rises from the mean at t = 0 to infinity at 1/max λ: bisect.
        var low = 0.0, high = 1 / top
        for _ in 0..<200 {
            let mid = (low + high) / 2
            if derivative(mid) < x { low = mid } else { high = mid }
        }
        let t = (low + high) / 2
        let cumulant = weights.reduce(0) { $0 - log1p(-$1 * t) }
        let second = weights.reduce(0) { $0 + $1 * $1 / ((1 - $1 * t) * (1 - $1 * t)) }
        let w = (2 * (t * x - cumulant)).squareRoot(), u = t * second.squareRoot()
        let density = exp(-w * w / 2) / (2 * Double.pi).squareRoot()
        return erfc(w / 2.squareRoot()) / 2 + density * (1 / u - 1 / w)
    }

    /// The x with P(Σ λᵢ Eᵢ > x) = tail (tail < ½): bisection on a log scale.
    static func weightedExponentialsQuantile(weights: [Double], tail: Double) -> Double {
        let mean = weights.reduce(0, +)
        var low = mean, high = mean * 2
        while weightedExponentialsTail(high, weights: weights) > tail { high *= 2 }
        for _ in 0..<100 {
            let mid = (low + high) / 2
            if weightedExponentialsTail(mid, weights: weights) > tail { low = mid } else { high = mid }
        }
        return (low + high) / 2
    }

    /// The effective number of independent averages of a Welch estimate.
    public static func effectiveAverages(window: Window, hop: Int, averages: Int) -> Double {
        let squares = (0..<max(1, averages)).map { j -> Double in
            guard j > 0 else { return 1 }
            let rho = window.overlapCorrelation(lag: j * hop)
            return rho * rho
        }
        return GammaFunctions.shapeOfSum(count: max(1, averages), correlationSquares: squares)
    }

    /// The q-quantile of the noise-only statistic in units of σ² (e.g. its median for q = ½),
    /// which turns an observed quantile of bin powers into a noise power.
    public static func noiseQuantile(_ q: Double, effectiveAverages k: Double) -> Double {
        GammaFunctions.inverseQ(k, 1 - q) / k
    }

    /// Predicted probability of detecting a steady signal whose power in the bin is `snr` times
    /// the noise power (noncentral χ², Marcum Q), for independent segments.
    public func detectionProbability(snr: Double) -> Double {
        let k = effectiveAverages
        return GammaFunctions.noncentralChiSquareTail(dof: 2 * k, noncentrality: 2 * k * snr, x: 2 * k * factor)
    }
}
