import Crypto
import Foundation
import SwiftASN1
import X509

/// Makes a consortium CA and the certificates it issues (`trustband certs`): P-256 keys,
/// ECDSA-SHA256 signatures, X.509 v3 with the extensions a TLS 1.3 stack and `openssl verify`
/// expect. Keys and certificates come back as PEM (PKCS#8 for keys).
public enum CertificateIssuer {
    /// A certificate and its private key, PEM.
    public struct Issued: Sendable {
        public var certificatePEM: String
        public var keyPEM: String
        public init(certificatePEM: String, keyPEM: String) {
            self.certificatePEM = certificatePEM
            self.keyPEM = keyPEM
        }

        /// Writes the certificate, and the key readable by its owner only.
        public func write(certificate: String, key: String) throws {
            try certificatePEM.write(toFile: certificate, atomically: true, encoding: .utf8)
            guard FileManager.default.createFile(atPath: key, contents: Data(keyPEM.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: key])
            }
        }
    }

    /// A self-signed CA that may sign end-entity certificates only (path length 0).
    public static func makeAuthority(name: String, validFor days: Int, now: Date = Date()) throws(TransportSecurityError) -> Issued {
        let key = P256.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(key.publicKey)
        do {
            let subject = try DistinguishedName {
                OrganizationName("Trustband consortium")
                CommonName(name)
            }
            let extensions = try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: publicKey)
            }
            let certificate = try Certificate(version: .v3, serialNumber: .init(), publicKey: publicKey,
                                              notValidBefore: now - 300, notValidAfter: now + Double(days) * 86_400,
                                              issuer: subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
                                              extensions: extensions, issuerPrivateKey: .init(key))
            return Issued(certificatePEM: try certificate.serializeAsPEM().pemString, keyPEM: key.pemRepresentation)
        } catch { throw .issuing("\(error)") }
    }

    /// A certificate for `identity`, usable as TLS server and client, valid for the host names
    /// and addresses given (a node's listen address as its clients reach it) and for the
    /// identity's own host name (which its peers expect, `TransportIdentity.hostName`).
    public static func issue(identity: TransportIdentity, dnsNames: [String], ipAddresses: [String], validFor days: Int,
                             authority: Issued, now: Date = Date()) throws(TransportSecurityError) -> Issued {
        let caCertificate: Certificate, caKey: Certificate.PrivateKey
        do {
            caCertificate = try Certificate(pemEncoded: authority.certificatePEM)
            caKey = try Certificate.PrivateKey(pemEncoded: authority.keyPEM)
        } catch { throw .issuing("the CA certificate or key is not PEM (\(error))") }
        guard caKey.publicKey == caCertificate.publicKey else { throw .issuing("the CA key is not the CA certificate's key") }
        var names: [GeneralName] = [.uniformResourceIdentifier(identity.uri), .dnsName(identity.hostName)]
        names += dnsNames.map { .dnsName($0) }
        for address in ipAddresses {
            guard let bytes = ipBytes(address) else { throw .issuing("\"\(address)\" is not an IPv4 or IPv6 address") }
            names.append(.ipAddress(ASN1OctetString(contentBytes: bytes[...])))
        }
        let key = P256.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(key.publicKey)
        let notAfter = min(now + Double(days) * 86_400, caCertificate.notValidAfter)
        do {
            let subject = try DistinguishedName {
                OrganizationName("Trustband consortium")
                CommonName(identity.uri)
            }
            let extensions = try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth, .clientAuth])
                SubjectAlternativeNames(names)
                SubjectKeyIdentifier(hash: publicKey)
                if let ski = try caCertificate.extensions.subjectKeyIdentifier {
                    AuthorityKeyIdentifier(keyIdentifier: ski.keyIdentifier)
                }
            }
            let certificate = try Certificate(version: .v3, serialNumber: .init(), publicKey: publicKey,
                                              notValidBefore: now - 300, notValidAfter: notAfter,
                                              issuer: caCertificate.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
                                              extensions: extensions, issuerPrivateKey: caKey)
            return Issued(certificatePEM: try certificate.serializeAsPEM().pemString, keyPEM: key.pemRepresentation)
        } catch { throw .issuing("\(error)") }
    }

    /// Whether `text` is an IPv4 or IPv6 address (not a host name).
    public static func isIPAddress(_ text: String) -> Bool { ipBytes(text) != nil }

    /// The network-order bytes of an IPv4 or IPv6 address.
    static func ipBytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr(), v6 = in6_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }
}
