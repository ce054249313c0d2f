import Crypto
import Foundation
import Ledger

/// The demo's hand on the ledger: signs transactions in their JSON (scenario) form with a dev
/// key or a validator's key, submits them to a node, and waits for each to commit.
struct DemoLedger {
    let node: String
    /// Validators' signing keys (the devnet's `vN/key/sensor.ed25519`); other accounts sign with dev keys.
    let validatorKeys: [String: Curve25519.Signing.PrivateKey]

    /// Submits `fields` (with `type` and `signer`) at the signer's next nonce; returns the
    /// events of its commit. A rejection throws with the ledger's reason.
    @discardableResult
    func send(_ fields: [String: Any]) async throws -> [String] {
        let signer = fields["signer"] as? String ?? ""
        let key = validatorKeys[signer]
        let signed = try await LedgerClient.send(fields, key: key, devSign: key == nil, to: node)
        for _ in 0..<600 {
            let reply = try await LedgerClient.transaction(signed.id, at: node)
            switch reply["status"] as? String {
            case "committed": return reply["events"] as? [String] ?? []
            case "rejected": throw UserFacingError(message: "demo: \(signed.transaction.kind) by \(signer) rejected: \(reply["reason"] ?? "")")
            default: try await Task.sleep(for: .milliseconds(50))
            }
        }
        throw UserFacingError(message: "demo: \(signed.transaction.kind) by \(signer) not committed within 30 s")
    }

    /// A section of the contract state (`cases`, `grants`, `accounts`…).
    func section(_ name: String) async throws -> [[String: Any]] {
        let reply = try await LedgerClient.json(node + "/v1/" + name)
        return reply[name] as? [[String: Any]] ?? []
    }

    func account(_ id: String) async throws -> [String: Any] { try await LedgerClient.json(node + "/v1/accounts/" + id) }
}
