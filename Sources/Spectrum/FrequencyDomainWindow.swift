import CSpectrumKernels

/// A cosine-sum window applied after the transform instead of before it.
///
/// Multiplying a segment by w[n] = Σₖ (−1)ᵏ aₖ cos(2πkn/N) is, in the DFT, the circular
/// convolution X_w[m] = a₀X[m] + Σₖ₌₁ (−1)ᵏ (aₖ/2)(X[m−k] + X[m+k]): Hann is three taps,
/// Blackman-Harris seven, flat-top nine. The transform then reads the samples where they lie
/// (no windowed copy), and windowing, |X|², scaling, fftshift and the running sum become one
/// pass over the bins. Exact in exact arithmetic; in float it agrees with windowing first to
/// within the transform's own rounding.
struct FrequencyDomainWindow: Sendable {
    /// c₀ … c_reach, each × √scale so that |Σ cⱼX|² is already the power per bin.
    let taps: [Float]
    var reach: Int { taps.count - 1 }
    /// The taps for `squares`, divided by c₁ (the kernel takes c₁ as 1 and saves a multiply),
    /// and what their sums are multiplied by to be power: c₁² (the taps and 1 when c₁ is 0).
    private let squareTaps: [Float]
    let squareScale: Float

    /// - Parameter scale: what |X_w|² is multiplied by (1 / (N Σw²) gives power per bin).
    init(_ kind: WindowKind, scale: Double) {
        let root = scale.squareRoot()
        let exact = kind.binTaps.map { $0 * root }
        taps = exact.map { Float($0) }
        if exact.count > 1, exact[1] != 0 {
            squareTaps = exact.map { Float($0 / exact[1]) }
            squareScale = Float(exact[1] * exact[1])
        } else {
            squareTaps = taps
            squareScale = 1
        }
    }

    /// The window-weighted mean Σ w[n]x[n] / Σ w[n] of the segment whose transform is `bins`
    /// (N complex values, unwrapped): the windowed bin 0, so that a constant reads as itself
    /// and a carrier a few bins away leaks in only through the window's sidelobes.
    func windowedMean(_ bins: UnsafePointer<Float>, count n: Int) -> (re: Float, im: Float) {
        var re = taps[0] * bins[0], im = taps[0] * bins[1]
        for j in stride(from: 1, through: reach, by: 1) {
            re += taps[j] * (bins[2 * j] + bins[2 * (n - j)])
            im += taps[j] * (bins[2 * j + 1] + bins[2 * (n - j) + 1])
        }
        let norm = 1 / (taps[0] * Float(n))
        return (re * norm, im * norm)
    }

    /// Writes the circular neighbours either side of `bins` (N complex values with at least
    /// `reach` complex values of writable padding each side): X[−j] = X[N−j], X[N−1+j] = X[j−1].
    func wrap(_ bins: UnsafeMutablePointer<Float>, count n: Int) {
        for j in stride(from: 1, through: reach, by: 1) {
            bins[-2 * j] = bins[2 * (n - j)]
            bins[-2 * j + 1] = bins[2 * (n - j) + 1]
            bins[2 * (n - 1 + j)] = bins[2 * (j - 1)]
            bins[2 * (n - 1 + j) + 1] = bins[2 * (j - 1) + 1]
        }
    }

    /// Power of `count` windowed bins from `bins` (neighbours readable) into `row`, and added
    /// to `sum` (stored there when `first`).
    func power(_ bins: UnsafePointer<Float>, count: Int, into row: UnsafeMutablePointer<Float>,
               sum: UnsafeMutablePointer<Float>, first: Bool) {
        taps.withUnsafeBufferPointer { c in
            trustband_windowed_power(bins, Int32(count), c.baseAddress, Int32(reach), row, sum, first ? 1 : 0)
        }
    }

    /// The squares of `count` windowed bins' real and imaginary parts, apart, into `sums`
    /// (2 × count floats; stored when `first`, added otherwise), each / `squareScale`. The 8
    /// complex values either side of the bins must be readable.
    func squares(_ bins: UnsafePointer<Float>, count: Int, into sums: UnsafeMutablePointer<Float>, first: Bool) {
        squareTaps.withUnsafeBufferPointer { c in
            trustband_windowed_squares(bins, Int32(count), c.baseAddress, Int32(reach), sums, first ? 1 : 0)
        }
    }
}
