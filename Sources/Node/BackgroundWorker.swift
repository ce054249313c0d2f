import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Work that must not take the CPU from consensus: jobs run one at a time, in order, on a thread
/// of its own at the lowest scheduling priority (nice 19 on Linux), so that on a busy machine
/// they get what the node's other threads leave. Encoding a snapshot of a grown state takes
/// seconds (44 MB of JSON after 105 000 transactions in the bench: 12.7 s on a loaded VM); at
/// normal priority on two cores, four validators doing it at the same height made blocks two to
/// three times slower while it lasted.
public final class BackgroundWorker: Sendable {
    /// The process's worker (one thread, started on first use).
    public static let lowPriority = BackgroundWorker(name: "trustband-background", nice: 19)

    private let jobs = Mutex<[@Sendable () -> Void]>([])
    private let ready = DispatchSemaphore(value: 0)
    /// The nice value the thread runs at (nil until it has started and set it).
    private let niceness = Mutex<Int32?>(nil)

    init(name: String, nice: Int32) {
        let thread = Thread { [self] in
            #if canImport(Glibc)
            // On Linux the nice value is per thread (NPTL): `who = 0` is this thread only.
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, nice)
            errno = 0
            let now = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
            niceness.withLock { $0 = errno == 0 ? now : nil }
            #endif
            while true {
                ready.wait()
                let job = jobs.withLock { $0.removeFirst() }
                job()
            }
        }
        thread.name = name
        thread.start()
    }

    /// Queues `job`; it runs after those queued before it.
    public func submit(_ job: @escaping @Sendable () -> Void) {
        jobs.withLock { $0.append(job) }
        ready.signal()
    }

    /// The worker thread's nice value as the kernel reported it when the thread started.
    public var niceValue: Int32? { niceness.withLock { $0 } }
}
