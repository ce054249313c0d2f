import Crypto
import Foundation
import Ledger

extension LedgerClient {
    /// Signs `object` (a transaction in its JSON scenario form, docs/ledger.md) at the signer's
    /// next nonce, unless it names one, and submits it to `node`; returns it once admitted.
    /// Signed with `key`, or with the signer's dev key when `devSign`.
    static func send(_ object: [String: Any], key: Curve25519.Signing.PrivateKey?, devSign: Bool, to node: String) async throws -> SignedTransaction {
        guard let signer = object["signer"] as? String else { throw UserFacingError(message: "tx: \"signer\" is required") }
        var object = object
        if object["nonce"] == nil {
            let account = try? await json(node + "/v1/accounts/" + signer)
            object["nonce"] = ((account?["nonce"] as? NSNumber)?.intValue ?? 0) + 1
        }
        let signed: SignedTransaction
        do {
            signed = try Scenario.transaction(json: try JSONSerialization.data(withJSONObject: object), signingKey: key, devSign: devSign)
        } catch { throw UserFacingError(error) }
        let (status, message) = try await submit(signed.wireBytes, to: node)
        guard status == 202 else { throw UserFacingError(message: "node refused \(signed.transaction.kind) by \(signer) (HTTP \(status)): \(message)") }
        return signed
    }

    /// `/v1/tx/{id}`: `status` committed (with `height`, `events`), pending, rejected (with
    /// `code`, `reason`) or unknown.
    static func transaction(_ id: String, at node: String) async throws -> [String: Any] {
        let (_, body) = try await get(node + "/v1/tx/" + id)
        return (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
    }
}
