import Foundation

/// Spectral windows, periodic ("DFT-even") as `scipy.signal.get_window` makes them for spectral
/// analysis. Hann is the default; Blackman-Harris for dynamic range; flat-top for amplitude
/// accuracy of tones (its scalloping loss is under 0.01 dB).
public enum WindowKind: String, Sendable, CaseIterable, Codable {
    case rectangular
    case hann
    case blackmanHarris = "blackmanharris"
    case flatTop = "flattop"

    /// Cosine-sum coefficients a₀, a₁, … (w[n] = Σ (−1)ᵏ aₖ cos(2πkn/N)), as scipy defines them.
    var cosineCoefficients: [Double] {
        switch self {
        case .rectangular: return [1]
        case .hann: return [0.5, 0.5]
        case .blackmanHarris: return [0.35875, 0.48829, 0.14128, 0.01168]
        case .flatTop: return [0.21557895, 0.41663158, 0.277263158, 0.083578947, 0.006947368]
        }
    }

    /// The window as a convolution of the bins, c₀ … c_r (c₋ₖ = cₖ): c₀ = a₀,
    /// cₖ = (−1)ᵏ aₖ / 2 (`FrequencyDomainWindow`).
    var binTaps: [Double] {
        cosineCoefficients.enumerated().map { k, a in k == 0 ? a : (k % 2 == 0 ? 1 : -1) * a / 2 }
    }

    /// Parses a window name as scipy spells it (`hann`, `blackmanharris`, `flattop`, `boxcar`).
    public init(parsing name: String) throws(SpectrumError) {
        switch name.lowercased() {
        case "hann", "hanning": self = .hann
        case "blackmanharris", "blackman-harris": self = .blackmanHarris
        case "flattop", "flat-top": self = .flatTop
        case "rectangular", "boxcar", "rect": self = .rectangular
        default: throw .invalidConfiguration(field: "--window", problem: "unknown window '\(name)' (hann, blackmanharris, flattop, rectangular)")
        }
    }
}

/// A window's coefficients and the sums that scale spectra correctly.
public struct Window: Sendable, Equatable {
    public let kind: WindowKind
    public let coefficients: [Float]
    /// Σ w[n]: coherent gain × N (tones).
    public let sum: Double
    /// Σ w[n]²: noise gain (densities).
    public let sumOfSquares: Double

    public init(_ kind: WindowKind, length: Int) {
        self.kind = kind
        let a = kind.cosineCoefficients
        let values = (0..<length).map { n -> Double in
            var w = 0.0
            for (k, ak) in a.enumerated() {
                w += (k % 2 == 0 ? 1 : -1) * ak * cos(2 * Double.pi * Double(k * n) / Double(length))
            }
            return w
        }
        coefficients = values.map { Float($0) }
        let asFloat = coefficients.map(Double.init)
        sum = asFloat.reduce(0, +)
        sumOfSquares = asFloat.reduce(0) { $0 + $1 * $1 }
    }

    public var length: Int { coefficients.count }

    /// Equivalent noise bandwidth in bins: N Σw² / (Σw)² (1.5 for Hann).
    public var equivalentNoiseBandwidthBins: Double { Double(length) * sumOfSquares / (sum * sum) }

    /// Degrees of freedom (the Gamma shape with the same mean and variance) of the power summed
    /// over `g` adjacent bins of one windowed segment of white noise. The window is a
    /// convolution of the bins (`FrequencyDomainWindow`: taps c), so neighbouring bins are
    /// correlated, ρ(a) = Σ c_j c_{j+a} / Σ c_j², and their powers by ρ(a)²:
    /// g² / Σ_{|a|<g} (g − |a|) ρ(a)². For Hann (ρ = −2/3, 1/6) one bin is 1, and a wide band
    /// of g bins g/1.94 (18g/35), not g/1.5 (the noise bandwidth).
    public func degreesOfFreedom(adjacentBins g: Int) -> Double {
        GammaFunctions.shapeOfSum(count: g, correlationSquares: binCorrelation.map { $0 * $0 })
    }

    /// ρ(a) = Σ c_j c_{j+a} / Σ c_j² of the window's bin taps, for a = 0, 1, … (ρ(0) = 1).
    private var binCorrelation: [Double] {
        let half = kind.binTaps, taps = half.dropFirst().reversed() + half
        let energy = taps.reduce(0) { $0 + $1 * $1 }
        return (0..<taps.count).map { lag -> Double in
            var r = 0.0
            for j in 0..<(taps.count - lag) { r += taps[j] * taps[j + lag] }
            return r / energy
        }
    }

    /// The exact law of that power under noise: Σ λᵢ Eᵢ over independent unit exponentials,
    /// λ the eigenvalues of the g bins' correlation (a banded Toeplitz matrix of ρ(a)), as its
    /// symbol 1 + 2 Σ ρ(a) cos(aθ) sampled at θ = iπ/(g + 1), scaled to sum to g. For Hann they
    /// run from 0 to 2.7 × their mean, and the far tail is heavier than the Gamma's with
    /// `degreesOfFreedom` (g = 64: 1.9, 2.9 and 3.6 × at 1e-6, 1e-8 and 1e-9).
    public func bandWeights(adjacentBins g: Int) -> [Double] {
        DetectionThreshold.correlationEigenvalues(lags: Array(binCorrelation.dropFirst()), count: g, floor: 1e-9)
    }

    /// Correlation of the windowed noise in two segments `lag` samples apart (Welch 1967):
    /// Σ w[n] w[n+lag] / Σ w². Zero once segments stop overlapping.
    public func overlapCorrelation(lag: Int) -> Double {
        guard lag < length else { return 0 }
        var s = 0.0
        for n in 0..<(length - lag) { s += Double(coefficients[n]) * Double(coefficients[n + lag]) }
        return s / sumOfSquares
    }
}
