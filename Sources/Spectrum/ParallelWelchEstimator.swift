import Dispatch
import Foundation
import Signal
import Synchronization

/// Welch over several cores: the whole spectra a block completes are shared out among
/// `threads` estimators, each with its own FFTW plan and buffers, and handed to the caller in
/// stream order. Each spectrum is computed by one thread with the single-threaded arithmetic
/// (`WelchEstimator.spectrum(from:…)`: the same segments, summed in the same order), so the
/// output is identical bit for bit to `WelchEstimator`'s. Spectra are read where they lie in
/// the block; only those that straddle two blocks are gathered. A gap in the stream restarts
/// the average, as `WelchEstimator` does.
///
/// `run(source:)` also overlaps the work: the calling thread reads blocks and hands each whole
/// to a worker in turn, and hands on the spectra in order, while the workers transform.
/// `process` is the synchronous form (a block's spectra split among the threads), for callers
/// that read for themselves.
///
/// Everything is allocated in `init`; neither allocates.
public final class ParallelWelchEstimator {
    public let configuration: WelchConfiguration
    public let threads: Int
    public let blockCapacity: Int
    private let workers: [WelchEstimator]
    /// A ring of what a block in flight needs: its samples, the gathered samples of its
    /// straddling spectra, where each spectrum starts, and one output slot per spectrum.
    private let slots: [Slot]
    /// One serial queue per worker: worker w transforms every block whose slot it is handed.
    private let lanes: [DispatchQueue]
    private var current = 0
    /// Stream index of the next spectrum's first sample, and how many samples from there on
    /// (the block's tail) wait in the next slot's carry.
    private var nextStart: Int64 = 0
    private var carried = 0
    private var started = false
    private var pendingDiscontinuity = false
    private var timeAnchor: (time: Timestamp, index: Int64)?
    private let queue = DispatchQueue(label: "trustband.welch", qos: .userInitiated, attributes: .concurrent)

    /// Samples per block of `run`: small enough to stay in a core's cache between being read
    /// and being transformed (measured: blocks of 1 Mi samples made two threads slower than one).
    public static let preferredBlock = 1 << 16

    final class Slot {
        let buffer: IQBuffer
        let carry: UnsafeMutablePointer<IQ>
        let starts: UnsafeMutablePointer<(UnsafePointer<IQ>, Int64)>
        let pool: [PowerSpectrum]
        var total = 0
        var first = false
        var anchor: (time: Timestamp, index: Int64)?
        var centre: Double?
        let done = DispatchSemaphore(value: 0)

        init(blockCapacity: Int, span: Int, spectra: Int, template: PowerSpectrum) {
            buffer = IQBuffer(capacity: blockCapacity)
            carry = UnsafeMutableRawPointer.allocate(byteCount: 2 * span * MemoryLayout<IQ>.stride, alignment: 64)
                .bindMemory(to: IQ.self, capacity: 2 * span)
            starts = .allocate(capacity: spectra)
            pool = (0..<spectra).map { _ in template.snapshot() }
        }

        deinit {
            carry.deallocate()
            starts.deallocate()
        }
    }

