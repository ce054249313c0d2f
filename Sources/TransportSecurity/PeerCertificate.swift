import NIOCore
import NIOSSL
import SwiftASN1
import X509

/// What the other end of a connection proved about itself.
public enum PeerCertificate: Sendable, Equatable {
    /// The connection is not TLS (loopback development).
    case plaintext
    /// TLS, and the client presented no certificate.
    case anonymous
    /// TLS with a certificate that chains to the consortium CA (the handshake checked it), naming these identities.
    case identified([TransportIdentity])

    /// Reads it off a server-side connection once its handshake is done.
    public static func of(_ channel: any Channel) async -> PeerCertificate {
        do {
            guard let certificate = try await channel.nioSSL_peerCertificate().get() else { return .anonymous }
            guard let parsed = try? Certificate(derEncoded: certificate.toDERBytes()) else { return .identified([]) }
            return .identified(TransportIdentity.named(in: parsed))
        } catch {
            // No TLS handler in the pipeline.
            return .plaintext
        }
    }

    /// Whether it names `identity`.
    public func names(_ identity: TransportIdentity) -> Bool {
        if case .identified(let list) = self { return list.contains(identity) }
        return false
    }
}
