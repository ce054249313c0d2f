import Consensus
import Crypto
import Enforcement
import Ledger
import Synchronization

/// A ledger in memory for tests and simulation: per-account nonces, a mempool committed on
/// `commitPending()` into a block its validators (real Ed25519 keys) sign, refusal of a record
/// already on it (by record id, as the contract refuses duplicate evidence), and outages
/// (`down`) during which every call fails. It can also lie, as a compromised node would:
/// forge commits with too few signatures, or claim commits that never happened.
public final class InMemoryLedgerGateway: LedgerGateway {
    /// A validator of the twin: its id, key and power.
    public struct Member: Sendable {
        public var id: String
        public var key: Curve25519.Signing.PrivateKey
        public var power: Int64
        public init(id: String, key: Curve25519.Signing.PrivateKey = Curve25519.Signing.PrivateKey(), power: Int64 = 1000) {
            self.id = id
            self.key = key
            self.power = power
        }
    }

    private struct Pending {
        var id: String, signer: String, nonce: UInt64, recordID: String
        var wire: [UInt8]
    }

    private struct State {
        var nonces: [String: UInt64] = [:]
        var pending: [Pending] = []
        var committed: [String: Int64] = [:]
        var rejected: [String: Refusal] = [:]
        var records: [String] = []
        var height: Int64 = 0
        var down = false
        var lostSubmissions = 0
        var refusals: [String: String] = [:]
        var grants: [Grant] = []
        var members: [Member]
        /// Whose precommits served commits keep (nil: all, the genuine commit).
        var forgedSigners: Set<String>?
        var claimUncommitted = false
        var blocks: [Int64: Commit] = [:]
        var sets: [Int64: ValidatorSet] = [:]
        var clockOffsetNs: Int64 = 0
    }

    private let state: Mutex<State>
    /// The validators at height 1: what a verifier of this ledger trusts.
    public let genesisValidators: ValidatorSet
    /// Reads a submitted wire into (transaction id, signer, nonce, record id); the real ledger's
    /// decoding, handed in so that this target need not know the transaction format.
    private let decode: @Sendable ([UInt8]) -> (id: String, signer: String, nonce: UInt64, recordID: String)?

    /// - Parameter validators: the members that sign its blocks (four of equal power by default).
    public init(validators: [Member] = (1...4).map { Member(id: "v\($0)") },
                decode: @escaping @Sendable ([UInt8]) -> (id: String, signer: String, nonce: UInt64, recordID: String)?) {
        self.decode = decode
        genesisValidators = Self.set(of: validators)
        state = Mutex(State(members: validators))
    }

    static func set(of members: [Member]) -> ValidatorSet {
        ValidatorSet(members.map { Validator(id: $0.id, power: $0.power, key: Array($0.key.publicKey.rawRepresentation)) })
    }

    /// While set, the commits it serves keep only the precommits of `ids`, as a node that
    /// forges a commit from the few signatures it has would (nil: serve the genuine ones).
    public func forgeCommits(signedBy ids: Set<String>?) { state.withLock { $0.forgedSigners = ids } }

    /// From the next block on, `members` are the validators (a new set, as trust moves).
    public func replaceValidators(with members: [Member]) { state.withLock { $0.members = members } }

    /// While true, the twin reports pending transactions as committed in the last block,
    /// which does not carry them.
    public var claimsUncommitted: Bool {
        get { state.withLock { $0.claimUncommitted } }
        set { state.withLock { $0.claimUncommitted = newValue } }
    }

    /// While true, every call fails as if no node answered.
    public var down: Bool {
        get { state.withLock { $0.down } }
        set { state.withLock { $0.down = newValue } }
    }

    /// The next `count` submissions are lost on the way (the caller sees the connection fail;
    /// the ledger never sees the transaction), as when an agent dies while sending.
    public func loseSubmissions(_ count: Int) { state.withLock { $0.lostSubmissions = count } }

    /// Submissions carrying `recordID` are refused for good with `reason` (say, an unknown grant).
    public func refuse(recordID: String, reason: String) { state.withLock { $0.refusals[recordID] = reason } }

    /// What `clockOffset()` answers: this host's clock minus the ledger's.
    public func setClockOffset(_ ns: Int64) { state.withLock { $0.clockOffsetNs = ns } }

    public func clockOffset() async throws(GatewayError) -> Int64 {
        try state.withLock { s throws(GatewayError) -> Int64 in
            if s.down { throw GatewayError("no node answered") }
            return s.clockOffsetNs
        }
    }

    /// The grants `grants()` answers with.
    public func setGrants(_ grants: [Grant]) { state.withLock { $0.grants = grants } }

    /// Record ids on the ledger, in commit order (each must appear once).
    public var committedRecords: [String] { state.withLock { $0.records } }

