import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
import Signal
#endif

/// A sensor's keys: Ed25519 to sign evidence, X25519 to receive sealed authorizations. Stored
/// as hex text, private files with mode 0600.
public struct SensorKeys: Sendable {
    public let signing: Curve25519.Signing.PrivateKey
    public let agreement: Curve25519.KeyAgreement.PrivateKey

    public static let signingFile = "sensor.ed25519", agreementFile = "sensor.x25519"

    /// The Ed25519 public key as hex, as the `.pub` file holds it.
    public var signingPublicKeyHex: String { hex(signing.publicKey.rawRepresentation) }

    public init(signing: Curve25519.Signing.PrivateKey = .init(), agreement: Curve25519.KeyAgreement.PrivateKey = .init()) {
        self.signing = signing
        self.agreement = agreement
    }

    /// Writes the four key files into `directory` (created if needed), refusing to overwrite.
    public func write(to directory: String) throws(EvidenceError) {
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw .io(path: directory, problem: "cannot create: \(error)")
        }
        let files: [(String, Data, Int)] = [
            (Self.signingFile, signing.rawRepresentation, 0o600), (Self.signingFile + ".pub", signing.publicKey.rawRepresentation, 0o644),
            (Self.agreementFile, agreement.rawRepresentation, 0o600), (Self.agreementFile + ".pub", agreement.publicKey.rawRepresentation, 0o644),
        ]
        for (name, _, _) in files where FileManager.default.fileExists(atPath: directory + "/" + name) {
            throw .refusingToOverwrite(path: directory + "/" + name)
        }
        for (name, key, mode) in files {
            let path = directory + "/" + name
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(mode))
            guard fd >= 0 else { throw .io(path: path, problem: "cannot create (errno \(errno))") }
            let text = Array((hex(key) + "\n").utf8)
            let written = text.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            close(fd)
            guard written == text.count else { throw .io(path: path, problem: "short write") }
        }
    }

    /// Reads the Ed25519 private key written by `write`.
    public static func loadSigningKey(_ path: String) throws(EvidenceError) -> Curve25519.Signing.PrivateKey {
        do { return try Curve25519.Signing.PrivateKey(rawRepresentation: try readHex(path, bytes: 32)) } catch let e as EvidenceError { throw e } catch {
            throw .invalidKey(path: path, problem: "not an Ed25519 private key")
        }
    }

    /// Reads an Ed25519 public key (`….pub`).
    public static func loadPublicKey(_ path: String) throws(EvidenceError) -> Curve25519.Signing.PublicKey {
        do { return try Curve25519.Signing.PublicKey(rawRepresentation: try readHex(path, bytes: 32)) } catch let e as EvidenceError { throw e } catch {
            throw .invalidKey(path: path, problem: "not an Ed25519 public key")
        }
    }

    static func readHex(_ path: String, bytes: Int) throws(EvidenceError) -> Data {
        guard let data = FileManager.default.contents(atPath: path) else { throw .invalidKey(path: path, problem: "cannot read") }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let raw = unhex(text), raw.count == bytes else { throw .invalidKey(path: path, problem: "expected \(bytes) bytes as hex") }
        return raw
    }
}

package func hex<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 { Hex.encode(bytes) }
package func hex<D: Digest>(_ digest: D) -> String { Hex.encode(digest) }

package func unhex(_ text: String) -> Data? { Hex.decode(text).map { Data($0) } }
