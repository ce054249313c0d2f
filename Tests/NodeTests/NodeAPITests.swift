import Consensus
import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import Ledger
import Logging
import Node
import NIOCore
import Testing

/// The HTTP API of a real one-validator node (it commits alone), in process.
@Suite("Node HTTP API")
struct NodeAPITests {
    /// A one-validator devnet in a new directory (`user-1` funded, plus `extraAccounts`), with a
    /// 20 ms commit wait; the caller removes `directory`.
    static func makeNode(extraAccounts: [Devnet.DevAccount] = [], maxBodyBytes: Int? = nil, logger: Logger) throws -> (node: LedgerNode, directory: String) {
        let dir = NSTemporaryDirectory() + "trustband-node-\(UUID().uuidString)"
        var timeouts = NodeConfiguration.Timeouts()
        timeouts.commitWaitMs = 20
        let configs = try Devnet.create(directory: dir, nodes: 1, basePort: 0,
                                        devAccounts: [.init(id: "user-1", role: .pu, deposit: 100, balance: 10_000)] + extraAccounts, timeouts: timeouts)
        var configuration = try NodeConfiguration.load(path: configs[0])
        if let maxBodyBytes { configuration.maxBodyBytes = maxBodyBytes }
        return (try LedgerNode(configuration: configuration, logger: logger), dir)
    }

    static func withNode(extraAccounts: [Devnet.DevAccount] = [], _ body: @Sendable (any TestClientProtocol, LedgerNode) async throws -> Void) async throws {
        let logger = Logger(label: "test.node")
        let (node, dir) = try makeNode(extraAccounts: extraAccounts, maxBodyBytes: 64 * 1024, logger: logger)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let app = Application(router: NodeAPI.router(node: node, registry: nil, logger: logger))
        let consensus = Task { await node.run() }
        defer { consensus.cancel() }
        try await app.test(.router) { client in try await body(client, node) }
    }

    static func demand(_ nonce: UInt64, id: String = "d1", key: Curve25519.Signing.PrivateKey = DevKeys.signing("user-1")) throws -> SignedTransaction {
        try Transaction(signer: "user-1", nonce: nonce, body: .demand(DemandRequest(id: id, bandwidthHz: 1_000_000, durationNs: 3_600_000_000_000,
                                                                                   area: "a", startNs: 0, deposit: 1))).signed(by: key)
    }

    static func post(_ client: any TestClientProtocol, _ bytes: [UInt8], path: String = "/v1/tx") async throws -> (HTTPResponse.Status, String) {
        try await client.execute(uri: path, method: .post, headers: [.contentType: "application/octet-stream"], body: ByteBuffer(bytes: bytes)) { r in
            (r.status, String(buffer: r.body))
        }
    }

    static func get(_ client: any TestClientProtocol, _ path: String) async throws -> (HTTPResponse.Status, String) {
        try await client.execute(uri: path, method: .get) { r in (r.status, String(buffer: r.body)) }
    }

    static func waitCommitted(_ client: any TestClientProtocol, _ id: String) async throws -> String {
        for _ in 0..<200 {
            let (_, body) = try await get(client, "/v1/tx/\(id)")
            if body.contains("\"committed\"") { return body }
            try await Task.sleep(for: .milliseconds(25))
        }
        Issue.record("\(id) not committed")
        return ""
    }

    @Test("a signed transaction is accepted, committed, and readable; its replay is refused with 409")
    func submitCommitReplay() async throws {
        try await Self.withNode { client, _ in
            let tx = try Self.demand(1)
            let (status, body) = try await Self.post(client, tx.wireBytes)
            #expect(status == .accepted, "\(body)")
            let committed = try await Self.waitCommitted(client, tx.id)
            #expect(committed.contains("demand d1 by user-1"))
            let (replay, reason) = try await Self.post(client, tx.wireBytes)
            #expect(replay == .conflict)
            #expect(reason.contains("replay"))
            let (_, account) = try await Self.get(client, "/v1/accounts/user-1")
            #expect(account.contains("\"nonce\": 1"))
            // Also accepted as JSON {"tx": hex}.
            let second = try Self.demand(2, id: "d2")
            let hexBody = Array("{\"tx\": \"\(second.wireBytes.map { String(format: "%02x", $0) }.joined())\"}".utf8)
            let jsonStatus = try await client.execute(uri: "/v1/tx", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(bytes: hexBody)) { $0.status }
            #expect(jsonStatus == .accepted)
            _ = try await Self.waitCommitted(client, second.id)
        }
    }

