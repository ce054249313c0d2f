import Crypto
import Evidence
import Foundation
import Signal

/// A genesis and a list of blocks of transactions, replayed through the contract: what
/// `trustband contract run` does, and how auditors re-check a ledger offline. Pure: JSON in,
/// the resulting contract and a log of every transaction out.
public enum Scenario {
    /// What happened to one transaction.
    public struct Outcome: Sendable {
        public var height: Int64
        public var index: Int
        public var id: String
        public var kind: String
        public var signer: String
        public var result: Result<Receipt, LedgerError>
    }

    public struct Run: Sendable {
        public var contract: Contract
        public var outcomes: [Outcome]
        /// Events at the end of blocks (deadlines, production cycles), by height.
        public var blockEvents: [(height: Int64, events: [String])]
    }

    /// Runs a scenario. With `devSign`, transactions without a signature, and accounts and
    /// registrations without keys, use `DevKeys` named by the account id.
    public static func run(json data: Data, devSign: Bool) throws(LedgerError) -> Run {
        let root: JSONValue
        do { root = try JSONValue.parse(data) } catch { throw .malformed(problem: error.description) }
        let top = try ScenarioField(path: "scenario", root)
        let genesis = try parseGenesis(try top.object("genesis"), devSign: devSign)
        var contract = try Contract(genesis: genesis)
        var blocks: [(field: String, value: JSONValue)] = []
        if top.has("blocks") {
            blocks = try top.array("blocks").enumerated().map { ("scenario.blocks[\($0.offset)]", $0.element) }
        }
        if top.has("transactions") {
            // One block per transaction.
            for (n, tx) in try top.array("transactions").enumerated() {
                blocks.append(("scenario.transactions[\(n)]", .object(JSONObject([("txs", .array([tx]))]))))
            }
        }
        var run = Run(contract: contract, outcomes: [], blockEvents: [])
        var time = genesis.timeNs
        for (n, (path, value)) in blocks.enumerated() {
            let block = try ScenarioField(path: path, value)
            time = try block.optionalTime("time") ?? (time + 1_000_000_000)
            let proposer = try block.optionalString("proposer")
            let context = BlockContext(height: Int64(n + 1), timeNs: time, proposer: proposer)
            contract.beginBlock(context)
            let txs = block.has("txs") ? try block.array("txs") : []
            for (i, item) in txs.enumerated() {
                let isSingle = path.contains("transactions[")
                let field = try ScenarioField(path: isSingle ? path : "\(path).txs[\(i)]", item)
                let signed = try TransactionBuilder(field: field, contract: contract, devSign: devSign).build()
                let result = contract.apply(signed)
                run.outcomes.append(Outcome(height: context.height, index: i, id: signed.id, kind: signed.transaction.kind,
                                            signer: signed.transaction.signer, result: result))
            }
            let events = contract.endBlock(context)
            if !events.isEmpty { run.blockEvents.append((context.height, events)) }
        }
        run.contract = contract
        return run
    }

    static func parseGenesis(_ g: ScenarioField, devSign: Bool) throws(LedgerError) -> Genesis {
        var genesis = Genesis(timeNs: try g.optionalTime("time") ?? 0)
        if let ca = try g.optionalString("consortium_ca") {
            guard ca.count == 64, ca.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
                throw g.fail("consortium_ca", "must be the CA certificate's SHA-256 fingerprint, 64 lower-case hex digits")
            }
            genesis.consortiumCA = ca
        }
        if g.has("params") {
            let params = try g.object("params")
            for (key, value) in params.object {
                guard let v = value.int64Value else { throw params.fail(key, "must be an integer") }
                guard genesis.parameters.set(key, v) else {
                    throw params.fail(key, "is not a parameter (known: \(genesis.parameters.named.map(\.0).joined(separator: ", ")))")
                }
            }
        }
        for (n, item) in (g.has("accounts") ? try g.array("accounts") : []).enumerated() {
            let a = try ScenarioField(path: "\(g.path).accounts[\(n)]", item)
            let id = try a.string("id")
            let roleName = try a.string("role")
            guard let role = Role(rawValue: roleName) else { throw a.fail("role", "\(roleName) is not one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))") }
            let keys = try Self.keys(a, id: id, devSign: devSign)
            genesis.accounts.append(.init(id: id, role: role, signingKey: keys.signing, agreementKey: keys.agreement,
                                          deposit: try a.optionalInt("deposit") ?? 0, balance: try a.optionalInt("balance") ?? 0))
        }
        for (n, item) in (g.has("allocations") ? try g.array("allocations") : []).enumerated() {
            let a = try ScenarioField(path: "\(g.path).allocations[\(n)]", item)
            let key: [UInt8]
            if a.has("signing_key") {
                key = try a.bytes("signing_key", count: 32)
            } else if devSign, let name = try a.optionalString("account") {
                key = Array(DevKeys.signing(name).publicKey.rawRepresentation)
            } else {
                throw a.fail("signing_key", "is required (or account, with --dev-sign)")
            }
            genesis.allocations.append((key, try a.int("amount")))
        }
        return genesis
    }

    /// An account's public keys from hex fields, or its dev keys.
    static func keys(_ a: ScenarioField, id: String, devSign: Bool) throws(LedgerError) -> (signing: [UInt8], agreement: [UInt8]) {
        if a.has("signing_key") || !devSign {
            for key in ["signing_key", "agreement_key"] where !a.has(key) { throw a.fail(key, "is required (32 bytes, hex), or run with --dev-sign") }
            return (try a.bytes("signing_key", count: 32), try a.bytes("agreement_key", count: 32))
        }
        return (Array(DevKeys.signing(id).publicKey.rawRepresentation), Array(DevKeys.agreement(id).publicKey.rawRepresentation))
    }
}

extension Genesis {
    /// A genesis file: the `genesis` object of a scenario (time, params, accounts with hex
    /// keys, allocations by signing key); with `devSign`, missing keys are `DevKeys`.
    public static func parse(json data: Data, devSign: Bool = false) throws(LedgerError) -> Genesis {
        let root: JSONValue
        do { root = try JSONValue.parse(data) } catch { throw .malformed(problem: error.description) }
        var field = try ScenarioField(path: "genesis", root)
        if field.has("genesis") { field = try field.object("genesis") }
        return try Scenario.parseGenesis(field, devSign: devSign)
    }
}

extension Scenario {
    /// One transaction in scenario form (`{"type": "demand", "signer": …}`), signed with
    /// `signingKey` (or dev keys with `devSign`). Without a `nonce` field the nonce is 1.
    /// Defaults that need the ledger's state (sealed authorizations, evidence records) must
    /// be given explicitly.
    public static func transaction(json data: Data, signingKey: Curve25519.Signing.PrivateKey?, devSign: Bool) throws(LedgerError) -> SignedTransaction {
        let root: JSONValue
        do { root = try JSONValue.parse(data) } catch { throw .malformed(problem: error.description) }
        let field = try ScenarioField(path: "tx", root)
        return try TransactionBuilder(field: field, contract: try Contract(genesis: Genesis()), devSign: devSign, signingKey: signingKey).build()
    }
}
