/// Deterministic fixed-point arithmetic for the one formula that needs `ln` and `e^x`, the
/// priority index (DESIGN.md section 6): integers only, so every node on every platform orders
/// demands the same way. Values are scaled by 10^18 in `Int128`; results are pinned by test
/// vectors against Python's `math`.
public enum FixedPoint {
    /// 1.0 at the working scale.
    public static let one: Int128 = 1_000_000_000_000_000_000
    /// ln 2 × 10^18, rounded.
    static let ln2: Int128 = 693_147_180_559_945_309

    /// ln(y) × 10^18 for an integer y ≥ 1: y = 2^k·m with m in [1, 2), ln m by the atanh series
    /// ln m = 2 (z + z³/3 + z⁵/5 + …), z = (m − 1)/(m + 1) ≤ 1/3.
    public static func ln(_ y: Int64) -> Int128 {
        precondition(y >= 1, "ln needs y ≥ 1")
        let k = 63 - y.leadingZeroBitCount
        let m = (Int128(y) * one) >> k  // (`>>` binds tighter than `*` in Swift)
        let z = (m - one) * one / (m + one), z2 = z * z / one
        var sum: Int128 = 0, term = z, n: Int128 = 1
        while term != 0 {
            sum += term / n
            term = term * z2 / one
            n += 2
        }
        return Int128(k) * ln2 + 2 * sum
    }

    /// e^x × 10^18 for x (scaled by 10^18) in [−40, 40]: x = k·ln 2 + f, |f| ≤ ln 2 / 2, Taylor
    /// series for e^f, then a shift by k.
    public static func exp(_ x: Int128) -> Int128 {
        let limit = 40 * one
        let x = min(max(x, -limit), limit)
        let k = (x >= 0 ? x + ln2 / 2 : x - ln2 / 2) / ln2
        let f = x - k * ln2
        var sum = one, term = one, n: Int128 = 1
        while term != 0 {
            term = term * f / one / n
            sum += term
            n += 1
        }
        return k >= 0 ? sum << Int(k) : sum >> Int(-k)
    }

    /// The logistic function 1 / (1 + e^(−u)) × 10^18, u scaled by 10^18.
    public static func sigmoid(_ u: Int128) -> Int128 { one * one / (one + exp(-u)) }
}

/// The priority index of a demand (BEAST step 3, additive reading of DESIGN.md section 6):
/// `Pr = 1 / (1 + ln(1 + r)) + ω / (1 + e^(−(TV − Trth)/s))`, in billionths.
public enum PriorityIndex {
    /// - Parameters:
    ///   - rank: arrival rank in the round, 0 for the first.
    ///   - trustMilli: the demander's trust, thousandths.
    ///   - thresholdMilli: `Trth`, thousandths.
    ///   - omegaMilli: ω in [0, 1], thousandths.
    ///   - scaleMilli: s > 0, thousandths.
    public static func nano(rank: Int64, trustMilli: Int64, thresholdMilli: Int64, omegaMilli: Int64, scaleMilli: Int64) -> Int64 {
        let one = FixedPoint.one
        let arrival = one * one / (one + FixedPoint.ln(1 + rank))
        let u = Int128(trustMilli - thresholdMilli) * one / Int128(scaleMilli)
        let trust = Int128(omegaMilli) * FixedPoint.sigmoid(u) / 1000
        return Int64((arrival + trust + 500_000_000) / 1_000_000_000)
    }
}