    @Test("garbage, truncated, wrongly signed, oversized and unframed requests get 4xx with a reason; the node keeps committing")
    func badRequests() async throws {
        try await Self.withNode { client, node in
            let good = try Self.demand(1)
            let cases: [([UInt8], HTTPResponse.Status, String)] = [
                (Array("garbage".utf8), .badRequest, "malformed"),
                (Array(good.wireBytes.dropLast(3)), .badRequest, "malformed"),
                (try Self.demand(1, key: DevKeys.signing("someone-else")).wireBytes, .badRequest, "signature"),
                (try Transaction(signer: "nobody", nonce: 1, body: .closeRound).signed(by: DevKeys.signing("nobody")).wireBytes, .badRequest, "nobody"),
                (try Self.demand(5_000).wireBytes, .badRequest, "too far"),
            ]
            for (body, expected, reason) in cases {
                let (status, text) = try await Self.post(client, body)
                #expect(status == expected, "\(text)")
                #expect(text.contains(reason), "\(text)")
            }
            let (big, _) = try await Self.post(client, Array(repeating: 1, count: 100_000))
            #expect(big == .contentTooLarge)
            let (json, text) = try await client.execute(uri: "/v1/tx", method: .post, headers: [.contentType: "application/json"],
                                                        body: ByteBuffer(string: "{\"tx\": 12")) { ($0.status, String(buffer: $0.body)) }
            #expect(json == .badRequest && text.contains("error"))
            let (peer, peerText) = try await Self.post(client, [0, 0, 0, 9, 1], path: "/v1/peer/messages")
            #expect(peer == .badRequest && peerText.contains("overruns"))
            let (peer2, _) = try await Self.post(client, [0, 0, 0, 1, 7], path: "/v1/peer/messages")
            #expect(peer2 == .badRequest)
            let (missing, _) = try await Self.get(client, "/v1/tx/00")
            #expect(missing == .notFound)
            let (noBlock, _) = try await Self.get(client, "/v1/blocks/99999999")
            #expect(noBlock == .notFound)
            // Still up and committing.
            let before = await node.status().height
            let (status, _) = try await Self.post(client, good.wireBytes)
            #expect(status == .accepted)
            _ = try await Self.waitCommitted(client, good.id)
            #expect(await node.status().height > before)
        }
    }

    @Test("spectrum tokens over HTTP: an MNO mints and lists one, a user's bid buys it; tokens, trades and grants show the new holder")
    func tokens() async throws {
        try await Self.withNode(extraAccounts: [.init(id: "mno-x", role: .mno, deposit: 10_000, balance: 10_000)]) { client, _ in
            let now = Int64(Date().timeIntervalSince1970 * 1e9), end = now + 3_600_000_000_000
            let rules = UsageRules(maxPsdMilliDbmPerMHz: -30_000, outOfBandMaxMilliDbmPerMHz: -55_000, maxOccupancyNs: 600_000_000_000)
            let mno = DevKeys.signing("mno-x")
            let txs = [
                try Transaction(signer: "mno-x", nonce: 1, body: .offer(OfferRequest(id: "o1", frequencyLowHz: 3_550_000_000, frequencyHighHz: 3_560_000_000, area: "a",
                                                                                     startNs: now, endNs: end, unitPriceMilli: 5, deposit: 100, rules: rules))).signed(by: mno),
                try Transaction(signer: "mno-x", nonce: 2, body: .mint(id: "t1", offerID: "o1", bandwidthHz: 2_000_000)).signed(by: mno),
                try Transaction(signer: "mno-x", nonce: 3, body: .ask(AskRequest(tokenID: "t1", priceMilli: 5, mode: .purchase))).signed(by: mno),
                try Transaction(signer: "user-1", nonce: 1, body: .bid(BidRequest(id: "b1", product: Product(area: "a", frequencyLowHz: 3_558_000_000, frequencyHighHz: 3_560_000_000,
                                                                                                           startNs: now, endNs: end), mode: .purchase, maxPriceMilli: 6)))
                    .signed(by: DevKeys.signing("user-1")),
            ]
            for tx in txs {
                let (status, body) = try await Self.post(client, tx.wireBytes)
                #expect(status == .accepted, "\(body)")
                _ = try await Self.waitCommitted(client, tx.id)
            }
            let (status, token) = try await Self.get(client, "/v1/tokens/t1")
            #expect(status == .ok && token.contains("\"owner\": \"user-1\""), "\(token)")
            let (_, trades) = try await Self.get(client, "/v1/trades")
            #expect(trades.contains("\"buyer\": \"user-1\"") && trades.contains("\"wash\": false"))
            let (_, grant) = try await Self.get(client, "/v1/grants/t1")
            #expect(grant.contains("\"holder\": \"user-1\"") && grant.contains("\"token\": true"), "\(grant)")
            let (_, bids) = try await Self.get(client, "/v1/bids")
            #expect(bids.contains("\"bids\": []"), "\(bids)")
        }
    }