    /// - Parameter blockCapacity: the largest block `process` will be given (and the block
    ///   `run` reads).
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
        slots = (0..<(2 * threads + 2)).map { _ in
            Slot(blockCapacity: blockCapacity, span: configuration.spectrumSpan, spectra: perBlock, template: made[0].spectrum)
        }
        lanes = (0..<threads).map { DispatchQueue(label: "trustband.welch.\($0)", qos: .userInitiated) }
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
        let slot = slots[current]
        current = (current + 1) % slots.count
        prepare(samples, info: info, in: slot, carryOut: slots[current])
        let group = DispatchGroup()
        dispatch(slot, group: group)
        group.wait()
        for m in 0..<slot.total { try body(slot.pool[m]) }
    }

    /// Streams `source` through the estimator, overlapping reading, transforming and handing
    /// on: this thread reads each block and hands it whole to the next worker (round robin),
    /// keeping up to 2 × threads blocks in flight, and hands on their spectra in order. Returns
    /// the stream's length in samples.
    public func run<S: IQSource>(source: S, _ body: (PowerSpectrum) -> Void) throws(S.Failure) -> Int64 {
        var samples: Int64 = 0
        var inFlight: [Int] = []
        inFlight.reserveCapacity(slots.count)
        var block = 0
        func deliverOldest() {
            let slot = slots[inFlight.removeFirst()]
            if slot.total > 0 { slot.done.wait() }
            for m in 0..<slot.total { body(slot.pool[m]) }
        }
        defer { while !inFlight.isEmpty { let slot = slots[inFlight.removeFirst()]; if slot.total > 0 { slot.done.wait() } } }
        while true {
            // The slot after this one receives this block's tail: it must be free too.
            while inFlight.count >= slots.count - 2 { deliverOldest() }
            let index = current
            let slot = slots[index]
            guard let info = try source.read(into: slot.buffer) else { break }
            samples = info.sampleIndex + Int64(info.count)
            guard info.count > 0 else { continue }
            current = (current + 1) % slots.count
            prepare(UnsafeBufferPointer(slot.buffer.samples), info: info, in: slot, carryOut: slots[current])
            inFlight.append(index)
            if slot.total > 0 {
                let job = Job(slot: slot, workers: workers, share: slot.total)
                let worker = block % threads
                block += 1
                lanes[worker].async {
                    job.run(0, worker: worker)
                    job.slot.done.signal()
                }
            }
        }
        while !inFlight.isEmpty { deliverOldest() }
        return samples
    }

    /// `run(source:)` for a recording every thread can read by itself
    /// (`RecordingSource.readsIndependently`; otherwise it is `run(source:)`): no thread reads
    /// for the others, so two threads come near twice one (with one thread reading for both,
    /// they reached 1.4–1.5×). This thread is worker 0 and `threads − 1` lanes the others: each
    /// takes the next block not yet taken (`blockCapacity` samples from its start, and the span
    /// after it that its last spectra need), reads it with a reader of its own and transforms
    /// it, once the slot it will fill has been handed on; between its blocks this thread hands
    /// on, in order, the spectra of the blocks done. (Blocks dealt round robin to `threads`
    /// lanes, this thread only handing on and each block read with a whole span after it: two
    /// threads made 0.64–0.80 of what FFTW alone does on two in `bench psd`; now 0.79–0.88.)
    /// Each spectrum's time is anchored where a sequential read in `preferredBlock` blocks
    /// anchors it (the start of the block it ends in), so the output is the same bit for bit as
    /// one thread's. Returns the stream's length in samples.
    public func run(recording source: RecordingSource, _ body: (PowerSpectrum) -> Void) throws(SignalError) -> Int64 {
        guard source.readsIndependently, threads > 1 else { return try run(source: source, body) }
        let end = source.endOfStream
        let span = configuration.spectrumSpan, stride = configuration.spectrumHop, capacity = Int64(blockCapacity)
        let blocks = Int((end + capacity - 1) / capacity)
        guard blocks > 0 else { return end }
        var readers: [RecordingSource] = []
        for _ in 0..<threads { readers.append(try source.independentReader()) }
        let buffers = (0..<threads).map { _ in IQBuffer(capacity: blockCapacity + span) }
        let failure = FirstFailure()
        let queue = BlockQueue(slots: slots.count)
        let work = BlockWork(readers: readers, buffers: buffers, workers: workers, slots: slots, failure: failure,
                             capacity: capacity, span: span, stride: stride, centre: source.stream.centerFrequency,
                             blocks: blocks, queue: queue)
        for w in 1..<threads {
            lanes[w].async { work.runWorker(w) }
        }
        var delivered = 0
        /// Hands on block `delivered` (waiting for it when `waiting`, else only if it is done).
        func deliver(waiting: Bool) -> Bool {
            let slot = slots[delivered % slots.count]
            if waiting { slot.done.wait() } else if slot.done.wait(timeout: .now()) == .timedOut { return false }
            // After a read error, the blocks in flight finish and nothing more is handed on.
            if failure.error.withLock({ $0 }) == nil {
                for m in 0..<slot.total { body(slot.pool[m]) }
            }
            queue.free[delivered % slots.count].signal()
            delivered += 1
            return true
        }
        while true {
            let block = queue.next.wrappingAdd(1, ordering: .relaxed).oldValue
            guard block < blocks else { break }
            // Its slot's last block must be handed on first (by this thread, the only one that does).
            while delivered <= block - slots.count { _ = deliver(waiting: true) }
            work.runBlock(block, worker: 0)
            while delivered < block, deliver(waiting: false) {}
        }
        while delivered < blocks { _ = deliver(waiting: true) }
        if let error = failure.error.withLock({ $0 }) { throw error }
        return end
    }

    /// The first read error of any worker.
    private final class FirstFailure: Sendable {
        let error = Mutex<SignalError?>(nil)
    }

    /// The blocks of one `run(recording:)`: the next not yet taken, and per slot whether the
    /// block last in it has been handed on (a worker taking block b waits for block b − slots).
    private final class BlockQueue: Sendable {
        let next = Atomic<Int>(0)
        let free: [DispatchSemaphore]

        init(slots: Int) {
            free = (0..<slots).map { _ in DispatchSemaphore(value: 1) }
        }
    }

    /// What the workers of `run(recording:)` share; each touches only its own reader, buffer
    /// and estimator, and the slot of the block it was handed.
    private struct BlockWork: @unchecked Sendable {
        let readers: [RecordingSource]
        let buffers: [IQBuffer]
        let workers: [WelchEstimator]
        let slots: [Slot]
        let failure: FirstFailure
        let capacity: Int64
        let span: Int
        let stride: Int
        let centre: Double?
        let blocks: Int
        let queue: BlockQueue
        /// Sequential reads come in blocks of this many samples, each anchoring the times of the
        /// spectra that end in it.
        let anchorBlock = Int64(ParallelWelchEstimator.preferredBlock)

        /// Worker `w` on a lane: takes the next block until none is left.
        func runWorker(_ w: Int) {
            while true {
                let block = queue.next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard block < blocks else { return }
                runBlock(block, worker: w)
            }
        }

        /// Block `block` on worker `w`, once its slot is free. After a read error the block is
        /// only marked done, so that the handing-on ends.
        func runBlock(_ block: Int, worker w: Int) {
            queue.free[block % slots.count].wait()
            if failure.error.withLock({ $0 }) != nil {
                slots[block % slots.count].total = 0
                slots[block % slots.count].done.signal()
            } else {
                run(block: block, worker: w)
            }
        }

        /// Block `block` on worker `w`: its spectra are those starting inside it (on the grid of
        /// spectrum hops from sample 0), each anchored, as a sequential read anchors it, at the
        /// start of the block it ends in.
        func run(block: Int, worker w: Int) {
            let slot = slots[block % slots.count]
            defer { slot.done.signal() }
            slot.total = 0
            let start = Int64(block) * capacity
            let reader = readers[w], buffer = buffers[w]
            // Only what the spectra that start in the block reach (a block a whole number of
            // spectrum hops long reads span − hop more, not a whole span).
            let firstStart = (start + Int64(stride) - 1) / Int64(stride) * Int64(stride)
            guard firstStart < start + capacity else { return }
            let lastStart = firstStart + (start + capacity - 1 - firstStart) / Int64(stride) * Int64(stride)
            reader.seek(toSample: start)
            let count: Int
            do {
                count = try reader.read(into: buffer, maximum: Int(lastStart - start) + span)?.count ?? 0
            } catch {
                failure.error.withLock { $0 = $0 ?? error }
                return
            }
            let samples = UnsafePointer(buffer.samples.baseAddress!)
            var s = firstStart
            var total = 0
            while s < start + capacity, s + Int64(span) <= start + Int64(count) {
                let completing = (s + Int64(span) - 1) / anchorBlock * anchorBlock
                let anchor = reader.time(atSample: completing).map { (time: $0, index: completing) }
                workers[w].spectrum(from: samples + Int(s - start), startingAt: s, into: slot.pool[total], discontinuity: false,
                                    anchor: anchor, centerFrequency: centre)
                total += 1
                s += Int64(stride)
            }
            slot.total = total
        }
    }

    /// Finds the spectra `samples` completes (gathering the ones that straddle the previous
    /// block in `slot.carry`, which already holds the carried samples) and leaves the block's
    /// tail at the front of `carryOut.carry`.
    private func prepare(_ samples: UnsafeBufferPointer<IQ>, info: BlockInfo, in slot: Slot, carryOut: Slot) {
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
        let carry = slot.carry
        let prefix = min(count, span)
        (carry + carried).update(from: block, count: prefix)
        let gatheredEnd = blockStart + Int64(prefix), blockEnd = blockStart + Int64(count)
        var total = 0
        var s = nextStart
        while s < blockStart, s + Int64(span) <= gatheredEnd {
            slot.starts[total] = (UnsafePointer(carry + Int(s - nextStart)), s)
            total += 1
            s += Int64(stride)
        }
        if s >= blockStart {
            while s + Int64(span) <= blockEnd {
                slot.starts[total] = (block + Int(s - blockStart), s)
                total += 1
                s += Int64(stride)
            }
        }
        slot.total = total
        slot.first = pendingDiscontinuity
        slot.anchor = timeAnchor
        slot.centre = info.centerFrequency
        if total > 0 { pendingDiscontinuity = false }
        // What the next spectrum needs, [s, blockEnd): from the block, or (a block shorter than
        // a span) from this slot's carry, where all of it already is.
        let keep = Int(blockEnd - s)
        if s >= blockStart {
            carryOut.carry.update(from: block + Int(s - blockStart), count: keep)
        } else {
            carryOut.carry.update(from: carry + Int(s - nextStart), count: keep)
        }
        carried = keep
        nextStart = s
    }

    /// Starts the slot's spectra on the threads: contiguous runs, one run a thread.
    private func dispatch(_ slot: Slot, group: DispatchGroup) {
        guard slot.total > 0 else { return }
        let share = (slot.total + threads - 1) / threads
        let job = Job(slot: slot, workers: workers, share: share)
        for t in 0..<((slot.total + share - 1) / share) {
            queue.async(group: group) { job.run(t) }
        }
    }

    /// One block's share-out, safe on several threads: thread t uses only its own estimator and
    /// the pool slots of its own spectra; the samples are only read.
    private struct Job: @unchecked Sendable {
        let slot: Slot
        let workers: [WelchEstimator]
        let share: Int

        /// Spectra of share `t`, on estimator `worker` (its own by default).
        func run(_ t: Int, worker w: Int? = nil) {
            let worker = workers[w ?? t]
            for m in (t * share)..<min(slot.total, (t + 1) * share) {
                let (pointer, index) = slot.starts[m]
                worker.spectrum(from: pointer, startingAt: index, into: slot.pool[m], discontinuity: slot.first && m == 0,
                                anchor: slot.anchor, centerFrequency: slot.centre)
            }
        }
    }
}
