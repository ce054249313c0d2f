import Crypto
import Foundation

/// Deterministic keys named by a string, for scenarios and tests only: anyone who knows the
/// name has the private key. `trustband contract run --dev-sign` signs with them.
public enum DevKeys {
    public static func signing(_ name: String) -> Curve25519.Signing.PrivateKey {
        try! Curve25519.Signing.PrivateKey(rawRepresentation: Data(SHA256.hash(data: Data("trustband dev key ed25519 \(name)".utf8))))
    }

    public static func agreement(_ name: String) -> Curve25519.KeyAgreement.PrivateKey {
        try! Curve25519.KeyAgreement.PrivateKey(rawRepresentation: Data(SHA256.hash(data: Data("trustband dev key x25519 \(name)".utf8))))
    }
}
