import Foundation
import Logging
import SwiftASN1
import TestSupport
import Testing
import TransportSecurity
import X509

/// The consortium CA and the certificates it issues, checked by OpenSSL (an independent X.509
/// implementation) and by our loader's refusals.
@Suite("TLS certificates")
struct CertificateIssuerTests {
    struct Scene {
        let dir: URL
        let ca: CertificateIssuer.Issued
        func write(_ name: String, _ issued: CertificateIssuer.Issued) throws -> TLSFiles {
            try issued.certificatePEM.write(to: dir.appendingPathComponent("\(name).crt"), atomically: true, encoding: .utf8)
            try issued.keyPEM.write(to: dir.appendingPathComponent("\(name).key"), atomically: true, encoding: .utf8)
            return TLSFiles(certificate: path("\(name).crt"), key: path("\(name).key"), ca: path("ca.crt"))
        }
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
    }

    static func scene(_ name: String = #function) throws -> Scene {
        let dir = try Paths.scratch(name)
        let ca = try CertificateIssuer.makeAuthority(name: "test CA", validFor: 30)
        try ca.certificatePEM.write(to: dir.appendingPathComponent("ca.crt"), atomically: true, encoding: .utf8)
        return Scene(dir: dir, ca: ca)
    }

    static func openssl(_ arguments: [String]) throws -> Subprocess.Result {
        try Subprocess.run(URL(fileURLWithPath: "/usr/bin/openssl"), arguments)
    }

    @Test("openssl verifies an issued certificate against the CA, for TLS server and client use")
    func opensslVerifies() throws {
        let s = try Self.scene()
        let leaf = try CertificateIssuer.issue(identity: .init(role: .validator, account: "v1"), dnsNames: ["localhost"], ipAddresses: ["127.0.0.1", "::1"],
                                               validFor: 10, authority: s.ca)
        let files = try s.write("v1", leaf)
        for purpose in ["sslserver", "sslclient"] {
            let r = try Self.openssl(["verify", "-purpose", purpose, "-CAfile", files.ca, files.certificate])
            #expect(r.status == 0, "openssl verify -purpose \(purpose): \(r.out) \(r.err)")
        }
        let hosts = try Self.openssl(["x509", "-in", files.certificate, "-noout", "-checkip", "127.0.0.1", "-checkhost", "localhost", "-ext", "subjectAltName"])
        #expect(hosts.out.contains("IP 127.0.0.1 does match certificate"), "\(hosts.out)")
        #expect(hosts.out.contains("Hostname localhost does match certificate"), "\(hosts.out)")
        #expect(hosts.out.contains("URI:trustband:validator:v1"), "\(hosts.out)")
        // openssl reads our private key as the certificate's key.
        let fromKey = try Self.openssl(["pkey", "-in", files.key, "-pubout"]).out
        let fromCert = try Self.openssl(["x509", "-in", files.certificate, "-noout", "-pubkey"]).out
        #expect(!fromKey.isEmpty && fromKey == fromCert)
        // A certificate from another CA does not verify against ours.
        let other = try CertificateIssuer.makeAuthority(name: "other CA", validFor: 30)
        let stranger = try s.write("stranger", try CertificateIssuer.issue(identity: .init(role: .validator, account: "v1"), dnsNames: [], ipAddresses: ["127.0.0.1"],
                                                                          validFor: 10, authority: other))
        #expect(try Self.openssl(["verify", "-CAfile", files.ca, stranger.certificate]).status != 0)
    }

    @Test("the loader reads the identity and the CA fingerprint openssl computes")
    func loads() throws {
        let s = try Self.scene()
        let files = try s.write("sensor", try CertificateIssuer.issue(identity: .init(role: .account, account: "sensor-1"), dnsNames: [], ipAddresses: [],
                                                                      validFor: 10, authority: s.ca))
        let material = try TLSMaterial.load(files)
        #expect(material.identities == [TransportIdentity(role: .account, account: "sensor-1")])
        let fingerprint = try Self.openssl(["x509", "-in", files.ca, "-noout", "-fingerprint", "-sha256"]).out
        let expected = fingerprint.split(separator: "=").last!.replacingOccurrences(of: ":", with: "").trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        #expect(material.authorityFingerprint == expected)
        #expect(abs(material.notValidAfter.timeIntervalSinceNow - 10 * 86_400) < 600)
    }

