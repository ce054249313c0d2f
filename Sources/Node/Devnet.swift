import Crypto
import Evidence
import Foundation
import Ledger
import Signal

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
    public static func create(directory: String, nodes: Int, basePort: Int, host: String = "127.0.0.1",
                              devAccounts: [DevAccount] = [], parameters: [String: Int64] = [:],
                              timeouts: NodeConfiguration.Timeouts = .init()) throws -> [String] {
        let fm = FileManager.default
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let ids = (1...nodes).map { "v\($0)" }
        let genesisPath = directory + "/genesis.json"
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
            let genesis = JSONValue.object(JSONObject([
                ("time", .string(formatter.string(from: Date()))),
                ("params", .object(JSONObject(parameters.sorted { $0.key < $1.key }.map { ($0.key, .integer($0.value)) }))),
                ("accounts", .array(accounts)),
            ]))
            try JSONWriter.write(genesis, indent: 2).write(toFile: genesisPath, atomically: true, encoding: .utf8)
        }
        var paths: [String] = []
        for (n, id) in ids.enumerated() {
            let peers = ids.enumerated().filter { $0.element != id }.map { NodeConfiguration.Peer(id: $0.element, url: "http://\(host):\(basePort + $0.offset)") }
            var config = NodeConfiguration(id: id, key: "key", listen: "\(host):\(basePort + n)", dataDir: "data", genesis: "../genesis.json", peers: peers)
            config.timeouts = timeouts
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let path = "\(directory)/\(id)/node.json"
            try encoder.encode(config).write(to: URL(fileURLWithPath: path))
            paths.append(path)
        }
        return paths
    }
}
