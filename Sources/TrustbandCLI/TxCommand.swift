import ArgumentParser
import Crypto
import Evidence
import Foundation
import Ledger

/// `trustband tx`: submit the contract's transactions to a node, and follow them.
struct TxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tx", abstract: "Submit transactions to a ledger node and follow them.",
                                                    subcommands: [Send.self, Status.self])

    struct Send: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign and submit one transaction given as JSON (scenario form, e.g. '{\"type\": \"demand\", \"signer\": \"user-1\", …}').",
            discussion: "Types: register, top_up, withdraw, offer, demand, close_round, authorize, evidence, vote, equivocation, mint, split, merge, transfer, ask, bid, cancel; fields as in docs/ledger.md. "
                + "Without \"nonce\", the signer's next nonce is read from the node.")

        @Argument(help: "The transaction as JSON, or a file holding it, or - for standard input.")
        var transaction: String

        @Option(help: "Node URL.")
        var node = "http://127.0.0.1:7101"

        @Option(help: "Directory with the signer's Ed25519 key (sensor.ed25519, from `trustband keygen`).")
        var key: String?

        @Flag(help: "Sign with the insecure dev key derived from the signer's name (devnets only).")
        var devSign = false

        @Flag(help: "Wait until the transaction is committed or rejected.")
        var wait = false

        func run() async throws {
            var text = transaction
            if transaction == "-" {
                text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            } else if !transaction.hasPrefix("{"), let data = FileManager.default.contents(atPath: transaction) {
                text = String(decoding: data, as: UTF8.self)
            }
            guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
                throw UserFacingError(message: "the transaction is not a JSON object")
            }
            var signingKey: Curve25519.Signing.PrivateKey?
            if let key {
                do { signingKey = try SensorKeys.loadSigningKey(key + "/" + SensorKeys.signingFile) } catch { throw UserFacingError(error) }
            } else if !devSign {
                throw UserFacingError(message: "give --key DIR (or --dev-sign on a devnet)")
            }
            let signed = try await LedgerClient.send(object, key: signingKey, devSign: devSign, to: node)
            print("submitted \(signed.transaction.kind) \(signed.id) (nonce \(signed.transaction.nonce))")
            if wait { try await Status.follow(signed.id, node: node) }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a transaction's status (pending, committed with its events, rejected with the reason).")

        @Argument(help: "Transaction id (hex).")
        var id: String

        @Option(help: "Node URL.")
        var node = "http://127.0.0.1:7101"

        @Flag(help: "Wait until it is committed or rejected.")
        var wait = false

        func run() async throws {
            if wait { try await Self.follow(id, node: node) } else { print(try await Self.describe(id, node: node).text) }
        }

        static func describe(_ id: String, node: String) async throws -> (done: Bool, text: String) {
            let object = try await LedgerClient.transaction(id, at: node)
            let status = object["status"] as? String ?? "unknown"
            var text = "\(id): \(status)"
            if let h = object["height"] { text += " at height \(h)" }
            if let reason = object["reason"] { text += ": \(reason)" }
            for e in object["events"] as? [String] ?? [] { text += "\n  \(e)" }
            return (status == "committed" || status == "rejected", text)
        }

        static func follow(_ id: String, node: String) async throws {
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                let (done, text) = try await describe(id, node: node)
                if done { print(text); return }
                try await Task.sleep(for: .milliseconds(100))
            }
            throw UserFacingError(message: "\(id) not committed within 60 s")
        }
    }
}
