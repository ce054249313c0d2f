import Ledger
import Node
import Testing

@Suite("Mempool")
struct MempoolTests {
    static func entry(_ signer: String, _ nonce: UInt64, size: Int = 100) -> Mempool.Entry {
        let tx = Transaction(signer: signer, nonce: nonce, body: .topUp(amount: 1))
        return Mempool.Entry(id: "\(signer)-\(nonce)", signed: SignedTransaction(transaction: tx, signature: []), wire: Array(repeating: 0, count: size))
    }

    @Test("reaps each signer's nonces in order without gaps, signers by arrival")
    func reapOrder() throws {
        var pool = Mempool()
        try pool.add(Self.entry("b", 2), stateNonce: 0)
        try pool.add(Self.entry("a", 1), stateNonce: 0)
        try pool.add(Self.entry("b", 1), stateNonce: 0)
        try pool.add(Self.entry("a", 3), stateNonce: 0)  // gap: a2 missing
        let reaped = pool.reap(maxTransactions: 10, maxBytes: 1 << 20) { _ in 0 }.map(\.id)
        #expect(reaped == ["b-1", "b-2", "a-1"])
        #expect(pool.reap(maxTransactions: 2, maxBytes: 1 << 20) { _ in 0 }.count == 2)
    }

    @Test("refuses duplicates, used nonces, nonces too far ahead, and admits nothing past its limits")
    func limits() throws {
        var limits = Mempool.Limits()
        limits.maxTransactions = 3
        limits.maxPerAccount = 2
        limits.maxBytes = 1_000
        var pool = Mempool(limits: limits)
        try pool.add(Self.entry("a", 6), stateNonce: 5)
        #expect(throws: Mempool.Refusal.duplicate(id: "a-6")) { try pool.add(Self.entry("a", 6), stateNonce: 5) }
        #expect(throws: Mempool.Refusal.nonceUsed(signer: "a", nonce: 5, stateNonce: 5)) { try pool.add(Self.entry("a", 5), stateNonce: 5) }
        #expect(throws: Mempool.Refusal.nonceTooFar(signer: "a", nonce: 8, stateNonce: 5)) { try pool.add(Self.entry("a", 8), stateNonce: 5) }
        try pool.add(Self.entry("a", 7), stateNonce: 5)
        #expect(throws: Mempool.Refusal.self) { try pool.add(Self.entry("b", 1, size: 900), stateNonce: 0) }  // bytes
        try pool.add(Self.entry("b", 1), stateNonce: 0)
        #expect(throws: Mempool.Refusal.full(transactions: 3, bytes: 300)) { try pool.add(Self.entry("c", 1), stateNonce: 0) }
        #expect(pool.count == 3 && pool.bytes == 300)
        // The same refusals before any signature is checked.
        #expect(pool.cheapRefusal(id: "a-6", signer: "a", nonce: 6, stateNonce: 5) == .duplicate(id: "a-6"))
        #expect(pool.cheapRefusal(id: "x", signer: "a", nonce: 5, stateNonce: 5) == .nonceUsed(signer: "a", nonce: 5, stateNonce: 5))
        #expect(pool.cheapRefusal(id: "x", signer: "a", nonce: 9, stateNonce: 5) == .nonceTooFar(signer: "a", nonce: 9, stateNonce: 5))
        #expect(pool.cheapRefusal(id: "x", signer: "a", nonce: 7, stateNonce: 5) == .duplicate(id: "a-7"))
        #expect(pool.cheapRefusal(id: "c-1", signer: "c", nonce: 1, stateNonce: 0) == .full(transactions: 3, bytes: 300))
        var roomy = Mempool()
        #expect(roomy.cheapRefusal(id: "c-1", signer: "c", nonce: 1, stateNonce: 0) == nil)
        try roomy.add(Self.entry("c", 1), stateNonce: 0)
    }

    @Test("prune drops what the state has committed; remove drops one")
    func pruneAndRemove() throws {
        var pool = Mempool()
        for n in 1...4 { try pool.add(Self.entry("a", UInt64(n)), stateNonce: 0) }
        try pool.add(Self.entry("b", 1), stateNonce: 0)
        pool.prune { $0 == "a" ? 2 : 0 }
        #expect(pool.count == 3 && !pool.contains("a-2") && pool.contains("a-3"))
        pool.remove(id: "b-1")
        #expect(pool.reap(maxTransactions: 10, maxBytes: 1 << 20) { $0 == "a" ? 2 : 0 }.map(\.id) == ["a-3", "a-4"])
        #expect(pool.bytes == 200)
    }
}
