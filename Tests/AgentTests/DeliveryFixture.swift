import Agent
import Crypto
import Foundation
import Ledger
import Signal
import Storage
import Synchronization
import TestSupport

/// An outbox on disk, the in-memory ledger, and a sensor that signs with a real Ed25519 key
/// into real ledger transactions (`Transaction.signed`, wire bytes decoded back by the twin).
struct DeliveryFixture {
    static let account = "sensor-1"
    let directory: URL
    let key = Curve25519.Signing.PrivateKey()
    let ledger: InMemoryLedgerGateway
    let clock = ManualNanoseconds()

    init(_ name: String = #function, validators: [InMemoryLedgerGateway.Member] = (1...4).map { .init(id: "v\($0)") }) throws {
        directory = try Paths.scratch(name)
        ledger = InMemoryLedgerGateway(validators: validators) { wire in
            guard let signed = try? SignedTransaction(wire: wire),
                  case .evidence(let record, _) = signed.transaction.body else { return nil }
            return (signed.transaction.id, signed.transaction.signer, signed.transaction.nonce, Hex.encode(SHA256.hash(data: record)))
        }
    }

    var outboxPath: String { directory.appendingPathComponent("outbox.sqlite").path }

    func openOutbox() throws -> EvidenceOutbox { try EvidenceOutbox(path: outboxPath) }

    /// A delivery worker over a freshly opened outbox (as after a restart).
    func delivery(_ outbox: EvidenceOutbox) -> EvidenceDelivery {
        let key = self.key
        return EvidenceDelivery(account: Self.account, outbox: outbox, gateway: ledger,
                                verifier: CommitVerifier(gateway: ledger, genesis: ledger.genesisValidators), sign: { record, signature, nonce in
            let signed = try Transaction(signer: Self.account, nonce: nonce, body: .evidence(record: record, signature: signature)).signed(by: key)
            return (signed.transaction.id, signed.wireBytes)
        }, now: { [clock] in clock.now }, backoff: Backoff(initialNs: 1_000_000_000, maximumNs: 8_000_000_000))
    }

    /// A distinct record (its bytes) and its id, as the ledger will know it.
    func record(_ n: Int) -> (id: String, bytes: [UInt8], signature: [UInt8]) {
        let bytes = Array("evidence record \(n)".utf8)
        return (Hex.encode(SHA256.hash(data: bytes)), bytes, Array(repeating: UInt8(n & 0xff), count: 64))
    }

    @discardableResult
    func enqueue(_ n: Int, into outbox: EvidenceOutbox, bundleBytes: Int64 = 0, bundle: String? = nil) throws -> String {
        let r = record(n)
        try outbox.enqueue(recordID: r.id, record: r.bytes, signature: r.signature, bundle: bundle, bundleBytes: bundleBytes, at: clock.now)
        return r.id
    }

    /// Steps delivery as the service loop would, committing a block whenever it waits for
    /// one, advancing the clock by each back-off, until it is idle (or `limit` steps).
    func drive(_ delivery: EvidenceDelivery, limit: Int = 1000) async throws -> (steps: Int, backoffNs: Int64) {
        var waited: Int64 = 0
        for step in 0..<limit {
            switch try await delivery.step() {
            case .idle: return (step, waited)
            case .again: continue
            case .waitForCommit: ledger.commitPending()
            case .backOff(let delay):
                waited += delay
                clock.advance(delay)
            }
        }
        return (limit, waited)
    }
}

/// A clock tests move by hand.
final class ManualNanoseconds: Sendable {
    private let value = Mutex<Int64>(1_000_000_000)
    var now: Int64 { value.withLock { $0 } }
    func advance(_ ns: Int64) { value.withLock { $0 += ns } }
}