    @Test("reads: status, state sections, blocks as JSON and as verifiable commits, metrics")
    func reads() async throws {
        try await Self.withNode { client, node in
            let tx = try Self.demand(1)
            _ = try await Self.post(client, tx.wireBytes)
            let committed = try await Self.waitCommitted(client, tx.id)
            let height = Int64(committed.split(separator: "\"height\": ")[1].prefix { $0.isNumber })!
            for path in ["/v1/status", "/v1/state", "/v1/accounts", "/v1/trust", "/v1/deposits", "/v1/offers", "/v1/grants", "/v1/cases", "/v1/validators",
                         "/v1/tokens", "/v1/bids", "/v1/trades", "/v1/blocks/\(height)", "/metrics", "/healthz"] {
                let (status, _) = try await Self.get(client, path)
                #expect(status == .ok, "\(path)")
            }
            let (_, block) = try await Self.get(client, "/v1/blocks/\(height)")
            #expect(block.contains(tx.id))
            let wire = try await client.execute(uri: "/v1/blocks/\(height)/commit", method: .get) { Array(buffer: $0.body) }
            let commit = try Commit(wire: wire)
            #expect(commit.block.height == height)
            let status = await node.status()
            #expect(status.validators.isQuorum(commit.signedPower(in: status.validators, signer: TestVerifier(node: node))))
        }
    }

    @Test("two conflicting votes by a validator become an equivocation transaction that slashes its deposit and trust")
    func equivocationIsPunished() async throws {
        // val-2 votes with trust 160 against v1's 500: v1 alone still commits.
        try await Self.withNode(extraAccounts: [.init(id: "val-2", role: .validator, deposit: 60, balance: 0)]) { client, node in
            func account() async throws -> [String: Any] {
                try JSONSerialization.jsonObject(with: Data(try await Self.get(client, "/v1/accounts/val-2").1.utf8)) as? [String: Any] ?? [:]
            }
            let before = try await account()
            #expect(before["deposit"] as? Int == 60 && before["validator"] as? Bool == true)
            let (_, status) = try await Self.get(client, "/v1/status")
            let height = try #require(((try JSONSerialization.jsonObject(with: Data(status.utf8)) as? [String: Any])?["height"] as? NSNumber)?.int64Value)
            // Prevotes for two different blocks at the next heights (one of them is current when they arrive).
            var messages: [[UInt8]] = []
            for h in (height + 1)...(height + 3) {
                for hash in [Array(repeating: UInt8(1), count: 32), Array(repeating: UInt8(2), count: 32)] {
                    let vote = ConsensusVote(step: .prevote, height: h, round: 0, blockHash: hash, validator: "val-2")
                    let signed = SignedVote(vote: vote, signature: Array(try DevKeys.signing("val-2").signature(for: vote.canonicalBytes)))
                    messages.append(ConsensusMessage.vote(signed).wireBytes)
                }
            }
            let (code, _) = try await Self.post(client, PeerFraming.frame(messages), path: "/v1/peer/messages")
            #expect(code == .noContent)
            var after: [String: Any] = [:]
            for _ in 0..<200 {
                after = try await account()
                if after["deposit"] as? Int != 60 { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            // The penalty (500) takes the whole deposit; half the trust goes, so val-2 drops out of the set.
            #expect(after["deposit"] as? Int == 0 && (after["trust_milli"] as? Int ?? .max) <= 80_000, "val-2 not slashed: \(after)")
        }
    }
}

/// Verifies with the node's validator keys as the contract holds them.
struct TestVerifier: MessageSigner {
    let keys: [String: [UInt8]]
    init(node: LedgerNode) { keys = node.application.validatorKeys }
    func sign(_ bytes: [UInt8], as validator: String) -> [UInt8] { [] }
    func verify(_ signature: [UInt8], of bytes: [UInt8], by validator: String) -> Bool {
        guard let raw = keys[validator], let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else { return false }
        return key.isValidSignature(signature, for: bytes)
    }

}
