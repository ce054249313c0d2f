import Crypto
import Evidence
import HashTreeCollections

/// A running SHA-256 over the items of a section that only grows, in the order they were added:
/// empty is 32 zero bytes, and adding item x gives SHA-256(previous ‖ length(x) ‖ x). The state
/// hash takes a growing section's chain instead of its every item, so committing a block costs
/// what the block added, not what the ledger holds (docs/ledger.md, "State hash").
struct StateChain: Sendable, Equatable {
    private(set) var digest = [UInt8](repeating: 0, count: 32)

    mutating func add(_ item: [UInt8]) {
        var hasher = SHA256()
        hasher.update(data: digest)
        withUnsafeBytes(of: UInt64(item.count).bigEndian) { hasher.update(bufferPointer: $0) }
        hasher.update(data: item)
        digest = Array(hasher.finalize())
    }

    mutating func add(_ write: (inout CanonicalWriter) -> Void) {
        var w = CanonicalWriter()
        write(&w)
        add(w.bytes)
    }
}

/// The chains of the contract's growing sections (derived from the state: not in snapshots,
/// rebuilt on restore).
struct StateChains: Sendable, Equatable {
    var openDemands = StateChain()
    var demandIDs = StateChain()
    var grants = StateChain()
    var rounds = StateChain()
    var evidence = StateChain()
    /// Decided cases, in the order they were decided (a decided case no longer changes but for
    /// its corroborations, which the evidence chain holds).
    var decidedCases = StateChain()
    /// Token ids ever used, in arrival order; trades, in order.
    var tokenIDs = StateChain()
    var trades = StateChain()
    /// Positions of the cases still open, ascending, and the SHA-256 of each one's bytes
    /// (kept up as a case changes: a vote), which is what the state hash takes of it. A
    /// persistent map: each block's copy of the state shares it rather than copying it whole.
    var openCases: [Int] = []
    var openCaseDigests: TreeDictionary<Int, [UInt8]> = [:]
}
