/// How to estimate a power spectrum: Welch's method (1967) of averaged, windowed, overlapping
/// periodograms.
public struct WelchConfiguration: Sendable, Equatable, Codable {
    /// FFT length in samples (frequency resolution = rate / fftSize).
    public var fftSize: Int
    public var window: WindowKind
    /// Fraction of a segment shared with the next, 0 ≤ overlap < 1.
    public var overlap: Double
    /// Segments averaged into one spectrum.
    public var averages: Int
    /// Also compute per-bin max, min and median over the averaged segments.
    public var statistics: Bool
    /// Threads computing spectra (`ParallelWelchEstimator`); the result is the same bit for bit.
    public var threads: Int = 1
    /// Subtract each segment's mean before the window (scipy's `detrend='constant'`): a
    /// receiver's DC offset (LO leakage) then leaves no line at the centre, at the cost of
    /// whatever a signal has at exactly 0 Hz within one segment. Each segment's windowed mean
    /// is kept first (`PowerSpectrum.segmentMean`), for the audit's DC-step screen. The audit
    /// turns it on; `psd` and `detect` measure what the radio delivered, DC included, and pay
    /// for none of it.
    public var removeDC = false
    /// Keep each segment's periodogram (`PowerSpectrum.segments`): detect's burst timing and the
    /// audit's impairment screen read them. Off (and `statistics` off), only the mean is made and
    /// the pass after the FFT stores nothing per segment; `psd` needs no more.
    public var segmentRows = true

    /// How it is written and read: the threads are how it runs here, not what it measures; DC
    /// removal belongs to the audit, which sets it itself, and the rows to their readers.
    enum CodingKeys: String, CodingKey { case fftSize, window, overlap, averages, statistics }

    public init(fftSize: Int = 1024, window: WindowKind = .hann, overlap: Double = 0.5, averages: Int = 4, statistics: Bool = true) {
        self.fftSize = fftSize
        self.window = window
        self.overlap = overlap
        self.averages = averages
        self.statistics = statistics
    }

    /// Whether each segment's periodogram is stored (for `segments`, or for the statistics).
    public var keepsRows: Bool { segmentRows || statistics }

    /// Samples between the starts of consecutive segments.
    public var hop: Int { max(1, fftSize - Int((overlap * Double(fftSize)).rounded())) }

    /// Samples between the starts of consecutive spectra.
    public var spectrumHop: Int { hop * averages }

    /// Samples one spectrum spans.
    public var spectrumSpan: Int { (averages - 1) * hop + fftSize }

    public func validate() throws(SpectrumError) {
        guard fftSize >= 16, fftSize <= 1 << 20 else {
            throw .invalidConfiguration(field: "--fft", problem: "\(fftSize) must be 16…1048576")
        }
        guard overlap >= 0, overlap < 1 else {
            throw .invalidConfiguration(field: "--overlap", problem: "\(overlap) must be ≥ 0 and < 1")
        }
        guard averages >= 1, averages <= 4096 else {
            throw .invalidConfiguration(field: "--averages", problem: "\(averages) must be 1…4096")
        }
        guard (1...64).contains(threads) else {
            throw .invalidConfiguration(field: "--threads", problem: "\(threads) must be 1…64")
        }
    }
}
