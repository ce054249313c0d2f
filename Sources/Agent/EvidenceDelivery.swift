import Storage
import Synchronization

/// Moves evidence from the outbox to the ledger, one record at a time (a sensor's transactions
/// carry consecutive nonces), so that each record reaches the ledger exactly once:
///
/// - a pending record is signed into a transaction with the account's next nonce, and that
///   transaction is written to the outbox *before* it is sent;
/// - a sent record is settled by asking the ledger about that very transaction: committed, and
///   the commit verified (`CommitVerifier`: the block carries these bytes, and that height's
///   validators decided it) → delivered; a commit that does not verify → the node is passed
///   over and the record waits; unknown (lost, or never arrived) → the same bytes again; its nonce stale →
///   signed afresh; the record already on the ledger → delivered (the contract refuses a
///   record twice, so a second case can never open); any other refusal → refused, kept for
///   the operator, and the queue moves on.
///
/// `step()` does one unit of work and says what should happen next, so tests drive it
/// deterministically and the agent's work loop (`AgentServices.Work`) sleeps as it asks.
public final class EvidenceDelivery: Sendable {
    /// What to do after a step.
    public enum Next: Sendable, Equatable {
        /// Nothing to deliver.
        case idle
        /// Something changed: step again at once.
        case again
        /// A transaction is in the mempool: ask again after the poll interval.
        case waitForCommit
        /// The ledger did not answer: try again after `delayNs`.
        case backOff(delayNs: Int64)
    }

    /// What happened to a record, for logs and metrics.
    public enum Event: Sendable, Equatable {
        /// On the ledger; `latencyNs` from enqueueing to now.
        case delivered(recordID: String, height: Int64?, latencyNs: Int64)
        case refused(recordID: String, reason: String)
        /// Signed again with a fresh nonce.
        case resigned(recordID: String, reason: String)
        case unreachable(problem: String)
        /// A node said the record's transaction was committed and could not prove it.
        case unverified(recordID: String, problem: String)
    }

    /// Signs a record into a transaction with `nonce`: its id and wire bytes.
    public typealias Signer = @Sendable (_ record: [UInt8], _ signature: [UInt8], _ nonce: UInt64) throws -> (id: String, wire: [UInt8])

    public let account: String
    private let outbox: EvidenceOutbox
    private let gateway: any LedgerGateway
    private let verifier: CommitVerifier
    private let sign: Signer
    private let now: @Sendable () -> Int64
    private let backoff: Backoff
    private let observe: @Sendable (Event) -> Void

    /// - Parameter verifier: checks each commit the ledger reports (over the same gateway).
    public init(account: String, outbox: EvidenceOutbox, gateway: any LedgerGateway, verifier: CommitVerifier, sign: @escaping Signer,
                now: @escaping @Sendable () -> Int64, backoff: Backoff = Backoff(), observe: @escaping @Sendable (Event) -> Void = { _ in }) {
        self.account = account
        self.outbox = outbox
        self.gateway = gateway
        self.verifier = verifier
        self.sign = sign
        self.now = now
        self.backoff = backoff
        self.observe = observe
    }

    /// One unit of work on the oldest undelivered record.
    public func step() async throws(DeliveryError) -> Next {
        let entry: OutboxEntry
        do {
            guard let next = try outbox.next() else { return .idle }
            entry = next
        } catch { throw .outbox(error) }
        do {
            let next = try await advance(entry)
            if case .backOff = next {} else { backoff.succeeded() }
            return next
        } catch let error as GatewayError {
            try? outbox.noteFailure(entry.recordID, error.problem)
            observe(.unreachable(problem: error.problem))
            return .backOff(delayNs: backoff.failed())
        } catch let error as StorageError {
            throw .outbox(error)
        } catch {
            throw .signing(recordID: entry.recordID, problem: "\(error)")
        }
    }

    private func advance(_ entry: OutboxEntry) async throws -> Next {
        switch entry.state {
        case .pending:
            let nonce = try await gateway.nextNonce(of: account)
            let (id, wire) = try sign(entry.record, entry.signature, nonce)
            try outbox.markSent(entry.recordID, transactionID: id, wire: wire)
            return try settle(entry, after: try await gateway.submit(wire, id: id))
        case .sent:
            guard let id = entry.transactionID, let wire = entry.transactionWire else {
                try outbox.markPending(entry.recordID, reason: "sent without a transaction on record")
                return .again
            }
            switch try await gateway.status(of: id) {
            case .committed(let height):
                do {
                    try await verifier.confirm(wire, at: height)
                } catch .unreachable(let error) {
                    throw error
                } catch .unverified(let problem) {
                    gateway.passOver()
                    try? outbox.noteFailure(entry.recordID, problem)
                    observe(.unverified(recordID: entry.recordID, problem: problem))
                    return .backOff(delayNs: backoff.failed())
                }
                try delivered(entry, height: height)
                return .again
            case .pending:
                return .waitForCommit
            case .rejected(let refusal):
                return try settle(entry, refusal)
            case .unknown:
                return try settle(entry, after: try await gateway.submit(wire, id: id))
            }
        case .delivered, .refused:
            return .again
        }
    }

    private func settle(_ entry: OutboxEntry, after outcome: SubmitOutcome) throws -> Next {
        switch outcome {
        case .accepted: return .waitForCommit
        case .refused(let refusal): return try settle(entry, refusal)
        }
    }

    private func settle(_ entry: OutboxEntry, _ refusal: Refusal) throws -> Next {
        switch refusal {
        case .recordAlreadyOnLedger:
            try delivered(entry, height: nil)
        case .staleNonce(let reason):
            try outbox.markPending(entry.recordID, reason: reason)
            observe(.resigned(recordID: entry.recordID, reason: reason))
        case .final(let reason):
            try outbox.markRefused(entry.recordID, reason: reason, at: now())
            observe(.refused(recordID: entry.recordID, reason: reason))
        }
        return .again
    }

    private func delivered(_ entry: OutboxEntry, height: Int64?) throws {
        let at = now()
        try outbox.markDelivered(entry.recordID, height: height, at: at)
        observe(.delivered(recordID: entry.recordID, height: height, latencyNs: at - entry.enqueuedNs))
    }
}

/// Exponential back-off while the ledger is unreachable: `initialNs`, doubling to `maximumNs`,
/// back to the start after a success.
public final class Backoff: Sendable {
    public let initialNs: Int64, maximumNs: Int64
    private let current: Mutex<Int64>

    public init(initialNs: Int64 = 500_000_000, maximumNs: Int64 = 30_000_000_000) {
        self.initialNs = initialNs
        self.maximumNs = maximumNs
        current = Mutex(initialNs)
    }

    /// The delay before the next try; doubles the one after.
    func failed() -> Int64 {
        current.withLock { delay in
            defer { delay = min(maximumNs, delay * 2) }
            return delay
        }
    }

    func succeeded() { current.withLock { $0 = initialNs } }
}

/// Delivery could not go on (the outbox unusable, a record that cannot be signed).
public enum DeliveryError: Error, Sendable, CustomStringConvertible {
    case outbox(StorageError)
    case signing(recordID: String, problem: String)

    public var description: String {
        switch self {
        case .outbox(let error): return "agent: outbox: \(error)"
        case .signing(let id, let problem): return "agent: signing evidence \(id): \(problem)"
        }
    }
}
