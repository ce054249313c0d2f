import Foundation
import Signal

/// Streams blocks of CF32 into Welch power spectra: window, FFT (FFTW), |X|², averaged over
/// `averages` segments, with per-bin statistics. Segments run across block boundaries; a gap
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
    /// The window repeated for I and Q, so windowing is one straight multiply.
    private let interleavedWindow: UnsafeMutablePointer<Float>
    private let staging: UnsafeMutablePointer<IQ>
    private var stagingCount = 0
    /// Stream index of `staging[0]` (or of the next sample when staging is empty).
    private var stagingStart: Int64 = 0
    private var segmentsDone = 0
    private let sorter: SortingNetwork
    private let sortScratch: UnsafeMutablePointer<Float>
    private let scale: Float
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
        plan = try FFTPlan(size: size)
        spectrum = PowerSpectrum(binCount: size, sampleRate: sampleRate, averages: configuration.averages, segmentHop: hop)
        interleavedWindow = .allocate(capacity: 2 * size)
        for n in 0..<size {
            interleavedWindow[2 * n] = window.coefficients[n]
            interleavedWindow[2 * n + 1] = window.coefficients[n]
        }
        staging = .allocate(capacity: size)
        sorter = SortingNetwork(count: configuration.averages)
        sortScratch = .allocate(capacity: configuration.averages * size)
        // |X|² / (N Σw²): power per bin, so that white noise of power σ² reads σ²/N in each bin.
        scale = Float(1 / (Double(size) * window.sumOfSquares))
    }

    deinit {
        interleavedWindow.deallocate()
        staging.deallocate()
        sortScratch.deallocate()
    }

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

    /// Windows, transforms and accumulates one segment; completes a spectrum every `averages`.
    private func analyse<E: Error>(_ segment: UnsafePointer<IQ>, startingAt index: Int64,
                                   _ body: (PowerSpectrum) throws(E) -> Void) throws(E) {
        let input = plan.input, w = interleavedWindow, n = size
        let floats = UnsafeRawPointer(segment).assumingMemoryBound(to: Float.self)
        for m in 0..<(2 * n) { input[m] = floats[m] * w[m] }
        plan.execute()
        if segmentsDone == 0 { spectrum.startSample = index }
        let row = spectrum.segmentStorage(segmentsDone)
        let out = plan.output, half = n / 2
        // fftshift: row[k] holds bin (k − N/2) mod N, so that frequencies ascend.
        periodogram(from: out + 2 * (n - half), into: row, count: half)
        periodogram(from: out, into: row + half, count: n - half)
        accumulate(row, first: segmentsDone == 0)
        segmentsDone += 1
        guard segmentsDone == configuration.averages else { return }
        finishSpectrum(lastSegmentStart: index)
        try body(spectrum)
        segmentsDone = 0
        pendingDiscontinuity = false
    }

    /// |X|² × scale for `count` interleaved complex values, four at a time.
    @inline(__always)
    private func periodogram(from spectrum: UnsafePointer<Float>, into row: UnsafeMutablePointer<Float>, count: Int) {
        let s = scale
        var k = 0
        let raw = UnsafeRawPointer(spectrum)
        while k + 4 <= count {
            let v = raw.loadUnaligned(fromByteOffset: 8 * k, as: SIMD8<Float>.self)
            let squares = v * v
            let power = (squares.evenHalf + squares.oddHalf) * s
            UnsafeMutableRawPointer(row + k).storeBytes(of: power, as: SIMD4<Float>.self)
            k += 4
        }
        while k < count {
            row[k] = (spectrum[2 * k] * spectrum[2 * k] + spectrum[2 * k + 1] * spectrum[2 * k + 1]) * s
            k += 1
        }
    }

    /// Adds a segment's periodogram into the running sum, maximum and minimum.
    private func accumulate(_ row: UnsafeMutablePointer<Float>, first: Bool) {
        let n = size
        let sum = spectrum.meanStorage, high = spectrum.maximumStorage, low = spectrum.minimumStorage
        if first {
            sum.update(from: row, count: n)
            if configuration.statistics {
                high.update(from: row, count: n)
                low.update(from: row, count: n)
            }
            return
        }
        for k in 0..<n { sum[k] += row[k] }
        guard configuration.statistics else { return }
        for k in 0..<n {
            high[k] = max(high[k], row[k])
            low[k] = min(low[k], row[k])
        }
    }

    private func finishSpectrum(lastSegmentStart: Int64) {
        let k = configuration.averages, n = size
        spectrum.endSample = lastSegmentStart + Int64(n)
        spectrum.discontinuity = pendingDiscontinuity
        spectrum.time = timeAnchor.map {
            $0.time.advanced(bySamples: spectrum.startSample - $0.index, sampleRate: spectrum.sampleRate)
        }
        let mean = spectrum.meanStorage
        let inverseK = 1 / Float(k)
        for b in 0..<n { mean[b] *= inverseK }
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
