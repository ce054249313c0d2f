/// What is wrong with a TLS set-up: each names the file or the setting at fault.
public enum TransportSecurityError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadable(path: String, problem: String)
    case malformed(path: String, problem: String)
    case keyMismatch(certificate: String, key: String)
    case notYetValid(path: String, from: String)
    case expired(path: String, at: String)
    case untrusted(path: String, ca: String)
    case noIdentity(path: String)
    case wrongCA(expected: String, found: String)
    case issuing(String)

    public var description: String {
        switch self {
        case .unreadable(let path, let problem): return "\(path): cannot read: \(problem)"
        case .malformed(let path, let problem): return "\(path): \(problem)"
        case .keyMismatch(let certificate, let key): return "\(key) is not the private key of the certificate in \(certificate)"
        case .notYetValid(let path, let from): return "\(path): the certificate is not valid before \(from)"
        case .expired(let path, let at): return "\(path): the certificate expired at \(at)"
        case .untrusted(let path, let ca): return "\(path): the certificate is not signed by the CA in \(ca)"
        case .noIdentity(let path): return "\(path): the certificate names no trustband:validator:… or trustband:account:… URI"
        case .wrongCA(let expected, let found): return "the CA's SHA-256 fingerprint is \(found), the genesis names \(expected) (consortium_ca)"
        case .issuing(let m): return "issuing a certificate: \(m)"
        }
    }
}
