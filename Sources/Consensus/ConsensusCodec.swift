import Evidence
import Ledger

/// A consensus message, block or commit that could not be decoded.
public struct MalformedConsensusData: Error, Sendable, Equatable, CustomStringConvertible {
    public var problem: String
    public var description: String { "malformed consensus data: \(problem)" }
}

/// The wire form of what validators exchange and store: the same fixed binary layout as
/// transactions (big-endian integers, length-prefixed fields, a tag and a version first), so
/// that a node's store and its peers read exactly the bytes that were hashed and signed.
public enum ConsensusCodec {
    /// Most transactions a block may carry, and the largest transaction in it.
    public static let maxTransactions = 100_000
    public static let maxTransactionBytes = 1 << 16
    /// The layout's version (2: blocks carry `validatorsHash`).
    static let version: UInt16 = 2

    static func write(_ b: Block, _ w: inout CanonicalWriter) {
        w.i64(b.height)
        w.data(b.previousHash)
        w.string(b.proposer)
        w.i64(b.timeNs)
        w.data(b.validatorsHash)
        w.u64(UInt64(b.transactions.count))
        for t in b.transactions { w.data(t) }
        writeVotes(b.lastCommit, &w)
    }

    static func writeVotes(_ votes: [SignedVote], _ w: inout CanonicalWriter) {
        w.u64(UInt64(votes.count))
        for v in votes { w.data(v.vote.canonicalBytes); w.data(v.signature) }
    }

    static func readBlock(_ r: inout CanonicalReader) throws -> Block {
        let height = try r.i64("block.height"), previous = try r.data("block.previous_hash")
        let proposer = try r.string("block.proposer"), time = try r.i64("block.time_ns")
        let validatorsHash = try r.data("block.validators_hash", limit: 64)
        let count = try r.u64("block.transactions")
        guard count <= UInt64(maxTransactions) else { throw MalformedConsensusData(problem: "block claims \(count) transactions, more than \(maxTransactions)") }
        var txs: [[UInt8]] = []
        txs.reserveCapacity(Int(count))
        for n in 0..<Int(count) { txs.append(try r.data("block.transactions[\(n)]", limit: maxTransactionBytes)) }
        return Block(height: height, previousHash: previous, proposer: proposer, timeNs: time, transactions: txs, lastCommit: try readVotes(&r, "block.last_commit"),
                     validatorsHash: validatorsHash)
    }

    static func readVotes(_ r: inout CanonicalReader, _ field: String) throws -> [SignedVote] {
        let count = try r.u64(field)
        guard count <= 10_000 else { throw MalformedConsensusData(problem: "\(field) claims \(count) votes") }
        return try (0..<Int(count)).map { n in
            SignedVote(vote: try ConsensusVote(canonical: try r.data("\(field)[\(n)]")), signature: try r.data("\(field)[\(n)].signature"))
        }
    }

    /// Runs a decoder over `bytes`, checks that it read them all, and names the problem.
    static func decode<T>(_ bytes: [UInt8], tag: String, _ body: (inout CanonicalReader) throws -> T) throws(MalformedConsensusData) -> T {
        do {
            var r = CanonicalReader(bytes)
            guard try r.string("tag") == tag else { throw MalformedConsensusData(problem: "not a \(tag) message") }
            guard try r.u16("version") == version else { throw MalformedConsensusData(problem: "unknown \(tag) version") }
            let value = try body(&r)
            try r.finish()
            return value
        } catch let error as MalformedConsensusData {
            throw error
        } catch {
            throw MalformedConsensusData(problem: "\(error)")
        }
    }

    static func encode(tag: String, _ body: (inout CanonicalWriter) -> Void) -> [UInt8] {
        var w = CanonicalWriter()
        w.string(tag)
        w.u16(version)
        body(&w)
        return w.bytes
    }
}

extension Commit {
    /// The commit as stored and served (`/v1/blocks/{height}`).
    public var wireBytes: [UInt8] {
        ConsensusCodec.encode(tag: "TBCM") { w in
            ConsensusCodec.write(block, &w)
            w.i64(round)
            ConsensusCodec.writeVotes(precommits, &w)
        }
    }

    public init(wire bytes: [UInt8]) throws(MalformedConsensusData) {
        self = try ConsensusCodec.decode(bytes, tag: "TBCM") { r in
            Commit(block: try ConsensusCodec.readBlock(&r), round: try r.i64("round"), precommits: try ConsensusCodec.readVotes(&r, "precommits"))
        }
    }

    /// Power of the distinct validators whose valid precommits for this block and round are
    /// in the commit; a commit is proof of a decision when that power is a quorum of `set`.
    public func signedPower(in set: ValidatorSet, signer: any MessageSigner) -> Int64 {
        var seen = Set<String>(), power: Int64 = 0
        let hash = block.hash
        for s in precommits where s.vote.step == .precommit && s.vote.height == block.height && s.vote.round == round
            && s.vote.blockHash == hash && !seen.contains(s.vote.validator) && set.power(of: s.vote.validator) > 0
            && signer.verify(s.signature, of: s.vote.canonicalBytes, by: s.vote.validator) {
            seen.insert(s.vote.validator)
            power += set.power(of: s.vote.validator)
        }
        return power
    }
}

extension ConsensusMessage {
    /// The message as it travels between nodes.
    public var wireBytes: [UInt8] {
        ConsensusCodec.encode(tag: "TBMS") { w in
            switch self {
            case .proposal(let p):
                w.u8(1)
                w.i64(p.height); w.i64(p.round); w.i64(p.validRound)
                ConsensusCodec.write(p.block, &w)
                w.string(p.proposer)
                w.data(p.signature)
            case .vote(let v):
                w.u8(2)
                w.data(v.vote.canonicalBytes)
                w.data(v.signature)
            case .decision(let c):
                w.u8(3)
                w.data(c.wireBytes)
            }
        }
    }

    public init(wire bytes: [UInt8]) throws(MalformedConsensusData) {
        self = try ConsensusCodec.decode(bytes, tag: "TBMS") { r in
            switch try r.u8("kind") {
            case 1:
                let h = try r.i64("height"), round = try r.i64("round"), valid = try r.i64("valid_round")
                let block = try ConsensusCodec.readBlock(&r)
                return .proposal(Proposal(height: h, round: round, validRound: valid, block: block, proposer: try r.string("proposer"),
                                          signature: try r.data("signature")))
            case 2:
                return .vote(SignedVote(vote: try ConsensusVote(canonical: try r.data("vote")), signature: try r.data("signature")))
            case 3:
                return .decision(try Commit(wire: try r.data("commit", limit: 1 << 30)))
            case let k:
                throw MalformedConsensusData(problem: "unknown message kind \(k)")
            }
        }
    }
}
