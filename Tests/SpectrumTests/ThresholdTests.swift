import Foundation
import Testing
import TestSupport
@testable import Signal
@testable import Spectrum

@Suite("Gamma functions and thresholds")
struct ThresholdTests {
    @Test("Incomplete gamma and its inverse agree with scipy", .enabled(if: Oracle.sigmf))
    func gammaAgainstScipy() throws {
        let cases: [(Double, Double)] = [(1, 0.5), (1, 20), (4, 2.5), (4, 30), (8.5, 3), (16, 40), (100, 90), (0.5, 1e-3)]
        let script = """
            import sys, json
            from scipy.special import gammaincc, gammainccinv
            from scipy.stats import ncx2
            cases = json.loads(sys.argv[1])
            print(json.dumps([[gammaincc(a, x), gammainccinv(a, 1e-6), ncx2.sf(30, 2 * a, 10)] for a, x in cases]))
            """
        let json = "[" + cases.map { "[\($0.0), \($0.1)]" }.joined(separator: ",") + "]"
        let output = try Oracle.script(script, [json])
        let reference = try JSONDecoder().decode([[Double]].self, from: Data(output.utf8))
        for ((a, x), expected) in zip(cases, reference) {
            #expect(abs(GammaFunctions.q(a, x) - expected[0]) <= 1e-10 + 1e-9 * expected[0], "Q(\(a), \(x))")
            #expect(abs(GammaFunctions.inverseQ(a, 1e-6) - expected[1]) / expected[1] < 1e-9, "Q⁻¹(\(a), 1e-6)")
            let tail = GammaFunctions.noncentralChiSquareTail(dof: 2 * a, noncentrality: 10, x: 30)
            #expect(abs(tail - expected[2]) <= 1e-9 + 1e-7 * expected[2], "ncx2 sf for dof \(2 * a)")
        }
    }

