import Foundation

/// A per-bin detection threshold derived from a false-alarm probability (DESIGN.md §7).
///
/// A bin of a spectrum averaging K segments holds, under noise alone, σ² times the mean of K
/// exponential variables: Gamma(K, 1/K), i.e. χ² with 2K degrees of freedom over 2K. With
/// overlapping segments the K are correlated; the statistic is then matched by a Gamma with the
/// effective K that has the same variance (Welch 1967). `pfa` is the probability of any false
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

    public init(pfa: Double, cells: Double, effectiveAverages: Double) throws(SpectrumError) {
        guard pfa > 0, pfa < 1 else { throw .invalidConfiguration(field: "--pfa", problem: "\(pfa) must be between 0 and 1") }
        guard cells >= 1, effectiveAverages > 0 else {
            throw .invalidConfiguration(field: "threshold", problem: "needs at least one cell and a positive number of averages")
        }
        self.pfa = pfa
        self.cells = cells
        self.effectiveAverages = effectiveAverages
        cellPfa = -expm1(log1p(-pfa) / cells)
        factor = GammaFunctions.inverseQ(effectiveAverages, cellPfa) / effectiveAverages
    }

    /// The effective number of independent averages of a Welch estimate.
    public static func effectiveAverages(window: Window, hop: Int, averages: Int) -> Double {
        var denominator = 1.0
        for j in 1..<max(1, averages) {
            let rho = window.overlapCorrelation(lag: j * hop)
            denominator += 2 * (1 - Double(j) / Double(averages)) * rho * rho
        }
        return Double(averages) / denominator
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
