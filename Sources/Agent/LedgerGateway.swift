import Consensus
import Enforcement

/// What the agent asks of the ledger. The HTTP implementation talks to a node's `/v1` API
/// with failover between nodes; `InMemoryLedgerGateway` is its twin for tests and simulation.
public protocol LedgerGateway: Sendable {
    /// The next nonce the ledger expects from `account` (1 for a fresh account).
    func nextNonce(of account: String) async throws(GatewayError) -> UInt64
    /// Submits a signed transaction's wire bytes.
    func submit(_ wire: [UInt8], id: String) async throws(GatewayError) -> SubmitOutcome
    /// Where the transaction with `id` stands.
    func status(of id: String) async throws(GatewayError) -> TransactionStatus
    /// The grants in force on the ledger.
    func grants() async throws(GatewayError) -> [Grant]
    /// The block of `height` with the precommits that committed it.
    func commit(at height: Int64) async throws(GatewayError) -> Commit
    /// The validator set that voted at `height`, with its keys.
    func validators(at height: Int64) async throws(GatewayError) -> ValidatorSet
    /// This host's clock minus the node's, ns (measured at the middle of the round trip).
    func clockOffset() async throws(GatewayError) -> Int64
    /// Stops preferring the node that answered last (it served something that failed
    /// verification); the next calls go to another.
    func passOver()
}

extension LedgerGateway {
    public func passOver() {}
}

/// The node's answer to a submission.
public enum SubmitOutcome: Sendable, Equatable {
    /// In the mempool (or already there / already committed: a replay of the same bytes).
    case accepted
    /// Refused as it stands.
    case refused(Refusal)
}

/// Why the ledger will not take a transaction, in the terms delivery acts on.
public enum Refusal: Sendable, Equatable {
    /// The evidence record is on the ledger already (an earlier transaction carried it).
    case recordAlreadyOnLedger
    /// The nonce is not the account's next one: sign again with a fresh one.
    case staleNonce(String)
    /// Anything else (unknown grant, unregistered sensor, malformed): it will never be taken.
    case final(String)
}

/// A transaction's fate as the ledger reports it.
public enum TransactionStatus: Sendable, Equatable {
    case committed(height: Int64)
    case pending
    case rejected(Refusal)
    /// The ledger has never heard of it (lost with a node's mempool, or never arrived).
    case unknown
}

/// The ledger could not be asked (no node reachable, a timeout, an answer that made no sense).
public struct GatewayError: Error, Sendable, Equatable, CustomStringConvertible {
    public var problem: String
    public init(_ problem: String) { self.problem = problem }
    public var description: String { "ledger: \(problem)" }
}