    /// Commits everything pending in one block, in nonce order per signer; returns how many.
    @discardableResult
    public func commitPending() -> Int {
        state.withLock { s in
            guard !s.pending.isEmpty else { return 0 }
            s.height += 1
            var count = 0, included: [[UInt8]] = []
            for tx in s.pending.sorted(by: { ($0.signer, $0.nonce) < ($1.signer, $1.nonce) }) {
                let expected = (s.nonces[tx.signer] ?? 0) + 1
                if tx.nonce != expected {
                    s.rejected[tx.id] = .staleNonce("nonce \(tx.nonce) for \(tx.signer) is not the next one (\(expected))")
                } else if s.records.contains(tx.recordID) {
                    s.rejected[tx.id] = .recordAlreadyOnLedger
                } else {
                    s.nonces[tx.signer] = tx.nonce
                    s.records.append(tx.recordID)
                    s.committed[tx.id] = s.height
                    included.append(tx.wire)
                    count += 1
                }
            }
            s.pending.removeAll()
            Self.seal(&s, transactions: included)
            return count
        }
    }

    /// Makes block `s.height` of `transactions` and the precommits of its signers.
    private static func seal(_ s: inout State, transactions: [[UInt8]]) {
        let set = Self.set(of: s.members)
        let block = Block(height: s.height, previousHash: s.blocks[s.height - 1]?.block.hash ?? [], proposer: s.members[0].id,
                          timeNs: s.height * 1_000_000_000, transactions: transactions, lastCommit: s.blocks[s.height - 1]?.precommits ?? [],
                          validatorsHash: set.hash)
        let precommits = s.members.compactMap { m -> SignedVote? in
            let vote = ConsensusVote(step: .precommit, height: s.height, round: 0, blockHash: block.hash, validator: m.id)
            return (try? m.key.signature(for: vote.canonicalBytes)).map { SignedVote(vote: vote, signature: Array($0)) }
        }
        s.blocks[s.height] = Commit(block: block, round: 0, precommits: precommits)
        s.sets[s.height] = set
    }

    /// Loses the mempool, as a node restarted before committing would.
    public func dropPending() { state.withLock { $0.pending.removeAll() } }

    public func nextNonce(of account: String) async throws(GatewayError) -> UInt64 {
        try state.withLock { s throws(GatewayError) in
            guard !s.down else { throw GatewayError("no node reachable") }
            return (s.nonces[account] ?? 0) + 1
        }
    }

    public func submit(_ wire: [UInt8], id: String) async throws(GatewayError) -> SubmitOutcome {
        guard let tx = decode(wire), tx.id == id else { return .refused(.final("malformed transaction")) }
        return try state.withLock { s throws(GatewayError) in
            guard !s.down else { throw GatewayError("no node reachable") }
            if s.lostSubmissions > 0 {
                s.lostSubmissions -= 1
                throw GatewayError("connection reset")
            }
            if s.committed[id] != nil || s.pending.contains(where: { $0.id == id }) { return .accepted }
            if let reason = s.refusals[tx.recordID] { return .refused(.final(reason)) }
            if s.records.contains(tx.recordID) { return .refused(.recordAlreadyOnLedger) }
            let expected = (s.nonces[tx.signer] ?? 0) + 1
            if tx.nonce < expected { return .refused(.staleNonce("nonce \(tx.nonce) for \(tx.signer) is not the next one (\(expected))")) }
            s.pending.append(Pending(id: tx.id, signer: tx.signer, nonce: tx.nonce, recordID: tx.recordID, wire: wire))
            return .accepted
        }
    }

    public func status(of id: String) async throws(GatewayError) -> TransactionStatus {
        try state.withLock { s throws(GatewayError) in
            guard !s.down else { throw GatewayError("no node reachable") }
            if let height = s.committed[id] { return .committed(height: height) }
            if let refusal = s.rejected[id] { return .rejected(refusal) }
            if s.claimUncommitted, s.height > 0, s.pending.contains(where: { $0.id == id }) { return .committed(height: s.height) }
            if s.pending.contains(where: { $0.id == id }) { return .pending }
            return .unknown
        }
    }

    public func grants() async throws(GatewayError) -> [Grant] {
        try state.withLock { s throws(GatewayError) in
            guard !s.down else { throw GatewayError("no node reachable") }
            return s.grants
        }
    }

    public func commit(at height: Int64) async throws(GatewayError) -> Commit {
        try state.withLock { s throws(GatewayError) in
            guard !s.down else { throw GatewayError("no node reachable") }
            guard var commit = s.blocks[height] else { throw GatewayError("no block \(height)") }
            if let signers = s.forgedSigners { commit.precommits = commit.precommits.filter { signers.contains($0.vote.validator) } }
            return commit
        }
    }

    public func validators(at height: Int64) async throws(GatewayError) -> ValidatorSet {
        try state.withLock { s throws(GatewayError) in
            guard !s.down else { throw GatewayError("no node reachable") }
            guard let set = s.sets[height] else { throw GatewayError("no validator set for \(height)") }
            return set
        }
    }
}
