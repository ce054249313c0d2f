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
    private var scratch: [Float]
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
        scratch = [Float](repeating: 0, count: configuration.averages)
        // |X|² / (N Σw²): power per bin, so that white noise of power σ² reads σ²/N in each bin.
        scale = Float(1 / (Double(size) * window.sumOfSquares))
    }

    deinit {
        interleavedWindow.deallocate()
        staging.deallocate()
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
        let input = plan.input, w = interleavedWindow
        let floats = UnsafeRawPointer(segment).assumingMemoryBound(to: Float.self)
        for m in 0..<(2 * size) { input[m] = floats[m] * w[m] }
        plan.execute()
        if segmentsDone == 0 { spectrum.startSample = index }
        let out = plan.output, half = size / 2, s = scale
        spectrum.segments.withUnsafeMutableBufferPointer { rows in
            let row = rows.baseAddress! + segmentsDone * size
            // fftshift: row[k] holds bin (k − N/2) mod N, so that frequencies ascend.
            for k in 0..<half {
                let j = k + size - half
                row[k] = (out[2 * j] * out[2 * j] + out[2 * j + 1] * out[2 * j + 1]) * s
            }
            for k in half..<size {
                let j = k - half
                row[k] = (out[2 * j] * out[2 * j] + out[2 * j + 1] * out[2 * j + 1]) * s
            }
        }
        segmentsDone += 1
        guard segmentsDone == configuration.averages else { return }
        finishSpectrum(lastSegmentStart: index)
        try body(spectrum)
        segmentsDone = 0
        pendingDiscontinuity = false
    }

    private func finishSpectrum(lastSegmentStart: Int64) {
        let k = configuration.averages, n = size
        spectrum.endSample = lastSegmentStart + Int64(n)
        spectrum.discontinuity = pendingDiscontinuity
        spectrum.time = timeAnchor.map {
            $0.time.advanced(bySamples: spectrum.startSample - $0.index, sampleRate: spectrum.sampleRate)
        }
        let inverseK = 1 / Float(k)
        let withStatistics = configuration.statistics
        spectrum.segments.withUnsafeBufferPointer { rows in
            spectrum.mean.withUnsafeMutableBufferPointer { mean in
                for b in 0..<n { mean[b] = rows[b] }
                for r in 1..<max(1, k) {
                    let row = rows.baseAddress! + r * n
                    for b in 0..<n { mean[b] += row[b] }
                }
                for b in 0..<n { mean[b] *= inverseK }
            }
            guard withStatistics else { return }
            scratch.withUnsafeMutableBufferPointer { values in
                for b in 0..<n {
                    for r in 0..<k { values[r] = rows[r * n + b] }
                    insertionSort(values)
                    spectrum.minimum[b] = values[0]
                    spectrum.maximum[b] = values[k - 1]
                    spectrum.median[b] = k % 2 == 1 ? values[k / 2] : (values[k / 2 - 1] + values[k / 2]) / 2
                }
            }
        }
    }
}

/// Sorts a few values in place (K is small: insertion sort beats anything that allocates).
@inline(__always)
func insertionSort(_ values: UnsafeMutableBufferPointer<Float>) {
    guard values.count > 1 else { return }
    for i in 1..<values.count {
        let x = values[i]
        var j = i - 1
        while j >= 0 && values[j] > x {
            values[j + 1] = values[j]
            j -= 1
        }
        values[j + 1] = x
    }
}
