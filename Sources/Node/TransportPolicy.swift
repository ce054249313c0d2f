import Foundation
import Ledger
import Logging
import TransportSecurity

/// Who may do what over the node's transport once TLS is on (docs/security.md, "Transport"):
/// a peer link or peer route needs a certificate naming a validator registered on the ledger
/// (and, for a link, the validator it claims to be); a transaction posted with a certificate
/// must be signed by the account the certificate names, unless the certificate is a validator's
/// (which relays others' transactions). Without TLS (loopback development) nothing is asked.
extension LedgerNode {
    /// Loads the TLS material and checks it against the configuration and the genesis.
    static func loadTLS(_ configuration: NodeConfiguration, genesis: Genesis, logger: Logger) throws(NodeError) -> ReloadingTLSContext? {
        guard let files = configuration.tls else {
            if genesis.consortiumCA != nil, !configuration.allowPlaintext {
                throw .tls("the genesis names a consortium CA: serve TLS (\"tls\" in the configuration), or set \"allow_plaintext\" on a development network")
            }
            return nil
        }
        let context: ReloadingTLSContext
        do { context = try ReloadingTLSContext(files: files, requireClientCertificate: configuration.requireClientCertificate, logger: logger) } catch {
            throw .tls(error.description)
        }
        let material = context.material
        if let expected = genesis.consortiumCA, expected != material.authorityFingerprint {
            throw .tls(TransportSecurityError.wrongCA(expected: expected, found: material.authorityFingerprint).description)
        }
        let mine = TransportIdentity(role: .validator, account: configuration.id)
        guard material.identities.contains(mine) else {
            throw .tls("\(files.certificate) names \(material.identities.map(\.uri).joined(separator: ", ")), not \(mine.uri)")
        }
        return context
    }

    /// Whether `id` is a validator registered on the ledger now.
    nonisolated func isRegisteredValidator(_ id: String) -> Bool {
        application.read { $0.accounts[id]?.role == .validator }
    }

    /// nil if `peer` may use a peer link or peer route (claiming to be `from`, if given); otherwise why not.
    nonisolated func peerRefusal(_ peer: PeerCertificate, claiming from: String?) -> String? {
        switch peer {
        case .plaintext: return nil
        case .anonymous: return "a peer must present a validator certificate from the consortium CA"
        case .identified(let identities):
            let validators = identities.filter { $0.role == .validator }.map(\.account)
            guard let named = validators.first else {
                return "the certificate names \(identities.map(\.uri).joined(separator: ", ")), no validator"
            }
            if let from, !validators.contains(from) { return "the certificate is \(named)'s, the link claims to come from \(from)" }
            guard validators.contains(where: isRegisteredValidator) else { return "\(named) is not a validator registered on the ledger" }
            return nil
        }
    }

    /// nil if a transaction signed by `signer` may be posted by `peer`; otherwise why not.
    nonisolated func submissionRefusal(signer: String, peer: PeerCertificate) -> String? {
        guard case .identified(let identities) = peer else { return nil }
        if identities.contains(TransportIdentity(role: .account, account: signer)) { return nil }
        if identities.contains(where: { $0.role == .validator && isRegisteredValidator($0.account) }) { return nil }
        return "the client certificate names \(identities.map(\.uri).joined(separator: ", ")); this transaction is signed by \(signer)"
    }
}
