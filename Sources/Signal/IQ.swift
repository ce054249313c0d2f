/// One complex baseband sample in CF32: two `Float`s, I then Q, laid out exactly like
/// FFTW's `fftwf_complex` and SoapySDR's `CF32`, so buffers pass to both without copying.
public struct IQ: Sendable, Hashable {
    public var i: Float
    public var q: Float

    @inlinable
    public init(i: Float, q: Float) {
        self.i = i
        self.q = q
    }

    /// Instantaneous power |x|², in full-scale units (1.0 = 0 dBFS).
    @inlinable
    public var power: Float { i * i + q * q }
}
