import X509

/// Who a certificate speaks for, read from its subject alternative names: a URI
/// `trustband:validator:<id>` (a validator node) or `trustband:account:<id>` (an agent's sensor
/// account, or any other ledger account). The consortium CA vouches for the binding when it
/// issues the certificate; a node also checks the ledger (docs/security.md, "Transport").
public struct TransportIdentity: Sendable, Hashable, CustomStringConvertible {
    public enum Role: String, Sendable, Hashable, CaseIterable { case validator, account }

    public var role: Role
    public var account: String

    public init(role: Role, account: String) {
        self.role = role
        self.account = account
    }

    static let scheme = "trustband"

    /// The URI this identity is written as in a certificate.
    public var uri: String { "\(Self.scheme):\(role.rawValue):\(account)" }

    public var description: String { uri }

    /// A host name for this identity (`v1.validator.trustband`), also written into the
    /// certificate: a node linking to peer `v2` expects this name of it, so the server it reaches
    /// must hold v2's certificate whatever address it was reached by.
    public var hostName: String { "\(account).\(role.rawValue).trustband".lowercased() }

    /// The identity a URI names, or nil if it is not one of ours.
    public init?(uri: String) {
        let parts = uri.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == Self.scheme, let role = Role(rawValue: String(parts[1])), !parts[2].isEmpty else { return nil }
        self.init(role: role, account: String(parts[2]))
    }

    /// The identities a certificate names (normally one).
    public static func named(in certificate: Certificate) -> [TransportIdentity] {
        guard let names = try? certificate.extensions.subjectAlternativeNames else { return [] }
        return names.compactMap { name in
            if case .uniformResourceIdentifier(let uri) = name { return TransportIdentity(uri: uri) }
            return nil
        }
    }
}
