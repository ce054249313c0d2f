import CSpectrumKernels
import Foundation
import Signal

/// Streams blocks of CF32 into Welch power spectra: FFT (FFTW, reading each segment where it
/// lies), window (as a convolution of the bins, `FrequencyDomainWindow`), |X|², averaged over
/// `averages` segments, with per-bin statistics. The per-bin loops are C kernels compiled for
/// several instruction sets (`CSpectrumKernels`). Segments run across block boundaries; a gap
/// in the stream (a block marked `discontinuity`, or one that does not follow on) restarts
/// the average, so no spectrum ever mixes samples from both sides of a gap.
///
/// Everything is allocated in `init`; `process` allocates nothing.
public final class WelchEstimator {
    public let configuration: WelchConfiguration
    public let window: Window
    public let spectrum: PowerSpectrum
    private let plan: FFTPlan
    private let size: Int
    private let hop: Int
    private let windowing: FrequencyDomainWindow
    /// Segments that straddle blocks are gathered here (64-byte aligned, as FFTW's plan is).
    private let staging: UnsafeMutablePointer<IQ>
    private var stagingCount = 0
    /// Stream index of `staging[0]` (or of the next sample when staging is empty).
    private var stagingStart: Int64 = 0
    private var segmentsDone = 0
    private let sorter: SortingNetwork
    /// Without rows: the running sums of each bin's squared real and imaginary parts, apart
    /// (2 × size floats, 64-byte aligned), added into the mean once per spectrum.
    private let squares: UnsafeMutablePointer<Float>?
    /// Shared by every spectrum this estimator finishes (one thread at a time uses an estimator).
    private let sortScratch: UnsafeMutablePointer<Float>
    private var timeAnchor: (time: Timestamp, index: Int64)?
    private var pendingDiscontinuity = false
    private var started = false

    public init(configuration: WelchConfiguration, sampleRate: Double) throws(SpectrumError) {
        try configuration.validate()
        guard sampleRate.isFinite, sampleRate > 0 else {
            throw .invalidConfiguration(field: "sample rate", problem: "\(sampleRate) is not a sample rate")
        }
        self.configuration = configuration
        size = configuration.fftSize
        hop = configuration.hop
        window = Window(configuration.window, length: size)
        // |X_w|² / (N Σw²): power per bin, so that white noise of power σ² reads σ²/N in each bin.
        windowing = FrequencyDomainWindow(configuration.window, scale: 1 / (Double(size) * window.sumOfSquares))
        // Room either side of the bins for the window's reach, and for the whole vectors the
        // row-less pass loads there (8 complex values; 8 also keeps the bins 64-byte aligned).
        plan = try FFTPlan(size: size, outputPadding: 8)
        spectrum = PowerSpectrum(binCount: size, sampleRate: sampleRate, averages: configuration.averages, segmentHop: hop)
        staging = UnsafeMutableRawPointer.allocate(byteCount: size * MemoryLayout<IQ>.stride, alignment: 64)
            .bindMemory(to: IQ.self, capacity: size)
        sorter = SortingNetwork(count: configuration.averages)
        sortScratch = .allocate(capacity: configuration.averages * size)
        squares = configuration.keepsRows ? nil
            : UnsafeMutableRawPointer.allocate(byteCount: 2 * size * MemoryLayout<Float>.stride, alignment: 64)
                .bindMemory(to: Float.self, capacity: 2 * size)
    }

    deinit {
        staging.deallocate()
        sortScratch.deallocate()
        squares?.deallocate()
    }

    /// The instruction set the per-bin kernels run with on this CPU ("avx512f", "avx2", "baseline").
    public static var kernelInstructionSet: String { String(cString: trustband_kernel_isa()) }

    /// Forgets partial segments and averages (after a retune, or to start over).
    public func reset() {
        stagingCount = 0
        segmentsDone = 0
        started = false
        timeAnchor = nil
    }

    /// Feeds one block; calls `body` with each spectrum completed by it.
    public func process<E: Error>(_ samples: UnsafeBufferPointer<IQ>, info: BlockInfo,
                                  _ body: (PowerSpectrum) throws(E) -> Void) throws(E) {
        guard !samples.isEmpty else { return }
        let expected = stagingStart + Int64(stagingCount)
        if !started || info.discontinuity || info.sampleIndex != expected {
            if started { pendingDiscontinuity = true }
            stagingCount = 0
            segmentsDone = 0
            stagingStart = info.sampleIndex
            started = true
        }
        if let time = info.time { timeAnchor = (time, info.sampleIndex) }
        spectrum.centerFrequency = info.centerFrequency
        let base = samples.baseAddress!
        var position = 0
        while position < samples.count {
            if stagingCount > 0 {
                let take = min(size - stagingCount, samples.count - position)
                (staging + stagingCount).update(from: base + position, count: take)
                stagingCount += take
                position += take
                guard stagingCount == size else { break }
                try analyse(UnsafePointer(staging), startingAt: stagingStart, body)
                let keep = size - hop
                if position >= keep {
                    // What staging still holds is in this block: carry on from the block itself.
                    stagingStart += Int64(hop)
                    position -= keep
                    stagingCount = 0
                } else {
                    staging.update(from: staging + hop, count: keep)
                    stagingCount = keep
                    stagingStart += Int64(hop)
                }
            } else {
                while samples.count - position >= size {
                    try analyse(base + position, startingAt: stagingStart, body)
                    position += hop
                    stagingStart += Int64(hop)
                }
                let rest = samples.count - position
                staging.update(from: base + position, count: rest)
                stagingCount = rest
                position = samples.count
            }
        }
    }

