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
}
