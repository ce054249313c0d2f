import Agent
import Consensus
import Crypto
import Foundation
import Ledger
import Storage
import Testing

/// The agent checks what nodes say about its evidence: a commit counts only if that height's
/// validators (followed from the genesis) signed it and the block carries the transaction.
@Suite("Agent commit verification")
struct CommitVerificationTests {
    @Test("A node that claims a commit that did not happen, or serves a forged commit: the record is kept, then delivered once when the real commit is served")
    func lyingNode() async throws {
        let f = try DeliveryFixture()
        let outbox = try f.openOutbox()
        let delivery = f.delivery(outbox)
        let first = try f.enqueue(1, into: outbox)
        _ = try await f.drive(delivery)
        #expect(try outbox.entry(first)?.state == .delivered)

        // The node says the next record's transaction is in block 1 (it is not).
        let second = try f.enqueue(2, into: outbox)
        f.ledger.claimsUncommitted = true
        #expect(try await delivery.step() == .waitForCommit)
        guard case .backOff = try await delivery.step() else { Issue.record("a false commit was taken"); return }
        #expect(try outbox.entry(second)?.state == .sent)
        #expect(try outbox.entry(second)?.lastError?.contains("does not carry the transaction") == true)
        f.ledger.claimsUncommitted = false

        // Committed for real, but the node serves the commit with one validator's signature of four.
        f.ledger.commitPending()
        f.ledger.forgeCommits(signedBy: ["v1"])
        guard case .backOff = try await delivery.step() else { Issue.record("a forged commit was taken"); return }
        #expect(try outbox.entry(second)?.state == .sent)
        #expect(try outbox.entry(second)?.lastError?.contains("not more than two thirds") == true)

        // The genuine commit: delivered, once.
        f.ledger.forgeCommits(signedBy: nil)
        _ = try await f.drive(delivery)
        #expect(try outbox.entry(second)?.state == .delivered)
        #expect(f.ledger.committedRecords == [first, second])
    }

    @Test("Validator sets that change over the chain are followed by bisection from the genesis")
    func followsSetChanges() async throws {
        // Four validators at a time; by height 5 none of the genesis ones is left, each step keeps half or more.
        let keys = Dictionary(uniqueKeysWithValues: (1...8).map { ("v\($0)", Curve25519.Signing.PrivateKey()) })
        func members(_ ids: [Int]) -> [InMemoryLedgerGateway.Member] { ids.map { .init(id: "v\($0)", key: keys["v\($0)"]!) } }
        let sets = [[1, 2, 3, 4], [1, 2, 3, 5], [1, 2, 5, 6], [1, 5, 6, 7], [5, 6, 7, 8]].map(members)
        let f = try DeliveryFixture(validators: sets[0])
        let signer = Curve25519.Signing.PrivateKey()
        var wires: [[UInt8]] = []
        for (n, set) in sets.enumerated() {
            let tx = try Transaction(signer: "sensor-9", nonce: UInt64(n + 1), body: .evidence(record: Array("record \(n)".utf8), signature: [])).signed(by: signer)
            #expect(try await f.ledger.submit(tx.wireBytes, id: tx.id) == .accepted)
            f.ledger.replaceValidators(with: set)
            f.ledger.commitPending()
            wires.append(tx.wireBytes)
        }
        let verifier = CommitVerifier(gateway: f.ledger, genesis: f.ledger.genesisValidators)
        // Height 5's set shares nothing with the genesis: verified through height 3.
        try await verifier.confirm(wires[4], at: 5)
        #expect(verifier.trustedHeights == [1, 3, 5])
        // A transaction is confirmed only in its own block.
        await #expect(throws: CommitVerifier.Failure.self) { try await verifier.confirm(wires[0], at: 5) }
        try await verifier.confirm(wires[3], at: 4)

        // A verifier that trusts other validators than the ledger's genesis confirms nothing.
        let stranger = CommitVerifier(gateway: f.ledger, genesis: ValidatorSet(members([1, 2, 3, 4]).map {
            Validator(id: $0.id, power: $0.power, key: Array(Curve25519.Signing.PrivateKey().publicKey.rawRepresentation))
        }))
        await #expect(throws: CommitVerifier.Failure.self) { try await stranger.confirm(wires[0], at: 1) }
    }
}
