import Consensus
import Ledger
import Testing

@Suite("Consensus wire format")
struct ConsensusCodecTests {
    static let vote = SignedVote(vote: ConsensusVote(step: .prevote, height: 7, round: 2, blockHash: Array(repeating: 1, count: 32), validator: "v3"),
                                 signature: Array(repeating: 2, count: 64))
    static let block = Block(height: 7, previousHash: Array(repeating: 3, count: 32), proposer: "v1", timeNs: 123, transactions: [[1], [2, 3], []], lastCommit: [vote],
                             validatorsHash: Array(repeating: 9, count: 32))

    @Test("proposals, votes and decisions round-trip byte for byte")
    func roundTrip() throws {
        let commit = Commit(block: Self.block, round: 1, precommits: [Self.vote])
        let messages: [ConsensusMessage] = [.vote(Self.vote), .decision(commit)]
        for m in messages {
            #expect(try ConsensusMessage(wire: m.wireBytes) == m)
        }
        #expect(try Commit(wire: commit.wireBytes) == commit)
        #expect(try Commit(wire: commit.wireBytes).block.hash == Self.block.hash)
        #expect(try Commit(wire: commit.wireBytes).block.validatorsHash == Self.block.validatorsHash)
        // The validators hash is part of what votes name.
        let other = Block(height: 7, previousHash: Self.block.previousHash, proposer: "v1", timeNs: 123, transactions: Self.block.transactions,
                          lastCommit: [Self.vote], validatorsHash: Array(repeating: 8, count: 32))
        #expect(other.hash != Self.block.hash)
    }

    @Test("truncated, extended or mislabelled bytes are refused with a reason")
    func malformed() {
        let wire = ConsensusMessage.vote(Self.vote).wireBytes
        for bad in [Array(wire.dropLast()), wire + [0], Array(wire.prefix(3)), [], Commit(block: Self.block, round: 0, precommits: []).wireBytes] {
            #expect(throws: MalformedConsensusData.self) { try ConsensusMessage(wire: bad) }
        }
    }
}
