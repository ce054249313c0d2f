import Crypto
import Evidence
import Foundation
import Ledger
import Signal
import TransportSecurity

/// A local devnet on disk: one key, config and data directory per validator, and a genesis
/// naming them (equal deposits, so equal trust: any one of four may fail). Accounts for
/// demonstrations and benchmarks can be added with `DevKeys` (insecure by design: their
/// private keys are derived from their names).
public enum Devnet {
    /// An account the genesis registers with dev keys.
    public struct DevAccount: Sendable {
        public var id: String
        public var role: Role
        public var deposit: Int64
        public var balance: Int64
        public init(id: String, role: Role, deposit: Int64, balance: Int64) {
            self.id = id
            self.role = role
            self.deposit = deposit
            self.balance = balance
        }
    }

    /// Writes `directory/genesis.json` and `directory/vN/{node.json, key/}`; returns the
    /// config paths in validator order. Existing keys and data are kept (a restarted devnet
    /// goes on from where it stopped); an existing genesis is kept too.
    ///
    /// With `tls`, also a consortium CA (`tls/ca.crt`, `tls/ca.key`) named in the genesis, a
    /// certificate per node (`vN/tls/`), `https` peers, and client certificates for the
    /// accounts in `tlsAccounts` (`tls/accounts/ID.{crt,key}`).
    public static func create(directory: String, nodes: Int, basePort: Int, host: String = "127.0.0.1",
                              devAccounts: [DevAccount] = [], parameters: [String: Int64] = [:],
                              timeouts: NodeConfiguration.Timeouts = .init(), tls: Bool = false, tlsAccounts: [String] = []) throws -> [String] {
        let fm = FileManager.default
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let ids = (1...nodes).map { "v\($0)" }
        let genesisPath = directory + "/genesis.json"
        let authority = tls ? try DevnetCertificates.authority(directory: directory) : nil
        if !fm.fileExists(atPath: genesisPath) {
            var keys: [String: SensorKeys] = [:]
            for id in ids {
                let k = SensorKeys()
                try fm.createDirectory(atPath: "\(directory)/\(id)", withIntermediateDirectories: true)
                try k.write(to: "\(directory)/\(id)/key")
                keys[id] = k
            }
            func account(_ id: String, _ role: Role, _ signing: [UInt8], _ agreement: [UInt8], deposit: Int64, balance: Int64) -> JSONValue {
                .object(JSONObject([("id", .string(id)), ("role", .string(role.rawValue)), ("deposit", .integer(deposit)), ("balance", .integer(balance)),
                                    ("signing_key", .string(hex(signing))), ("agreement_key", .string(hex(agreement)))]))
            }
            var accounts: [JSONValue] = ids.map { id in
                account(id, .validator, Array(keys[id]!.signing.publicKey.rawRepresentation), Array(keys[id]!.agreement.publicKey.rawRepresentation),
                        deposit: 400, balance: 10_000)
            }
            accounts += devAccounts.map { a in
                account(a.id, a.role, Array(DevKeys.signing(a.id).publicKey.rawRepresentation), Array(DevKeys.agreement(a.id).publicKey.rawRepresentation),
                        deposit: a.deposit, balance: a.balance)
            }
            let formatter = ISO8601DateFormatter()
            var fields: [(String, JSONValue)] = [
                ("time", .string(formatter.string(from: Date()))),
                ("params", .object(JSONObject(parameters.sorted { $0.key < $1.key }.map { ($0.key, .integer($0.value)) }))),
                ("accounts", .array(accounts)),
            ]
            if let authority { fields.append(("consortium_ca", .string(authority.fingerprint))) }
            let genesis = JSONValue.object(JSONObject(fields))
            try JSONWriter.write(genesis, indent: 2).write(toFile: genesisPath, atomically: true, encoding: .utf8)
        }
        if let authority {
            for account in tlsAccounts {
                try DevnetCertificates.issue(.init(role: .account, account: account), host: host, authority: authority,
                                             to: "\(directory)/tls/accounts", name: account)
            }
        }
        var paths: [String] = []
        let scheme = tls ? "https" : "http"
        for (n, id) in ids.enumerated() {
            let peers = ids.enumerated().filter { $0.element != id }.map { NodeConfiguration.Peer(id: $0.element, url: "\(scheme)://\(host):\(basePort + $0.offset)") }
            var config = NodeConfiguration(id: id, key: "key", listen: "\(host):\(basePort + n)", dataDir: "data", genesis: "../genesis.json", peers: peers)
            config.timeouts = timeouts
            if let authority {
                try DevnetCertificates.issue(.init(role: .validator, account: id), host: host, authority: authority, to: "\(directory)/\(id)/tls", name: "node")
                config.tls = TLSFiles(certificate: "tls/node.crt", key: "tls/node.key", ca: "../tls/ca.crt")
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let path = "\(directory)/\(id)/node.json"
            try encoder.encode(config).write(to: URL(fileURLWithPath: path))
            paths.append(path)
        }
        return paths
    }
}

/// A devnet's consortium CA and the certificates it issues (kept when they exist, like the keys).
public enum DevnetCertificates {
    public struct Authority {
        public var issued: CertificateIssuer.Issued
        public var fingerprint: String
    }

    /// `directory/tls/ca.{crt,key}`, made if missing.
    public static func authority(directory: String) throws -> Authority {
        let dir = directory + "/tls"
        let crt = dir + "/ca.crt", key = dir + "/ca.key"
        if !FileManager.default.fileExists(atPath: crt) {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let ca = try CertificateIssuer.makeAuthority(name: "Trustband devnet CA", validFor: 365)
            try ca.write(certificate: crt, key: key)
        }
        let issued = CertificateIssuer.Issued(certificatePEM: try String(contentsOfFile: crt, encoding: .utf8),
                                              keyPEM: try String(contentsOfFile: key, encoding: .utf8))
        return Authority(issued: issued, fingerprint: try TLSMaterial.fingerprint(ofCertificateAt: crt))
    }

    /// `to/name.{crt,key}` for `identity`, valid for `host` (and localhost), made if missing.
    public static func issue(_ identity: TransportIdentity, host: String, authority: Authority, to dir: String, name: String) throws {
        let crt = "\(dir)/\(name).crt"
        guard !FileManager.default.fileExists(atPath: crt) else { return }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let isAddress = CertificateIssuer.isIPAddress(host)
        let issued = try CertificateIssuer.issue(identity: identity, dnsNames: ["localhost"] + (isAddress ? [] : [host]),
                                                 ipAddresses: ["127.0.0.1"] + (isAddress && host != "127.0.0.1" ? [host] : []),
                                                 validFor: 365, authority: authority.issued)
        try issued.write(certificate: crt, key: "\(dir)/\(name).key")
    }
}
