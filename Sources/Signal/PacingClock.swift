#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A monotonic clock that can wait: what real-time pacing and reconnect back-off need, and
/// nothing more, so tests can substitute `ManualPacingClock`.
public protocol PacingClock: Sendable {
    /// Monotonic nanoseconds (arbitrary origin).
    func now() -> Int64
    /// Blocks until `now() >= deadline`.
    func sleep(until deadline: Int64)
}

/// The machine's monotonic clock.
public struct SystemPacingClock: PacingClock {
    public init() {}

    public func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    public func sleep(until deadline: Int64) {
        while true {
            let remaining = deadline - now()
            if remaining <= 0 { return }
            var ts = timespec(tv_sec: Int(remaining / 1_000_000_000), tv_nsec: Int(remaining % 1_000_000_000))
            nanosleep(&ts, nil)
        }
    }
}

/// A clock that only moves when slept on: sleeping jumps straight to the deadline and is
/// recorded, so tests see every wait without waiting.
public final class ManualPacingClock: PacingClock {
    private let state = Mutex<(now: Int64, sleeps: [Int64])>((0, []))

    public init(start: Int64 = 0) { state.withLock { $0.now = start } }

    public func now() -> Int64 { state.withLock { $0.now } }

    public func sleep(until deadline: Int64) {
        state.withLock {
            if deadline > $0.now {
                $0.sleeps.append(deadline - $0.now)
                $0.now = deadline
            }
        }
    }

    /// Moves the clock forward, as work taking time would.
    public func advance(by nanoseconds: Int64) { state.withLock { $0.now += nanoseconds } }

    /// Every wait so far, in nanoseconds.
    public var sleeps: [Int64] { state.withLock { $0.sleeps } }
}
