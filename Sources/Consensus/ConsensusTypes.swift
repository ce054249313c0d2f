import Crypto
import Evidence
import Ledger

/// A validator, its voting power (trust, thousandths) and its Ed25519 signing key (raw, 32
/// bytes; empty in simulations, whose signatures are not Ed25519).
public struct Validator: Sendable, Equatable {
    public var id: String
    public var power: Int64
    public var key: [UInt8]

    public init(id: String, power: Int64, key: [UInt8] = []) {
        self.id = id
        self.power = power
        self.key = key
    }
}

/// The validators of one height: voting power, quorum thresholds (by cross-multiplying, never
/// dividing) and the proposer order (descending power, ties by id; DESIGN.md section 5).
public struct ValidatorSet: Sendable, Equatable {
    public let members: [Validator]
    public let totalPower: Int64
    /// Proposers in order: round r is led by `order[r mod n]`.
    public let order: [String]
    /// SHA-256 over the members (id, power, key) in id order: what a block's `validatorsHash`
    /// names, so that a light client can check a set a node serves against the chain.
    public let hash: [UInt8]

    public init(_ members: [Validator]) {
        self.members = members.filter { $0.power > 0 }.sorted { $0.id < $1.id }
        totalPower = self.members.reduce(0) { $0 + $1.power }
        order = self.members.sorted { $0.power != $1.power ? $0.power > $1.power : $0.id < $1.id }.map(\.id)
        var w = CanonicalWriter()
        for b in "TBVS".utf8 { w.u8(b) }
        w.u16(1)
        w.u64(UInt64(self.members.count))
        for m in self.members { w.string(m.id); w.i64(m.power); w.data(m.key) }
        hash = Array(SHA256.hash(data: w.bytes))
    }

    public func power(of id: String) -> Int64 { members.first { $0.id == id }?.power ?? 0 }

    /// More than two thirds of the total power.
    public func isQuorum(_ power: Int64) -> Bool { power * 3 > totalPower * 2 }

    /// More than one third: at least one honest validator among them.
    public func isOneThird(_ power: Int64) -> Bool { power * 3 > totalPower }

    public func proposer(round: Int64) -> String { order[Int(round % Int64(order.count))] }
}

/// A block: what a height commits.
///
/// Immutable: its hash is computed once, at creation (votes name it; the core compares it often,
/// and a full block hashes thousands of transactions).
public struct Block: Sendable, Equatable {
    public let height: Int64
    public let previousHash: [UInt8]
    public let proposer: String
    public let timeNs: Int64
    /// Transactions in wire form, in order.
    public let transactions: [[UInt8]]
    /// The precommits that committed the previous block.
    public let lastCommit: [SignedVote]
    /// `ValidatorSet.hash` of the set that votes at this height (empty in simulations).
    public let validatorsHash: [UInt8]
    /// SHA-256 over the header and the transactions' hashes; what votes name.
    public let hash: [UInt8]

    public init(height: Int64, previousHash: [UInt8], proposer: String, timeNs: Int64, transactions: [[UInt8]], lastCommit: [SignedVote],
                validatorsHash: [UInt8] = []) {
        self.height = height
        self.previousHash = previousHash
        self.proposer = proposer
        self.timeNs = timeNs
        self.transactions = transactions
        self.lastCommit = lastCommit
        self.validatorsHash = validatorsHash
        hash = Self.hash(height: height, previousHash: previousHash, proposer: proposer, timeNs: timeNs, validatorsHash: validatorsHash,
                         transactions: transactions, lastCommit: lastCommit)
    }

    public static func == (a: Block, b: Block) -> Bool { a.hash == b.hash }

    /// The same header with other transactions.
    public func with(transactions: [[UInt8]]) -> Block {
        Block(height: height, previousHash: previousHash, proposer: proposer, timeNs: timeNs, transactions: transactions, lastCommit: lastCommit,
              validatorsHash: validatorsHash)
    }

    static func hash(height: Int64, previousHash: [UInt8], proposer: String, timeNs: Int64, validatorsHash: [UInt8], transactions: [[UInt8]],
                     lastCommit: [SignedVote]) -> [UInt8] {
        var w = CanonicalWriter()
        for b in "TBBK".utf8 { w.u8(b) }
        w.u16(2)
        w.i64(height)
        w.data(previousHash)
        w.string(proposer)
        w.i64(timeNs)
        w.data(validatorsHash)
        w.u64(UInt64(transactions.count))
        for t in transactions { w.data(Array(SHA256.hash(data: t))) }
        w.u64(UInt64(lastCommit.count))
        for v in lastCommit { w.data(v.vote.canonicalBytes); w.data(v.signature) }
        return Array(SHA256.hash(data: w.bytes))
    }
}

/// Signs and checks consensus messages. Nodes use Ed25519 (`Ed25519Signer`); the simulator a
/// cheap stand-in with the same rule: only the key holder can sign for an id.
public protocol MessageSigner: Sendable {
    func sign(_ bytes: [UInt8], as validator: String) -> [UInt8]
    func verify(_ signature: [UInt8], of bytes: [UInt8], by validator: String) -> Bool
}

/// A block proposed for a height and round; `validRound` is the round in which the proposer
/// saw it gain a polka (−1: none).
public struct Proposal: Sendable, Equatable {
    public var height: Int64
    public var round: Int64
    public var validRound: Int64
    public var block: Block
    public var proposer: String
    public var signature: [UInt8]

    public var signedBytes: [UInt8] {
        var w = CanonicalWriter()
        for b in "TBPR".utf8 { w.u8(b) }
        w.i64(height)
        w.i64(round)
        w.i64(validRound)
        w.data(block.hash)
        w.string(proposer)
        return w.bytes
    }
}

/// A committed block and the precommits (> 2/3 of the power) that committed it.
public struct Commit: Sendable, Equatable {
    public var block: Block
    public var round: Int64
    public var precommits: [SignedVote]

    public init(block: Block, round: Int64, precommits: [SignedVote]) {
        self.block = block
        self.round = round
        self.precommits = precommits
    }
}

/// What travels between validators.
public enum ConsensusMessage: Sendable, Equatable {
    case proposal(Proposal)
    case vote(SignedVote)
    /// A decision, for validators that are behind (catch-up).
    case decision(Commit)

    public var height: Int64 {
        switch self {
        case .proposal(let p): return p.height
        case .vote(let v): return v.vote.height
        case .decision(let c): return c.block.height
        }
    }
}

/// Timers the core asks for; it is told when they fire.
public struct Timeout: Sendable, Equatable, Hashable {
    public enum Step: Sendable, Hashable { case propose, prevote, precommit, resend, commitWait }
    public var step: Step
    public var height: Int64
    public var round: Int64
}

/// What the core wants done, in order: persist before sending (a restarted validator must not
/// vote differently), then send, then apply commits.
public enum ConsensusEffect: Sendable, Equatable {
    case broadcast(ConsensusMessage)
    case send(ConsensusMessage, to: String)
    case schedule(Timeout, afterNs: Int64)
    case commit(Commit)
}
