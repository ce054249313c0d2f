import Ledger

/// Transactions waiting for a block: admitted once (signature checked against the state,
/// nonce not yet used), kept per signer in nonce order, and handed to the block builder in
/// arrival order of their signers. Bounded in count, bytes and per account; when full it
/// refuses (back-pressure: the client is told to retry later), it never drops what it took.
public struct Mempool: Sendable {
    public struct Limits: Sendable, Codable, Equatable {
        public var maxTransactions = 20_000
        public var maxBytes = 64 << 20
        /// Pending transactions per signer (and how far ahead of the state a nonce may be).
        public var maxPerAccount = 1_024
        public init() {}

        enum CodingKeys: String, CodingKey { case maxTransactions = "max_transactions", maxBytes = "max_bytes", maxPerAccount = "max_per_account" }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            maxTransactions = try c.decodeIfPresent(Int.self, forKey: .maxTransactions) ?? maxTransactions
            maxBytes = try c.decodeIfPresent(Int.self, forKey: .maxBytes) ?? maxBytes
            maxPerAccount = try c.decodeIfPresent(Int.self, forKey: .maxPerAccount) ?? maxPerAccount
        }
    }

    /// Why a transaction was not taken.
    public enum Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        case duplicate(id: String)
        case nonceUsed(signer: String, nonce: UInt64, stateNonce: UInt64)
        case nonceTooFar(signer: String, nonce: UInt64, stateNonce: UInt64)
        case accountFull(signer: String)
        case full(transactions: Int, bytes: Int)

        public var description: String {
            switch self {
            case .duplicate(let id): return "transaction \(id) is already pending"
            case .nonceUsed(let signer, let nonce, let state): return "nonce \(nonce) of \(signer) is already used (last committed \(state)): replay refused"
            case .nonceTooFar(let signer, let nonce, let state): return "nonce \(nonce) of \(signer) is too far ahead of the last committed \(state)"
            case .accountFull(let signer): return "too many pending transactions from \(signer); retry later"
            case .full(let count, let bytes): return "mempool full (\(count) transactions, \(bytes) bytes); retry later"
            }
        }
    }

    public struct Entry: Sendable {
        public var id: String
        public var signed: SignedTransaction
        public var wire: [UInt8]

        public init(id: String, signed: SignedTransaction, wire: [UInt8]) {
            self.id = id
            self.signed = signed
            self.wire = wire
        }
    }

    public let limits: Limits
    var bySigner: [String: [UInt64: Entry]] = [:]
    /// Signers in order of their oldest pending transaction's arrival.
    var signerOrder: [String] = []
    var ids: [String: (signer: String, nonce: UInt64)] = [:]
    public private(set) var bytes = 0
    public var count: Int { ids.count }

    public init(limits: Limits = Limits()) { self.limits = limits }

    public func contains(_ id: String) -> Bool { ids[id] != nil }

    /// Whether these exact wire bytes (signature included) were admitted under `id`: only
    /// then has their signature been checked (the id covers the unsigned bytes alone).
    public func holds(_ id: String, wire: [UInt8]) -> Bool { entry(id, wire: wire) != nil }

    /// The entry admitted under `id` with exactly these wire bytes (its decoded transaction is
    /// the one the bytes hold, its signature checked), if there is one.
    public func entry(_ id: String, wire: [UInt8]) -> Entry? {
        guard let (signer, nonce) = ids[id], let entry = bySigner[signer]?[nonce], entry.wire == wire else { return nil }
        return entry
    }

    /// What `add` would refuse without looking at the signature (a transaction already here or
    /// committed, a nonce too far ahead, no room): checked first, so that a late gossip copy of
    /// a transaction costs no Ed25519 check.
    public func cheapRefusal(id: String, signer: String, nonce: UInt64, stateNonce: UInt64) -> Refusal? {
        if ids[id] != nil { return .duplicate(id: id) }
        if nonce <= stateNonce { return .nonceUsed(signer: signer, nonce: nonce, stateNonce: stateNonce) }
        if nonce - stateNonce > UInt64(limits.maxPerAccount) { return .nonceTooFar(signer: signer, nonce: nonce, stateNonce: stateNonce) }
        if let existing = bySigner[signer]?[nonce] { return .duplicate(id: existing.id) }
        if ids.count >= limits.maxTransactions { return .full(transactions: ids.count, bytes: bytes) }
        return nil
    }

    /// Takes a transaction whose signature the caller has checked; `stateNonce` is the
    /// signer's last committed nonce.
    public mutating func add(_ entry: Entry, stateNonce: UInt64) throws(Refusal) {
        let tx = entry.signed.transaction
        // Refused as cheapRefusal would; the same signer and nonce with other content is a
        // duplicate (the first keeps the nonce).
        if let refusal = cheapRefusal(id: entry.id, signer: tx.signer, nonce: tx.nonce, stateNonce: stateNonce) { throw refusal }
        let pending = bySigner[tx.signer] ?? [:]
        guard pending.count < limits.maxPerAccount else { throw .accountFull(signer: tx.signer) }
        guard bytes + entry.wire.count <= limits.maxBytes else { throw .full(transactions: ids.count, bytes: bytes) }
        if pending.isEmpty { signerOrder.append(tx.signer) }
        bySigner[tx.signer, default: [:]][tx.nonce] = entry
        ids[entry.id] = (tx.signer, tx.nonce)
        bytes += entry.wire.count
    }

    /// Up to `maxTransactions` runnable transactions: for each signer (oldest first), its
    /// pending nonces that follow the state's without a gap.
    public func reap(maxTransactions: Int, maxBytes: Int, stateNonce: (String) -> UInt64) -> [Entry] {
        var out: [Entry] = [], size = 0
        outer: for signer in signerOrder {
            guard let pending = bySigner[signer] else { continue }
            var next = stateNonce(signer) + 1
            while let entry = pending[next] {
                if out.count >= maxTransactions || size + entry.wire.count > maxBytes { break outer }
                out.append(entry)
                size += entry.wire.count
                next += 1
            }
        }
        return out
    }

    /// Drops what a new state has made stale: committed nonces and everything at or below them.
    public mutating func prune(stateNonce: (String) -> UInt64) {
        for signer in Array(bySigner.keys) {
            let state = stateNonce(signer)
            guard var pending = bySigner[signer] else { continue }
            for (nonce, entry) in pending where nonce <= state {
                pending[nonce] = nil
                ids[entry.id] = nil
                bytes -= entry.wire.count
            }
            bySigner[signer] = pending.isEmpty ? nil : pending
        }
        signerOrder.removeAll { bySigner[$0] == nil }
    }

    /// Removes one transaction (the block builder found it cannot apply).
    public mutating func remove(id: String) {
        guard let (signer, nonce) = ids.removeValue(forKey: id), let entry = bySigner[signer]?[nonce] else { return }
        bytes -= entry.wire.count
        bySigner[signer]![nonce] = nil
        if bySigner[signer]!.isEmpty {
            bySigner[signer] = nil
            signerOrder.removeAll { $0 == signer }
        }
    }
}