    /// Transforms, windows and accumulates one segment; completes a spectrum every `averages`.
    private func analyse<E: Error>(_ segment: UnsafePointer<IQ>, startingAt index: Int64,
                                   _ body: (PowerSpectrum) throws(E) -> Void) throws(E) {
        accumulate(segment, startingAt: index, segment: segmentsDone, into: spectrum)
        segmentsDone += 1
        guard segmentsDone == configuration.averages else { return }
        finishSpectrum(spectrum, lastSegmentStart: index, discontinuity: pendingDiscontinuity, anchor: timeAnchor)
        try body(spectrum)
        segmentsDone = 0
        pendingDiscontinuity = false
    }

    /// Segment `r` of a spectrum: transform, window, |X|², into row r and the running sum.
    private func accumulate(_ segment: UnsafePointer<IQ>, startingAt index: Int64, segment r: Int, into target: PowerSpectrum) {
        let n = size, half = n / 2
        plan.execute(from: UnsafeRawPointer(segment).assumingMemoryBound(to: Float.self))
        let bins = plan.output
        if configuration.removeDC {
            // What the DC was (the audit's screen watches it step), then bin 0, the segment's
            // sum, zeroed: its mean taken out before the window.
            let mean = windowing.windowedMean(bins, count: n)
            target.segmentMeanStorage[2 * r] = mean.re
            target.segmentMeanStorage[2 * r + 1] = mean.im
            bins[0] = 0
            bins[1] = 0
        }
        windowing.wrap(bins, count: n)
        let first = r == 0
        if first { target.startSample = index }
        if let squares {
            windowing.squares(bins + 2 * (n - half), count: half, into: squares, first: first)
            windowing.squares(bins, count: n - half, into: squares + 2 * half, first: first)
            return
        }
        let row = target.segmentStorage(r), sum = target.meanStorage
        // fftshift: row[k] holds bin (k − N/2) mod N, so that frequencies ascend.
        windowing.power(bins + 2 * (n - half), count: half, into: row, sum: sum, first: first)
        windowing.power(bins, count: n - half, into: row + half, sum: sum + half, first: first)
        if configuration.statistics { accumulateExtremes(row, first: first, into: target) }
    }

    /// One whole spectrum from `spectrumSpan` contiguous samples starting at stream index
    /// `index`, into `target`: the same arithmetic, in the same order, as a spectrum streamed
    /// through `process` (`ParallelWelchEstimator` runs this on several threads, one
    /// estimator each). Leaves the streaming state alone.
    func spectrum(from samples: UnsafePointer<IQ>, startingAt index: Int64, into target: PowerSpectrum,
                  discontinuity: Bool, anchor: (time: Timestamp, index: Int64)?, centerFrequency: Double?) {
        for r in 0..<configuration.averages {
            accumulate(samples + r * hop, startingAt: index + Int64(r * hop), segment: r, into: target)
        }
        target.centerFrequency = centerFrequency
        finishSpectrum(target, lastSegmentStart: index + Int64((configuration.averages - 1) * hop), discontinuity: discontinuity, anchor: anchor)
    }

    /// Folds a segment's periodogram into the running maximum and minimum.
    private func accumulateExtremes(_ row: UnsafeMutablePointer<Float>, first: Bool, into spectrum: PowerSpectrum) {
        let n = size, high = spectrum.maximumStorage, low = spectrum.minimumStorage
        if first {
            high.update(from: row, count: n)
            low.update(from: row, count: n)
        } else {
            trustband_extremes(row, Int32(n), high, low)
        }
    }

    private func finishSpectrum(_ spectrum: PowerSpectrum, lastSegmentStart: Int64, discontinuity: Bool,
                                anchor: (time: Timestamp, index: Int64)?) {
        let k = configuration.averages, n = size
        spectrum.endSample = lastSegmentStart + Int64(n)
        spectrum.discontinuity = discontinuity
        spectrum.time = anchor.map {
            $0.time.advanced(bySamples: spectrum.startSample - $0.index, sampleRate: spectrum.sampleRate)
        }
        let mean = spectrum.meanStorage
        if let squares {
            trustband_pair_sum(squares, Int32(n), mean, windowing.squareScale / Float(k))
        } else {
            trustband_scale(mean, Int32(n), 1 / Float(k))
        }
        guard configuration.statistics else { return }
        let median = spectrum.medianStorage
        if k <= 2 {
            for b in 0..<n { median[b] = mean[b] }
            return
        }
        // Sort each bin's values across a copy of the rows, then read the middle row(s).
        sortScratch.update(from: spectrum.segmentStorage(0), count: k * n)
        sorter.sortColumns(sortScratch, width: n)
        let middle = sortScratch + (k / 2) * n
        if k % 2 == 1 {
            median.update(from: middle, count: n)
        } else {
            let below = middle - n
            for b in 0..<n { median[b] = (below[b] + middle[b]) / 2 }
        }
    }
}