    @Test("the loader refuses, naming the file: another key, another CA, expired, not yet valid, no identity, not PEM")
    func refusals() throws {
        let s = try Self.scene()
        let good = try CertificateIssuer.issue(identity: .init(role: .validator, account: "v2"), dnsNames: [], ipAddresses: ["127.0.0.1"], validFor: 10, authority: s.ca)
        let other = try CertificateIssuer.issue(identity: .init(role: .validator, account: "v3"), dnsNames: [], ipAddresses: ["127.0.0.1"], validFor: 10, authority: s.ca)
        let swapped = try s.write("swapped", .init(certificatePEM: good.certificatePEM, keyPEM: other.keyPEM))
        #expect(throws: TransportSecurityError.keyMismatch(certificate: swapped.certificate, key: swapped.key)) { try TLSMaterial.load(swapped) }

        let foreignCA = try CertificateIssuer.makeAuthority(name: "foreign", validFor: 30)
        let foreign = try s.write("foreign", try CertificateIssuer.issue(identity: .init(role: .validator, account: "v2"), dnsNames: [], ipAddresses: [], validFor: 10, authority: foreignCA))
        #expect(throws: TransportSecurityError.untrusted(path: foreign.certificate, ca: foreign.ca)) { try TLSMaterial.load(foreign) }

        let files = try s.write("v2", good)
        do {
            _ = try TLSMaterial.load(files, now: Date() + 11 * 86_400)
            Issue.record("an expired certificate loaded")
        } catch { #expect("\(error)".contains("expired at"), "\(error)") }
        do {
            _ = try TLSMaterial.load(files, now: Date() - 86_400)
            Issue.record("a certificate not yet valid loaded")
        } catch { #expect("\(error)".contains("not valid before"), "\(error)") }

        // A certificate issued without any trustband identity (by openssl, from our CA's key).
        try s.ca.keyPEM.write(to: s.dir.appendingPathComponent("ca.key"), atomically: true, encoding: .utf8)
        let plain = s.path("plain")
        #expect(try Self.openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", plain + ".key", "-out", plain + ".crt",
                                  "-subj", "/CN=plain", "-days", "2", "-CA", s.path("ca.crt"), "-CAkey", s.path("ca.key")]).status == 0)
        let anonymous = TLSFiles(certificate: plain + ".crt", key: plain + ".key", ca: s.path("ca.crt"))
        #expect(throws: TransportSecurityError.noIdentity(path: anonymous.certificate)) { try TLSMaterial.load(anonymous) }

        try "not a certificate".write(toFile: s.path("junk.crt"), atomically: true, encoding: .utf8)
        let junk = TLSFiles(certificate: s.path("junk.crt"), key: files.key, ca: files.ca)
        do { _ = try TLSMaterial.load(junk); Issue.record("junk loaded") } catch { #expect("\(error)".hasPrefix(junk.certificate + ": not a PEM certificate"), "\(error)") }
        let missing = TLSFiles(certificate: s.path("nowhere.crt"), key: files.key, ca: files.ca)
        #expect(throws: TransportSecurityError.unreadable(path: missing.certificate, problem: "no such file, or not readable")) { try TLSMaterial.load(missing) }
    }

    @Test("a reloading context picks up a rotated certificate and keeps the old one when the new one is broken")
    func rotation() throws {
        let s = try Self.scene()
        let first = try CertificateIssuer.issue(identity: .init(role: .validator, account: "v1"), dnsNames: [], ipAddresses: ["127.0.0.1"], validFor: 10, authority: s.ca)
        let files = try s.write("v1", first)
        let context = try ReloadingTLSContext(files: files, requireClientCertificate: false, logger: .init(label: "test"))
        let firstSerial = context.material.serial
        #expect(context.reloadIfChanged() == .unchanged)

        // A half-done rotation: the new certificate is in place, its key not yet.
        let second = try CertificateIssuer.issue(identity: .init(role: .validator, account: "v1"), dnsNames: [], ipAddresses: ["127.0.0.1"], validFor: 20, authority: s.ca)
        Thread.sleep(forTimeInterval: 0.01)
        try second.certificatePEM.write(toFile: files.certificate, atomically: true, encoding: .utf8)
        guard case .kept(let reason) = context.reloadIfChanged() else { Issue.record("a mismatched key was put in use"); return }
        #expect(reason.contains("is not the private key"), "\(reason)")
        #expect(context.material.serial == firstSerial)

        try second.keyPEM.write(toFile: files.key, atomically: true, encoding: .utf8)
        guard case .reloaded(let serial) = context.reloadIfChanged() else { Issue.record("the rotated certificate was not loaded"); return }
        #expect(serial != firstSerial && context.material.serial == serial)
        #expect(context.secondsToExpiry() > 19 * 86_400)
    }
}
