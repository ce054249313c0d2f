import Foundation
import Ledger
import Synchronization

/// Offers transactions to a devnet at a fixed rate (round-robin over the nodes, bounded in
/// flight, a refused one retried after 50 ms as a well-behaved client would) while watching
/// the chain from the first node: each transaction's latency is from its first submission to
/// the moment its block is seen committed.
struct LedgerLoad {
    let urls: [String]
    let inFlight: Int

    struct Outcome {
        var committedInWindow: Int
        var committedPerSecond: Double
        var p50: Double
        var p99: Double
        var refused: Int
    }

    final class Book: Sendable {
        struct State {
            var submitted: [String: Double] = [:]
            var committed: [String: Double] = [:]
            var refused = 0
            var inFlight = 0
        }
        let state = Mutex(State())
    }

    func run(_ txs: [SignedTransaction], rate: Int, seconds: Int) async throws -> Outcome {
        let book = Book()
        let clock = ContinuousClock(), start = clock.now
        let now: @Sendable () -> Double = { let d = start.duration(to: clock.now); return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
        let startHeight = try await LedgerClient.height(urls[0])
        let ids = Set(txs.map(\.id))
        let watcher = Task { try await watch(from: startHeight + 1, ids: ids, book: book, now: now) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (n, tx) in txs.enumerated() {
                let due = Double(n) / Double(rate)
                let wait = due - now()
                if wait > 0 { try await Task.sleep(for: .milliseconds(Int(wait * 1000))) }
                while book.state.withLock({ $0.inFlight }) >= inFlight { try await Task.sleep(for: .milliseconds(1)) }
                book.state.withLock { $0.inFlight += 1 }
                let url = urls[n % urls.count], id = tx.id, wire = tx.wireBytes
                group.addTask {
                    defer { book.state.withLock { $0.inFlight -= 1 } }
                    let first = now()
                    book.state.withLock { $0.submitted[id] = first }
                    while now() < Double(seconds) + 30 {
                        let status = (try? await LedgerClient.submit(wire, to: url))?.status ?? 0
                        if status == 202 || status == 409 { return }
                        book.state.withLock { $0.refused += 1 }
                        try await Task.sleep(for: .milliseconds(50))
                    }
                }
            }
            try await group.waitForAll()
        }
        // Drain: wait for what was accepted to commit (or 20 s).
        let drainEnd = now() + 20
        while now() < drainEnd, book.state.withLock({ $0.committed.count }) < txs.count { try await Task.sleep(for: .milliseconds(100)) }
        watcher.cancel()
        return book.state.withLock { s in
            let window = Double(seconds)
            let inWindow = s.committed.values.filter { $0 <= window }.count
            let latencies = s.committed.compactMap { id, t in s.submitted[id].map { t - $0 } }.sorted()
            func pct(_ p: Double) -> Double { latencies.isEmpty ? .nan : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
            // Sustained rate: commits in the window after the first second (warm-up), per second.
            let warm = s.committed.values.filter { $0 > 1 && $0 <= window }.count
            return Outcome(committedInWindow: inWindow, committedPerSecond: Double(warm) / max(1, window - 1), p50: pct(0.5), p99: pct(0.99), refused: s.refused)
        }
    }

    /// Follows the first node's blocks; notes when each transaction is seen committed.
    func watch(from height: Int64, ids: Set<String>, book: Book, now: @Sendable () -> Double) async throws {
        var next = height
        while !Task.isCancelled {
            let top = (try? await LedgerClient.height(urls[0])) ?? next - 1
            while next <= top {
                let block = try await LedgerClient.json(urls[0] + "/v1/blocks/\(next)")
                let seen = now()
                let txs = (block["transactions"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                book.state.withLock { s in for id in txs where ids.contains(id) { s.committed[id] = seen } }
                next += 1
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}
