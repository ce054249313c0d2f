import Enforcement
import Synchronization

/// A ledger in memory for tests and simulation: per-account nonces, a mempool committed on
/// `commitPending()`, refusal of a record already on it (by record id, as the contract
/// refuses duplicate evidence), and outages (`down`) during which every call fails.
public final class InMemoryLedgerGateway: LedgerGateway {
    private struct State {
        var nonces: [String: UInt64] = [:]
        var pending: [(id: String, signer: String, nonce: UInt64, recordID: String)] = []
        var committed: [String: Int64] = [:]
        var rejected: [String: Refusal] = [:]
        var records: [String] = []
        var height: Int64 = 0
        var down = false
        var lostSubmissions = 0
        var refusals: [String: String] = [:]
        var grants: [Grant] = []
    }

    private let state = Mutex(State())
    /// Reads a submitted wire into (transaction id, signer, nonce, record id); the real ledger's
    /// decoding, handed in so that this target need not know the transaction format.
    private let decode: @Sendable ([UInt8]) -> (id: String, signer: String, nonce: UInt64, recordID: String)?

    public init(decode: @escaping @Sendable ([UInt8]) -> (id: String, signer: String, nonce: UInt64, recordID: String)?) {
        self.decode = decode
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
            var count = 0
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
                    count += 1
                }
            }
            s.pending.removeAll()
            return count
        }
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
            s.pending.append(tx)
            return .accepted
        }
    }

    public func status(of id: String) async throws(GatewayError) -> TransactionStatus {
        try state.withLock { s throws(GatewayError) in
            guard !s.down else { throw GatewayError("no node reachable") }
            if let height = s.committed[id] { return .committed(height: height) }
            if let refusal = s.rejected[id] { return .rejected(refusal) }
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
}
