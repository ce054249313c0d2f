import Foundation

/// The regularized incomplete gamma functions and the noncentral χ² tail: the closed forms that
/// detection thresholds and detection probabilities come from (Numerical Recipes §6.2).
public enum GammaFunctions {
    /// P(a, x) = γ(a, x)/Γ(a), the CDF of a Gamma(a, 1) variable at x.
    public static func p(_ a: Double, _ x: Double) -> Double {
        precondition(a > 0, "shape must be positive")
        if x <= 0 { return 0 }
        return x < a + 1 ? series(a, x) : 1 - continuedFraction(a, x)
    }

    /// Q(a, x) = 1 − P(a, x), the upper tail, accurate far into it.
    public static func q(_ a: Double, _ x: Double) -> Double {
        precondition(a > 0, "shape must be positive")
        if x <= 0 { return 1 }
        return x < a + 1 ? 1 - series(a, x) : continuedFraction(a, x)
    }

    /// The Gamma shape (mean² / variance) of a sum of `count` consecutive unit exponential
    /// terms whose pairs `a` apart have power correlation `correlationSquares[a]` (index 0 is 1;
    /// lags past the end are uncorrelated): count² / Σ_{|a|<count} (count − |a|) r(a)².
    /// A band envelope's block mean, a Welch mean of overlapping segments, a band of adjacent
    /// windowed bins.
    static func shapeOfSum(count: Int, correlationSquares: [Double]) -> Double {
        var variance = 0.0
        for a in 0..<min(count, correlationSquares.count) {
            variance += Double(a == 0 ? 1 : 2) * Double(count - a) * correlationSquares[a]
        }
        return Double(count) * Double(count) / variance
    }

    /// The x with Q(a, x) = tail (0 < tail < 1): bisection on a bracket, then Newton steps.
    public static func inverseQ(_ a: Double, _ tail: Double) -> Double {
        precondition(tail > 0 && tail < 1, "tail probability must be in (0, 1)")
        var low = 0.0, high = max(1.0, a)
        while q(a, high) > tail { high *= 2 }
        for _ in 0..<200 {
            let mid = (low + high) / 2
            if q(a, mid) > tail { low = mid } else { high = mid }
            if high - low <= 1e-12 * high { break }
        }
        return (low + high) / 2
    }

    /// P(X > x) for X noncentral χ² with `dof` degrees of freedom and noncentrality λ: a
    /// Poisson(λ/2) mixture of central χ² tails. With dof = 2K this is Marcum's Q_K(√λ, √x).
    public static func noncentralChiSquareTail(dof: Double, noncentrality lambda: Double, x: Double) -> Double {
        if lambda <= 0 { return q(dof / 2, x / 2) }
        let mean = lambda / 2
        let spread = 12 * mean.squareRoot() + 12
        let first = max(0, Int(mean - spread)), last = Int(mean + spread)
        var total = 0.0
        for j in first...last {
            let logWeight = -mean + Double(j) * log(mean) - lgamma(Double(j) + 1)
            total += exp(logWeight) * q(dof / 2 + Double(j), x / 2)
        }
        return min(1, total)
    }

    private static func series(_ a: Double, _ x: Double) -> Double {
        var term = 1 / a, sum = term, ap = a
        for _ in 0..<10_000 {
            ap += 1
            term *= x / ap
            sum += term
            if abs(term) < abs(sum) * 1e-16 { break }
        }
        return sum * exp(-x + a * log(x) - lgamma(a))
    }

    private static func continuedFraction(_ a: Double, _ x: Double) -> Double {
        let tiny = 1e-300
        var b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d
        for i in 1..<10_000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return exp(-x + a * log(x) - lgamma(a)) * h
    }
}
