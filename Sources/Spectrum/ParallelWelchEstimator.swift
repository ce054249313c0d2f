import Dispatch
import Foundation
import Signal

/// Welch over several cores: the whole spectra a block completes are shared out among
/// `threads` estimators, each with its own FFTW plan and buffers, and handed to the caller in
/// stream order. Each spectrum is computed by one thread with the single-threaded arithmetic
/// (`WelchEstimator.spectrum(from:…)`: the same segments, summed in the same order), so the
/// output is identical bit for bit to `WelchEstimator`'s. Spectra are read where they lie in
/// the block; only those that straddle two blocks are gathered. A gap in the stream restarts
/// the average, as `WelchEstimator` does.
///
/// Everything is allocated in `init`; `process` allocates nothing.
public final class ParallelWelchEstimator {
    public let configuration: WelchConfiguration
    public let threads: Int
    private let workers: [WelchEstimator]
    /// One slot per spectrum a block can complete; slot m is written by one thread only.
    private let pool: [PowerSpectrum]
    /// Where each spectrum of the current block starts (samples, stream index).
    private let starts: UnsafeMutablePointer<(UnsafePointer<IQ>, Int64)>
    private let blockCapacity: Int
    /// Samples from `nextStart` on that no spectrum has used up yet, then the block's first span.
    private let carry: UnsafeMutablePointer<IQ>
    private var carried = 0
    private var nextStart: Int64 = 0
    private var started = false
    private var pendingDiscontinuity = false
    private var timeAnchor: (time: Timestamp, index: Int64)?

    /// Samples per block that pays for sharing out: waking the threads costs tens of µs.
    public static let preferredBlock = 1 << 20

    /// - Parameter blockCapacity: the largest block `process` will be given.
    public init(configuration: WelchConfiguration, sampleRate: Double, threads: Int, blockCapacity: Int = 1 << 16) throws(SpectrumError) {
        try configuration.validate()
        guard (1...64).contains(threads) else {
            throw .invalidConfiguration(field: "--threads", problem: "\(threads) must be 1…64")
        }
        self.configuration = configuration
        self.threads = threads
        self.blockCapacity = blockCapacity
        var made: [WelchEstimator] = []
        for _ in 0..<threads { made.append(try WelchEstimator(configuration: configuration, sampleRate: sampleRate)) }
        workers = made
        let perBlock = (blockCapacity + 2 * configuration.spectrumSpan) / configuration.spectrumHop + 1
        pool = (0..<perBlock).map { _ in made[0].spectrum.snapshot() }
        starts = .allocate(capacity: perBlock)
        let capacity = 2 * configuration.spectrumSpan
        carry = UnsafeMutableRawPointer.allocate(byteCount: capacity * MemoryLayout<IQ>.stride, alignment: 64)
            .bindMemory(to: IQ.self, capacity: capacity)
    }

    deinit {
        carry.deallocate()
        starts.deallocate()
    }

    /// Forgets carried samples (after a retune, or to start over).
    public func reset() {
        carried = 0
        started = false
        pendingDiscontinuity = false
        timeAnchor = nil
    }

    /// Feeds one block (at most `blockCapacity` samples); calls `body` with each spectrum
    /// completed by it, in stream order.
    public func process<E: Error>(_ samples: UnsafeBufferPointer<IQ>, info: BlockInfo,
                                  _ body: (PowerSpectrum) throws(E) -> Void) throws(E) {
        guard !samples.isEmpty else { return }
        precondition(samples.count <= blockCapacity, "a block larger than the estimator's capacity")
        let blockStart = info.sampleIndex
        if !started || info.discontinuity || blockStart != nextStart + Int64(carried) {
            if started { pendingDiscontinuity = true }
            carried = 0
            nextStart = blockStart
            started = true
        }
        if let time = info.time { timeAnchor = (time, blockStart) }
        let span = configuration.spectrumSpan, stride = configuration.spectrumHop
        let block = samples.baseAddress!, count = samples.count
        // Straddling spectra read from the carried samples followed by the block's first span.
        let prefix = min(count, span)
        (carry + carried).update(from: block, count: prefix)
        let gatheredEnd = blockStart + Int64(prefix), blockEnd = blockStart + Int64(count)
        var total = 0
        var s = nextStart
        while s < blockStart, s + Int64(span) <= gatheredEnd {
            starts[total] = (UnsafePointer(carry + Int(s - nextStart)), s)
            total += 1
            s += Int64(stride)
        }
        if s >= blockStart {
            while s + Int64(span) <= blockEnd {
                starts[total] = (block + Int(s - blockStart), s)
                total += 1
                s += Int64(stride)
            }
        }
        if total > 0 {
            let share = (total + threads - 1) / threads
            let job = Job(owner: self, share: share, total: total, first: pendingDiscontinuity, anchor: timeAnchor,
                          centre: info.centerFrequency)
            let used = (total + share - 1) / share
            if used == 1 { job.run(0) } else { DispatchQueue.concurrentPerform(iterations: used) { job.run($0) } }
            pendingDiscontinuity = false
            for m in 0..<total { try body(pool[m]) }
        }
        // Keep what the next spectrum needs: [s, blockEnd).
        let keep = Int(blockEnd - s)
        if s >= blockStart {
            carry.update(from: block + Int(s - blockStart), count: keep)
        } else {
            // Only when the block is shorter than a span: all of it is in the carry already.
            carry.update(from: carry + Int(s - nextStart), count: keep)
        }
        carried = keep
        nextStart = s
    }

    /// One block's share-out, safe on several threads: thread t uses only its own estimator and
    /// the pool slots of its own spectra; the samples are only read.
    private struct Job: @unchecked Sendable {
        let owner: ParallelWelchEstimator
        let share: Int
        let total: Int
        /// The first spectrum follows a gap.
        let first: Bool
        let anchor: (time: Timestamp, index: Int64)?
        let centre: Double?

        func run(_ t: Int) {
            let worker = owner.workers[t]
            for m in (t * share)..<min(total, (t + 1) * share) {
                let (pointer, index) = owner.starts[m]
                worker.spectrum(from: pointer, startingAt: index, into: owner.pool[m], discontinuity: first && m == 0,
                                anchor: anchor, centerFrequency: centre)
            }
        }
    }
}
