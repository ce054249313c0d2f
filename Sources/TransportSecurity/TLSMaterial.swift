import Crypto
import Foundation
import NIOCore
import NIOSSL
import SwiftASN1
import X509

/// One end's TLS material, loaded and checked: the certificate chain, its private key and the
/// consortium CA. Loading refuses, naming the file, a key that is not the certificate's, a
/// certificate outside its validity, one the CA did not sign, or one that names no identity.
public struct TLSMaterial: Sendable {
    public let files: TLSFiles
    public let chain: [NIOSSLCertificate]
    public let privateKey: NIOSSLPrivateKey
    public let authority: NIOSSLCertificate
    /// The leaf, as swift-certificates reads it.
    public let leaf: Certificate
    public let identities: [TransportIdentity]
    /// SHA-256 of the CA certificate's DER, lower-case hex (what a genesis names as `consortium_ca`).
    public let authorityFingerprint: String

    public var notValidAfter: Date { leaf.notValidAfter }
    public var serial: String { leaf.serialNumber.description }

    /// Reads and checks `files` at time `now`.
    public static func load(_ files: TLSFiles, now: Date = Date()) throws(TransportSecurityError) -> TLSMaterial {
        let chainPEM = try read(files.certificate), keyPEM = try read(files.key), caPEM = try read(files.ca)
        let chain: [NIOSSLCertificate], authority: NIOSSLCertificate, privateKey: NIOSSLPrivateKey
        do { chain = try NIOSSLCertificate.fromPEMBytes(Array(chainPEM.utf8)) } catch {
            throw .malformed(path: files.certificate, problem: "not a PEM certificate (\(error))")
        }
        guard let leafSSL = chain.first else { throw .malformed(path: files.certificate, problem: "holds no certificate") }
        do {
            guard let first = try NIOSSLCertificate.fromPEMBytes(Array(caPEM.utf8)).first else { throw TransportSecurityError.malformed(path: files.ca, problem: "holds no certificate") }
            authority = first
        } catch let error as TransportSecurityError { throw error } catch {
            throw .malformed(path: files.ca, problem: "not a PEM certificate (\(error))")
        }
        do { privateKey = try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem) } catch {
            throw .malformed(path: files.key, problem: "not a PEM private key (\(error))")
        }
        let leaf: Certificate, ca: Certificate, key: Certificate.PrivateKey
        do {
            leaf = try Certificate(derEncoded: try leafSSL.toDERBytes())
            ca = try Certificate(derEncoded: try authority.toDERBytes())
        } catch { throw .malformed(path: files.certificate, problem: "\(error)") }
        do { key = try Certificate.PrivateKey(pemEncoded: keyPEM) } catch {
            throw .malformed(path: files.key, problem: "not a P-256, P-384, RSA or Ed25519 private key (\(error))")
        }
        guard key.publicKey == leaf.publicKey else { throw .keyMismatch(certificate: files.certificate, key: files.key) }
        guard now >= leaf.notValidBefore else { throw .notYetValid(path: files.certificate, from: iso(leaf.notValidBefore)) }
        guard now <= leaf.notValidAfter else { throw .expired(path: files.certificate, at: iso(leaf.notValidAfter)) }
        guard now <= ca.notValidAfter else { throw .expired(path: files.ca, at: iso(ca.notValidAfter)) }
        guard leaf.issuer == ca.subject, ca.publicKey.isValidSignature(leaf.signature, for: leaf) else {
            throw .untrusted(path: files.certificate, ca: files.ca)
        }
        let identities = TransportIdentity.named(in: leaf)
        guard !identities.isEmpty else { throw .noIdentity(path: files.certificate) }
        let fingerprint: String
        do { fingerprint = fingerprintHex(try authority.toDERBytes()) } catch { throw .malformed(path: files.ca, problem: "\(error)") }
        return TLSMaterial(files: files, chain: chain, privateKey: privateKey, authority: authority, leaf: leaf,
                           identities: identities, authorityFingerprint: fingerprint)
    }

    /// A server's configuration: TLS 1.3 only; a client certificate is asked for and, when one is
    /// presented, it must chain to the CA (`requireClientCertificate` refuses clients without one).
    public func serverConfiguration(requireClientCertificate: Bool) -> TLSConfiguration {
        var c = TLSConfiguration.makeServerConfigurationWithMTLS(certificateChain: chain.map { .certificate($0) },
                                                                 privateKey: .privateKey(privateKey), trustRoots: .certificates([authority]))
        c.certificateVerification = requireClientCertificate ? .noHostnameVerification : .optionalVerification
        c.minimumTLSVersion = .tlsv13
        c.shutdownTimeout = Self.shutdownTimeout
        return c
    }

    /// A client's configuration: TLS 1.3 only, the server must chain to the CA and match the
    /// host name it was reached by; this end's certificate is presented.
    public func clientConfiguration() -> TLSConfiguration {
        var c = TLSConfiguration.makeClientConfiguration()
        c.trustRoots = .certificates([authority])
        c.certificateChain = chain.map { .certificate($0) }
        c.privateKey = .privateKey(privateKey)
        c.minimumTLSVersion = .tlsv13
        c.certificateVerification = .fullVerification
        c.shutdownTimeout = Self.shutdownTimeout
        return c
    }

    /// SHA-256 of the (first) certificate in a PEM file: a CA's `consortium_ca`.
    public static func fingerprint(ofCertificateAt path: String) throws(TransportSecurityError) -> String {
        let pem = try read(path)
        do {
            guard let first = try NIOSSLCertificate.fromPEMBytes(Array(pem.utf8)).first else { throw TransportSecurityError.malformed(path: path, problem: "holds no certificate") }
            return fingerprintHex(try first.toDERBytes())
        } catch let error as TransportSecurityError { throw error } catch {
            throw .malformed(path: path, problem: "not a PEM certificate (\(error))")
        }
    }

    /// How long a closing connection waits for the other end's close_notify (NIOSSL's default,
    /// 5 s, held a stopping node past its supervisor's grace period when its peers stopped too).
    static let shutdownTimeout = TimeAmount.seconds(1)

    static func read(_ path: String) throws(TransportSecurityError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path: path, problem: "no such file, or not readable") }
        guard let text = String(data: data, encoding: .utf8) else { throw .malformed(path: path, problem: "not text (PEM expected)") }
        return text
    }

    static func iso(_ date: Date) -> String { ISO8601DateFormatter().string(from: date) }
}

/// SHA-256 of `der`, lower-case hex.
public func fingerprintHex(_ der: [UInt8]) -> String {
    SHA256.hash(data: der).map { String(format: "%02x", $0) }.joined()
}
