import Crypto
import Evidence
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
        guard let signer = fields["signer"] as? String else { throw UserFacingError(message: "demo: a transaction without a signer") }
        var object = fields
        let account = try await LedgerClient.json(node + "/v1/accounts/" + signer)
        object["nonce"] = ((account["nonce"] as? NSNumber)?.intValue ?? 0) + 1
        let key = validatorKeys[signer]
        let signed: SignedTransaction
        do {
            signed = try Scenario.transaction(json: try JSONSerialization.data(withJSONObject: object), signingKey: key, devSign: key == nil)
        } catch { throw UserFacingError(error) }
        let (status, message) = try await LedgerClient.submit(signed.wireBytes, to: node)
        guard status == 202 else { throw UserFacingError(message: "demo: \(signed.transaction.kind) by \(signer) refused (HTTP \(status)): \(message)") }
        for _ in 0..<600 {
            let (_, body) = try await LedgerClient.get(node + "/v1/tx/" + signed.id)
            let reply = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
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
