import ArgumentParser
import Evidence
import Foundation

/// `trustband keygen --out DIR`: a sensor's Ed25519 and X25519 keys.
struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen", abstract: "Make a sensor's keys: Ed25519 to sign evidence, X25519 for sealed authorizations.")

    @Option(help: "Directory for the key files (private ones are mode 0600; existing files are never overwritten).")
    var out: String

    func run() throws {
        try reportingErrors {
            let keys = SensorKeys()
            try keys.write(to: out)
            print("wrote \(out)/\(SensorKeys.signingFile)(.pub) and \(out)/\(SensorKeys.agreementFile)(.pub)")
            print("public signing key: \(keys.signingPublicKeyHex)")
        }
    }
}

/// `trustband evidence verify BUNDLE`.
struct EvidenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evidence", abstract: "Work with evidence bundles.", subcommands: [VerifyEvidence.self])
}

struct VerifyEvidence: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Check a bundle's signature, its excerpt's hash, and that the excerpt shows what the record says.")

    @Argument(help: "The bundle directory.")
    var bundle: String

    @Option(help: "The signer's public key file (sensor.ed25519.pub); without it the bundle's own key is used.")
    var pubkey: String?

    func run() throws {
        try reportingErrors {
            let key = try pubkey.map { try SensorKeys.loadPublicKey($0) }
            let record = try EvidenceVerifier.verify(bundle: bundle, publicKey: key)
            print("ok: \(record.kind) \(record.rule) of \(record.grantID) by \(record.suspect), record \(record.id)"
                  + (key == nil ? " (signed by the key in the bundle; pass --pubkey to pin the sensor)" : ""))
        }
    }
}