    @Test("A band of adjacent Hann bins: its weights are the eigenvalues of the bins' correlation (numpy), and its tail quantile holds in a simulation",
          .enabled(if: Oracle.sigmf))
    func bandWeightsAgainstNumpy() throws {
        let g = 64
        let weights = Window(.hann, length: 1024).bandWeights(adjacentBins: g)
        // numpy: the exact eigenvalues of the banded Toeplitz correlation (ρ = −2/3, 1/6), sum
        // scaled to g; and the share of 400 000 draws of Σ λᵢ Eᵢ over our quantile at 1e-3.
        let quantile = DetectionThreshold.weightedExponentialsQuantile(weights: weights, tail: 1e-3)
        let script = """
            import sys, json
            import numpy as np
            g, x = int(sys.argv[1]), float(sys.argv[2])
            R = np.eye(g) + np.diag(np.full(g - 1, -2 / 3), 1) + np.diag(np.full(g - 1, -2 / 3), -1) \\
                + np.diag(np.full(g - 2, 1 / 6), 2) + np.diag(np.full(g - 2, 1 / 6), -2)
            ev = np.sort(np.linalg.eigvalsh(R)); ev = ev * g / ev.sum()
            rng = np.random.default_rng(5)
            hits = sum(int(((rng.exponential(size=(40000, g)) * ev).sum(1) > x).sum()) for _ in range(10))
            print(json.dumps({"eigenvalues": ev.tolist(), "tail": hits / 400000}))
            """
        struct Result: Decodable { var eigenvalues: [Double]; var tail: Double }
        let result = try JSONDecoder().decode(Result.self, from: Data(try Oracle.script(script, [String(g), String(quantile)]).utf8))
        let ours = weights.sorted()
        #expect(ours.count == result.eigenvalues.count)
        let worst = zip(ours, result.eigenvalues).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst < 0.02, "largest difference from the exact eigenvalues \(worst)")
        // 400 draws expected at 1e-3 (±20 at one σ).
        #expect(abs(result.tail / 1e-3 - 1) < 0.15, "simulated tail \(result.tail) at our 1e-3 quantile")
        // The Gamma of the same variance is lighter: its quantile sits below the exact one.
        let k = Window(.hann, length: 1024).degreesOfFreedom(adjacentBins: g)
        #expect(GammaFunctions.inverseQ(k, 1e-7) / k < DetectionThreshold.weightedExponentialsQuantile(weights: weights, tail: 1e-7) / Double(g))
    }

    @Test("Thresholds follow the closed form: exponential noise for one average")
    func singleAverage() throws {
        let threshold = try DetectionThreshold(pfa: 1e-3, cells: 1, effectiveAverages: 1)
        #expect(abs(threshold.factor - log(1000)) < 1e-9)  // P(exp(1) > τ) = e^−τ
        let family = try DetectionThreshold(pfa: 0.01, cells: 1000, effectiveAverages: 1)
        #expect(abs(1 - pow(1 - family.cellPfa, 1000) - 0.01) < 1e-12)
    }

    @Test("Overlap reduces the effective number of averages as Welch computed")
    func effectiveAverages() {
        let hann = Window(.hann, length: 1024)
        // Welch (1967): Hann at 50 % overlap correlates neighbours by ρ = 1/6, ρ² ≈ 0.028.
        #expect(abs(hann.overlapCorrelation(lag: 512) - 1.0 / 6) < 1e-3)
        #expect(DetectionThreshold.effectiveAverages(window: hann, hop: 1024, averages: 8) == 8)
        let k = DetectionThreshold.effectiveAverages(window: hann, hop: 512, averages: 8)
        #expect(k > 7.6 && k < 7.7)
    }

    @Test("A band of adjacent bins of one windowed segment carries the degrees of freedom its bins' correlation leaves",
          arguments: [WindowKind.hann, .rectangular, .blackmanHarris])
    func bandDegreesOfFreedom(kind: WindowKind) throws {
        let n = 1024, g = 64
        let window = Window(kind, length: n)
        // Closed forms: one bin is one exponential term; rectangular bins are independent;
        // Hann's bins correlate by -2/3 and 1/6 (powers by 4/9 and 1/36), so two bins carry
        // 4 / (2 + 2·4/9) and a wide band g²/(g + 2(g−1)·4/9 + 2(g−2)/36).
        #expect(abs(window.degreesOfFreedom(adjacentBins: 1) - 1) < 1e-9)
        if kind == .rectangular { #expect(abs(window.degreesOfFreedom(adjacentBins: g) - Double(g)) < 1e-9) }
        if kind == .hann {
            #expect(abs(window.degreesOfFreedom(adjacentBins: 2) - 4 / (2 + 8.0 / 9)) < 1e-9)
            let wide = Double(g * g) / (Double(g) + 2 * Double(g - 1) * 4 / 9 + 2 * Double(g - 2) / 36)
            #expect(abs(window.degreesOfFreedom(adjacentBins: g) - wide) < 1e-9)
        }
        // Against simulation: windowed segments of white noise, the power of bins 100-163
        // summed; the Gamma shape is mean² / variance (3000 segments: ±5 %).
        let plan = try FFTPlan(size: n, effort: .estimate)
        var random = SeededRandom(seed: 31)
        var sums: [Double] = []
        for _ in 0..<3000 {
            for t in 0..<n {
                plan.input[2 * t] = Float(random.nextGaussian()) * window.coefficients[t]
                plan.input[2 * t + 1] = Float(random.nextGaussian()) * window.coefficients[t]
            }
            plan.execute()
            sums.append((100..<(100 + g)).reduce(0.0) { $0 + Double(plan.output[2 * $1] * plan.output[2 * $1] + plan.output[2 * $1 + 1] * plan.output[2 * $1 + 1]) })
        }
        let mean = sums.reduce(0, +) / Double(sums.count)
        let variance = sums.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(sums.count - 1)
        let measured = mean * mean / variance, predicted = window.degreesOfFreedom(adjacentBins: g)
        #expect(abs(measured / predicted - 1) < 0.08, "measured \(measured), predicted \(predicted)")
        // The noise bandwidth's count (g/1.5 for Hann) is 20 % too many for Hann.
        if kind == .hann { #expect(Double(g) / window.equivalentNoiseBandwidthBins > 1.15 * measured) }
    }

    @Test("Overlapping segments: the threshold comes from the exact law of their mean, a weighted sum of exponentials")
    func overlappingSegmentsTail() throws {
        let hann = Window(.hann, length: 1024)
        // Hann at 50 %: only neighbours overlap (ρ = 1/6), so the weights are the eigenvalues of
        // a tridiagonal Toeplitz matrix, 1 + (1/3) cos(kπ/5).
        let weights = DetectionThreshold.segmentWeights(window: hann, hop: 512, averages: 4)
        for (k, w) in weights.enumerated() {
            #expect(abs(w - (1 + 2 * hann.overlapCorrelation(lag: 512) * cos(Double(k + 1) * Double.pi / 5))) < 1e-9)
        }
        // Against the exact tail (partial fractions, distinct weights): P(S > x) =
        // Σᵢ Πⱼ≠ᵢ λᵢ/(λᵢ − λⱼ) e^(−x/λᵢ). The saddlepoint is within 3 %.
        func exact(_ x: Double) -> Double {
            weights.indices.reduce(0) { total, i in
                total + weights.indices.filter { $0 != i }.reduce(1.0) { $0 * weights[i] / (weights[i] - weights[$1]) } * exp(-x / weights[i])
            }
        }
        for x in [15.0, 20, 25, 30] {
            let approximate = DetectionThreshold.weightedExponentialsTail(x, weights: weights)
            #expect(abs(approximate / exact(x) - 1) < 0.03, "x \(x): \(approximate) vs \(exact(x))")
        }
        // The threshold meets the cell pfa under the exact law; the moment-matched Gamma's does not.
        let threshold = try DetectionThreshold(pfa: 1e-3, cells: 1e5, window: hann, hop: 512, averages: 4)
        #expect(abs(exact(4 * threshold.factor) / threshold.cellPfa - 1) < 0.03)
        let gamma = try DetectionThreshold(pfa: 1e-3, cells: 1e5, effectiveAverages: threshold.effectiveAverages)
        #expect(exact(4 * gamma.factor) > 2 * gamma.cellPfa)
        // Segments that do not overlap: equal weights, the Gamma, exactly.
        let apart = try DetectionThreshold(pfa: 1e-3, cells: 1e5, window: hann, hop: 1024, averages: 4)
        #expect(abs(apart.factor - GammaFunctions.inverseQ(4, apart.cellPfa) / 4) < 1e-12)
    }
}
