import Dispatch
import Foundation
import Signal

/// Welch over several cores: whole spectra of a block are shared out among `threads`
/// estimators, each with its own FFTW plan and buffers, and handed to the caller in stream
/// order. A spectrum is computed by one thread with exactly the single-threaded code (the same
/// segments, summed in the same order), so the output is identical bit for bit to
/// `WelchEstimator`'s. Samples that do not yet make a whole spectrum are carried to the next
/// block; a gap in the stream restarts the average, as `WelchEstimator` does.
///
/// Everything is allocated in `init`; `process` allocates nothing.
public final class ParallelWelchEstimator {
    public let configuration: WelchConfiguration
    public let threads: Int
    private let workers: [WelchEstimator]
    /// Per worker, copies of the spectra it made in the current block.
    private let results: [[PowerSpectrum]]
    /// Spectra each worker made in the current block (raw storage: workers write their own slot concurrently).
    private let produced: UnsafeMutablePointer<Int>
    private let blockCapacity: Int
    /// Carried samples followed by the block: one contiguous, 64-byte aligned run.
    private let work: UnsafeMutablePointer<IQ>
    private var carried = 0
    private var carriedStart: Int64 = 0
    private var started = false
    private var pendingDiscontinuity = false
    private var timeAnchor: (time: Timestamp, index: Int64)?

    /// - Parameter blockCapacity: the largest block `process` will be given.
    public init(configuration: WelchConfiguration, sampleRate: Double, threads: Int, blockCapacity: Int = 1 << 16) throws(SpectrumError) {
        guard (1...64).contains(threads) else {
            throw .invalidConfiguration(field: "--threads", problem: "\(threads) must be 1…64")
        }
        self.configuration = configuration
        self.threads = threads
        self.blockCapacity = blockCapacity
        var made: [WelchEstimator] = []
        for _ in 0..<threads { made.append(try WelchEstimator(configuration: configuration, sampleRate: sampleRate)) }
        workers = made
        let perBlock = (blockCapacity + configuration.spectrumSpan) / configuration.spectrumHop + 1
        let perWorker = perBlock / threads + 1
        results = made.map { w in (0..<perWorker).map { _ in w.spectrum.snapshot() } }
        produced = .allocate(capacity: threads)
        produced.initialize(repeating: 0, count: threads)
        let capacity = blockCapacity + configuration.spectrumSpan
        work = UnsafeMutableRawPointer.allocate(byteCount: capacity * MemoryLayout<IQ>.stride, alignment: 64)
            .bindMemory(to: IQ.self, capacity: capacity)
    }

    deinit {
        work.deallocate()
        produced.deallocate()
    }

    /// Forgets carried samples (after a retune, or to start over).
    public func reset() {
        carried = 0
        started = false
        timeAnchor = nil
    }

    /// Feeds one block (at most `blockCapacity` samples); calls `body` with each spectrum
    /// completed by it, in stream order.
    public func process<E: Error>(_ samples: UnsafeBufferPointer<IQ>, info: BlockInfo,
                                  _ body: (PowerSpectrum) throws(E) -> Void) throws(E) {
        guard !samples.isEmpty else { return }
        precondition(samples.count <= blockCapacity, "a block larger than the estimator's capacity")
        if !started || info.discontinuity || info.sampleIndex != carriedStart + Int64(carried) {
            if started { pendingDiscontinuity = true }
            carried = 0
            carriedStart = info.sampleIndex
            started = true
        }
        if let time = info.time { timeAnchor = (time, info.sampleIndex) }
        (work + carried).update(from: samples.baseAddress!, count: samples.count)
        let total = carried + samples.count
        let span = configuration.spectrumSpan, stride = configuration.spectrumHop
        let spectra = total >= span ? (total - span) / stride + 1 : 0
        if spectra > 0 {
            // Contiguous runs of spectra, one run a worker.
            let share = (spectra + threads - 1) / threads
            let time = timeAnchor.map { $0.time.advanced(bySamples: carriedStart - $0.index, sampleRate: workers[0].spectrum.sampleRate) }
            produced.update(repeating: 0, count: threads)
            let job = Job(owner: self, base: work, start: carriedStart, share: share, spectra: spectra,
                          time: time, centre: info.centerFrequency)
            if threads == 1 || spectra == 1 {
                job.run(0)
                for t in 1..<threads where t * share < spectra { job.run(t) }
            } else {
                DispatchQueue.concurrentPerform(iterations: min(threads, (spectra + share - 1) / share)) { job.run($0) }
            }
            var first = true
            for t in 0..<threads {
                for r in 0..<produced[t] {
                    let spectrum = results[t][r]
                    spectrum.discontinuity = first && pendingDiscontinuity
                    first = false
                    try body(spectrum)
                }
            }
            pendingDiscontinuity = false
        }
        // Keep what the next spectrum needs.
        let consumed = spectra * stride
        let keep = total - consumed
        if consumed > 0 { work.update(from: work + consumed, count: keep) }
        carried = keep
        carriedStart += Int64(consumed)
    }

    /// One block's share-out, safe to run on several threads: worker t touches only its own
    /// estimator and result slots, and the samples are read only.
    private struct Job: @unchecked Sendable {
        let owner: ParallelWelchEstimator
        let base: UnsafeMutablePointer<IQ>
        let start: Int64
        let share: Int
        let spectra: Int
        let time: Timestamp?
        let centre: Double?

        func run(_ t: Int) {
            let first = t * share, last = min(spectra, first + share)
            owner.produced[t] = 0
            guard first < last else { return }
            let c = owner.configuration
            let offset = first * c.spectrumHop
            let count = (last - first - 1) * c.spectrumHop + c.spectrumSpan
            let worker = owner.workers[t]
            worker.reset()
            let index = start + Int64(offset)
            let info = BlockInfo(sampleIndex: index, count: count,
                                 time: time?.advanced(bySamples: Int64(offset), sampleRate: worker.spectrum.sampleRate),
                                 centerFrequency: centre)
            worker.process(UnsafeBufferPointer(start: base + offset, count: count), info: info) { spectrum in
                owner.results[t][owner.produced[t]].copy(from: spectrum)
                owner.produced[t] += 1
            }
        }
    }
}
