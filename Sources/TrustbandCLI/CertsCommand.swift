import ArgumentParser
import Foundation
import Node
import TransportSecurity

/// `trustband certs`: the consortium CA and the TLS certificates of nodes and agents
/// (docs/security.md, "Certificates").
struct CertsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certs", abstract: "Create the consortium CA and issue TLS certificates for nodes and agents.",
        subcommands: [Authority.self, Issue.self, Show.self])

    struct Authority: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ca", abstract: "Create a consortium CA (ca.crt, ca.key); prints the fingerprint the genesis names as consortium_ca.")

        @Option(help: "Directory for ca.crt and ca.key.")
        var out: String
        @Option(help: "The CA's name.")
        var name = "Trustband consortium CA"
        @Option(help: "Days of validity.")
        var days = 3650
        @Flag(help: "Replace an existing CA (every certificate it issued stops being trusted).")
        var force = false

        func run() throws {
            let crt = out + "/ca.crt", key = out + "/ca.key"
            guard force || !FileManager.default.fileExists(atPath: crt) else { throw ValidationError("\(crt) exists (--force replaces it)") }
            guard days > 0 else { throw ValidationError("--days must be positive") }
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let ca = try CertificateIssuer.makeAuthority(name: name, validFor: days)
            try ca.write(certificate: crt, key: key)
            print("wrote \(crt) and \(key) (keep the key offline)")
            print("consortium_ca: \(try TLSMaterial.fingerprint(ofCertificateAt: crt))")
        }
    }

    struct Issue: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "issue", abstract: "Issue a certificate naming a validator or an account, signed by the CA.")

        @Option(help: "Directory holding ca.crt and ca.key.")
        var ca: String
        @Option(help: "The validator this certificate is for (a node).")
        var validator: String?
        @Option(help: "The account this certificate is for (an agent's sensor account, or a client).")
        var account: String?
        @Option(help: "Host names the certificate is valid for (repeat).")
        var dns: [String] = []
        @Option(help: "IP addresses the certificate is valid for (repeat).")
        var ip: [String] = []
        @Option(help: "Days of validity (capped at the CA's).")
        var days = 90
        @Option(help: "Directory for NAME.crt and NAME.key.")
        var out: String
        @Option(help: "File name stem (default: the validator or account id).")
        var name: String?

        func validate() throws {
            guard (validator == nil) != (account == nil) else { throw ValidationError("give --validator or --account, one of them") }
            guard days > 0 else { throw ValidationError("--days must be positive") }
        }

        func run() throws {
            let identity = validator.map { TransportIdentity(role: .validator, account: $0) } ?? TransportIdentity(role: .account, account: account!)
            let authority = CertificateIssuer.Issued(certificatePEM: try read(ca + "/ca.crt"), keyPEM: try read(ca + "/ca.key"))
            let issued = try CertificateIssuer.issue(identity: identity, dnsNames: dns, ipAddresses: ip, validFor: days, authority: authority)
            let stem = name ?? identity.account
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let crt = "\(out)/\(stem).crt", key = "\(out)/\(stem).key"
            // The new files replace old ones in one step each: a node reloading them mid-way
            // keeps its current certificate until both match (ReloadingTLSContext).
            try issued.write(certificate: crt + ".new", key: key + ".new")
            for path in [key, crt] where rename(path + ".new", path) != 0 {
                throw UserFacingError(message: "cannot move \(path).new to \(path): \(String(cString: strerror(errno)))")
            }
            let material = try TLSMaterial.load(TLSFiles(certificate: crt, key: key, ca: ca + "/ca.crt"))
            print("wrote \(crt) and \(key): \(identity.uri), serial \(material.serial), valid until \(ISO8601DateFormatter().string(from: material.notValidAfter))")
        }

        func read(_ path: String) throws -> String {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw ValidationError("cannot read \(path)") }
            return text
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Check a certificate and its key against the CA; print who it names and when it expires.")

        @Argument(help: "The certificate (PEM).")
        var certificate: String
        @Option(help: "Its private key (default: the certificate's path with .key).")
        var key: String?
        @Option(help: "The CA certificate.")
        var ca: String

        func run() throws {
            let keyPath = key ?? (certificate.hasSuffix(".crt") ? String(certificate.dropLast(4)) + ".key" : certificate + ".key")
            let material: TLSMaterial
            do { material = try TLSMaterial.load(TLSFiles(certificate: certificate, key: keyPath, ca: ca)) } catch {
                throw UserFacingError(message: error.description)
            }
            let days = material.notValidAfter.timeIntervalSinceNow / 86_400
            print("\(certificate): \(material.identities.map(\.uri).joined(separator: ", "))")
            print("  serial \(material.serial), valid until \(ISO8601DateFormatter().string(from: material.notValidAfter)) (\(String(format: "%.1f", days)) days)")
            print("  signed by the CA \(material.authorityFingerprint); the key matches")
        }
    }
}
