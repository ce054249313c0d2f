import Consensus
import Foundation
import Ledger
import Synchronization

/// Offers transactions to a devnet at a fixed rate, round-robin over the nodes: one sender per
/// node posts, every `batchMs`, the transactions that have come due as one `/v1/txs` batch
/// (one batch in flight per node: a slow node gets bigger batches, not more connections); a
/// refused one (mempool full, nonce ahead of what the node has seen yet) is offered again
/// 50 ms later. The chain is watched from the first node: each transaction's latency runs from
/// the moment it came due (batching delay included) to the moment its block is seen committed.
struct LedgerLoad {
    let urls: [String]
    let batchMs: Int

    struct Outcome {
        var committedInWindow: Int
        var committedPerSecond: Double
        var p50: Double
        var p99: Double
        var refused: Int
        /// Each committed transaction: seconds from the start to when it came due, and its latency.
        var series: [(due: Double, latency: Double)]
    }

    final class Book: Sendable {
        struct State {
            var submitted: [String: Double] = [:]
            var committed: [String: Double] = [:]
            var refused = 0
        }
        let state = Mutex(State())
    }

    func run(_ txs: [SignedTransaction], rate: Int, seconds: Int) async throws -> Outcome {
        let book = Book()
        // Encoded and hashed before the clock starts: at 2000 tx/s this takes a few hundred
        // milliseconds, which would otherwise arrive as one burst of transactions already late.
        let items = txs.enumerated().map { n, tx in (due: Double(n) / Double(rate), id: tx.id, wire: tx.wireBytes) }
        let ids = Set(items.map(\.id))
        let startHeight = try await LedgerClient.height(urls[0])
        let clock = ContinuousClock(), start = clock.now
        let now: @Sendable () -> Double = { let d = start.duration(to: clock.now); return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
        let watcher = Task { try await watch(from: startHeight + 1, ids: ids, book: book, now: now) }
        let batchMs = self.batchMs, deadline = Double(seconds) + 30
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (k, url) in urls.enumerated() {
                let mine = stride(from: k, to: items.count, by: urls.count).map { items[$0] }
                group.addTask {
                    var next = 0
                    var again: [(at: Double, due: Double, id: String, wire: [UInt8])] = []
                    while (next < mine.count || !again.isEmpty) && now() < deadline {
                        let t = now()
                        var batch: [(due: Double, id: String, wire: [UInt8])] = []
                        while next < mine.count, mine[next].due <= t, batch.count < 5_000 { batch.append(mine[next]); next += 1 }
                        let retry = again.filter { $0.at <= t }
                        again.removeAll { $0.at <= t }
                        batch += retry.map { ($0.due, $0.id, $0.wire) }
                        if batch.isEmpty {
                            try await Task.sleep(for: .milliseconds(batchMs))
                            continue
                        }
                        book.state.withLock { s in for b in batch where s.submitted[b.id] == nil { s.submitted[b.id] = b.due } }
                        let outcomes = (try? await LedgerClient.submitBatch(batch.map(\.wire), to: url)) ?? batch.map { _ in "unreachable" }
                        for (b, code) in zip(batch, outcomes) {
                            guard let code, code != "duplicate", code != "replay" else { continue }
                            book.state.withLock { $0.refused += 1 }
                            again.append((now() + 0.05, b.due, b.id, b.wire))
                        }
                        let spent = now() - t
                        if spent * 1000 < Double(batchMs) { try await Task.sleep(for: .milliseconds(max(1, batchMs - Int(spent * 1000)))) }
                    }
                }
            }
            try await group.waitForAll()
        }
        // Drain: wait for what was accepted to commit (or 20 s).
        let drainEnd = now() + 20
        while now() < drainEnd, book.state.withLock({ $0.committed.count }) < txs.count { try await Task.sleep(for: .milliseconds(100)) }
        watcher.cancel()
        // A watcher that failed (a commit it could not read) would leave every latency missing: say why.
        if case .failure(let error) = await watcher.result, !(error is CancellationError) { throw error }
        return book.state.withLock { s in
            let window = Double(seconds)
            let inWindow = s.committed.values.filter { $0 <= window }.count
            let latencies = s.committed.compactMap { id, t in s.submitted[id].map { t - $0 } }.sorted()
            func pct(_ p: Double) -> Double { latencies.isEmpty ? .nan : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
            // Sustained rate: commits in the window after the first second (warm-up), per second.
            let warm = s.committed.values.filter { $0 > 1 && $0 <= window }.count
            let series = s.committed.compactMap { id, t in s.submitted[id].map { (due: $0, latency: t - $0) } }.sorted { $0.due < $1.due }
            return Outcome(committedInWindow: inWindow, committedPerSecond: Double(warm) / max(1, window - 1), p50: pct(0.5), p99: pct(0.99), refused: s.refused,
                           series: series)
        }
    }

    /// Follows the first node's blocks; notes when each transaction is seen committed. Asks for
    /// the next height's commit in binary (`/v1/blocks/{h}/commit`) until it is there, 5 ms
    /// apart: the watcher shares the machine with the devnet, and fetching every block as JSON
    /// (and polling `/v1/status`) cost about 3 % of it at 2000 tx/s.
    func watch(from height: Int64, ids: Set<String>, book: Book, now: @Sendable () -> Double) async throws {
        var next = height
        while !Task.isCancelled {
            guard let (status, body) = try? await LedgerClient.get(urls[0] + "/v1/blocks/\(next)/commit"), status == 200 else {
                try await Task.sleep(for: .milliseconds(5))
                continue
            }
            let seen = now()
            let commit = try Commit(wire: body)
            let txs = commit.block.transactions.compactMap(SignedTransaction.id(ofWire:))
            book.state.withLock { s in for id in txs where ids.contains(id) { s.committed[id] = seen } }
            next += 1
        }
    }
}
