import Consensus
import Crypto
import Ledger
import Testing

/// The agent's light client: commits verified against the genesis validators, and set
/// changes followed by skipping (more than a third of the trusted power vouching) or bisection.
@Suite("Light client commit verification")
struct LightClientTests {
    /// Validators with real Ed25519 keys, by id.
    struct Keys {
        var keys: [String: Curve25519.Signing.PrivateKey] = [:]
        mutating func set(_ ids: [String], power: Int64 = 1000) -> ValidatorSet {
            ValidatorSet(ids.map { id in
                let key = keys[id] ?? Curve25519.Signing.PrivateKey()
                keys[id] = key
                return Validator(id: id, power: power, key: Array(key.publicKey.rawRepresentation))
            })
        }

        /// A block at `height` naming `set`, and precommits for it by `signers` (real signatures).
        func commit(_ height: Int64, _ set: ValidatorSet, signedBy signers: [String], transactions: [[UInt8]]? = nil) -> Commit {
            let transactions = transactions ?? [[UInt8(height & 0xff)]]
            let block = Block(height: height, previousHash: [], proposer: set.order[0], timeNs: height, transactions: transactions, lastCommit: [],
                              validatorsHash: set.hash)
            let votes = signers.map { id in
                let vote = ConsensusVote(step: .precommit, height: height, round: 0, blockHash: block.hash, validator: id)
                return SignedVote(vote: vote, signature: Array(try! keys[id]!.signature(for: vote.canonicalBytes)))
            }
            return Commit(block: block, round: 0, precommits: votes)
        }
    }

    @Test("A commit by more than two thirds of the genesis set verifies; two thirds exactly, or fewer, does not")
    func quorum() throws {
        var k = Keys()
        let genesis = k.set(["v1", "v2", "v3", "v4"])
        var client = LightClient(genesis: genesis)
        try client.verify(k.commit(3, genesis, signedBy: ["v1", "v2", "v3"]), validators: genesis)
        #expect(client.trusted.keys.sorted() == [1, 3])
        // 2 of 4 equal powers: not a quorum.
        #expect(throws: CommitVerificationError.insufficientSignatures(height: 4, signed: 2000, total: 4000)) {
            try client.verify(k.commit(4, genesis, signedBy: ["v1", "v2"]), validators: genesis)
        }
        // Weighted: 3 of 4 validators but only 2/3 of the power exactly.
        var w = Keys()
        let weighted = ValidatorSet([("a", Int64(1000)), ("b", 1000), ("c", 1000), ("d", 1500)].map { id, p in
            let key = Curve25519.Signing.PrivateKey()
            w.keys[id] = key
            return Validator(id: id, power: p, key: Array(key.publicKey.rawRepresentation))
        })
        var weightedClient = LightClient(genesis: weighted)
        #expect(throws: CommitVerificationError.self) { try weightedClient.verify(w.commit(2, weighted, signedBy: ["a", "b", "c"]), validators: weighted) }
        try weightedClient.verify(w.commit(2, weighted, signedBy: ["a", "b", "d"]), validators: weighted)
    }

    @Test("Forgeries are refused: signatures by other keys, a vote counted twice, votes for another block, a served set that is not the block's")
    func forgeries() throws {
        var k = Keys()
        let genesis = k.set(["v1", "v2", "v3", "v4"])
        var client = LightClient(genesis: genesis)
        // An impostor's keys under the validators' names.
        var impostor = Keys()
        let fake = impostor.set(["v1", "v2", "v3", "v4"])
        let forged = impostor.commit(2, genesis, signedBy: ["v1", "v2", "v3", "v4"])
        #expect(throws: CommitVerificationError.insufficientSignatures(height: 2, signed: 0, total: 4000)) { try client.verify(forged, validators: genesis) }
        // The impostor serves its own set: the block names the genesis set's hash, so it does not match.
        #expect(throws: CommitVerificationError.validatorsMismatch(height: 2)) { try client.verify(forged, validators: fake) }
        // A block that names the impostor's set, signed by it: linked to nothing the client trusts.
        #expect(throws: CommitVerificationError.unlinked(height: 2, trustedHeight: 1)) {
            try client.verify(impostor.commit(2, fake, signedBy: ["v1", "v2", "v3", "v4"]), validators: fake)
        }
        // One validator's vote three times.
        var repeated = k.commit(5, genesis, signedBy: ["v1"])
        repeated.precommits += repeated.precommits + repeated.precommits
        #expect(throws: CommitVerificationError.self) { try client.verify(repeated, validators: genesis) }
        // Genuine precommits moved onto a block with other transactions.
        let genuine = k.commit(6, genesis, signedBy: ["v1", "v2", "v3", "v4"])
        let moved = Commit(block: genuine.block.with(transactions: [[0xde, 0xad]]), round: 0, precommits: genuine.precommits)
        #expect(throws: CommitVerificationError.self) { try client.verify(moved, validators: genesis) }
        #expect(client.trusted.keys.sorted() == [1])
    }

    @Test("A new set is trusted when more than a third of the trusted power signs its commit; otherwise a height between is needed")
    func skipping() throws {
        var k = Keys()
        let genesis = k.set(["v1", "v2", "v3", "v4"])
        let halfNew = k.set(["v1", "v2", "v5", "v6"])
        let allNew = k.set(["v5", "v6", "v7", "v8"])
        var client = LightClient(genesis: genesis)
        // v1 and v2 (half the genesis power) vouch for the new set.
        try client.verify(k.commit(10, halfNew, signedBy: ["v1", "v2", "v5"]), validators: halfNew)
        #expect(client.anchor(below: 12).height == 10)
        // From height 10, v5 and v6 vouch for the set with no genesis member.
        try client.verify(k.commit(20, allNew, signedBy: ["v5", "v6", "v7"]), validators: allNew)
        // But from the genesis anchor alone that set is unlinked: at height 5 the client trusts only the genesis.
        #expect(throws: CommitVerificationError.unlinked(height: 5, trustedHeight: 1)) {
            try client.verify(k.commit(5, allNew, signedBy: ["v5", "v6", "v7", "v8"]), validators: allNew)
        }
        // A quarter of the trusted power (v1 alone) is not enough.
        var fresh = LightClient(genesis: genesis)
        let mostlyNew = k.set(["v1", "v6", "v7", "v8"])
        #expect(throws: CommitVerificationError.unlinked(height: 3, trustedHeight: 1)) {
            try fresh.verify(k.commit(3, mostlyNew, signedBy: ["v1", "v6", "v7", "v8"]), validators: mostlyNew)
        }
    }

    @Test("The trusted heights are bounded; the genesis stays")
    func capacity() throws {
        var k = Keys()
        let genesis = k.set(["v1", "v2", "v3", "v4"])
        var client = LightClient(genesis: genesis, capacity: 4)
        for h in Int64(2)...20 { try client.verify(k.commit(h, genesis, signedBy: ["v1", "v2", "v3"]), validators: genesis) }
        #expect(client.trusted.keys.sorted() == [1, 18, 19, 20])
    }
}
