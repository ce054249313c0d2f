import Agent
import Consensus
import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import Ledger
import Logging
import Node
import Storage
import Testing

/// The HTTP gateway against a real one-validator node on loopback, behind a dead first node.
@Suite("Ledger gateway over HTTP")
struct NodeGatewayTests {
    static func withNode(_ body: @Sendable (NodeLedgerGateway, String, CommitVerifier) async throws -> Void) async throws {
        let dir = NSTemporaryDirectory() + "trustband-gateway-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var timeouts = NodeConfiguration.Timeouts()
        timeouts.commitWaitMs = 20
        let configs = try Devnet.create(directory: dir, nodes: 1, basePort: 0,
                                        devAccounts: [.init(id: "user-1", role: .pu, deposit: 100, balance: 10_000)], timeouts: timeouts)
        let configuration = try NodeConfiguration.load(path: configs[0])
        let logger = Logger(label: "test.node")
        let node = try LedgerNode(configuration: configuration, logger: logger)
        let app = Application(router: NodeAPI.router(node: node, registry: nil, logger: logger), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        let consensus = Task { await node.run() }
        defer { consensus.cancel() }
        try await app.test(.live) { client in
            let live = "http://127.0.0.1:\(client.port!)"
            // Port 9 on loopback: nothing listens there, so the first node is down (refused at
            // once). The live node's answers take milliseconds; the 10 s bound is for a machine
            // saturated by the rest of the suite (2 s once ran out there).
            let gateway = NodeLedgerGateway(nodes: ["http://127.0.0.1:9", live], timeout: .seconds(10))
            let verifier = CommitVerifier(gateway: gateway, genesis: try AgentConfiguration.genesisValidators(path: dir + "/genesis.json"))
            do {
                try await body(gateway, live, verifier)
                try await gateway.shutdown()
            } catch {
                try? await gateway.shutdown()
                throw error
            }
        }
    }

    static func demand(_ nonce: UInt64, id: String) throws -> SignedTransaction {
        try Transaction(signer: "user-1", nonce: nonce, body: .demand(DemandRequest(id: id, bandwidthHz: 1_000_000, durationNs: 3_600_000_000_000,
                                                                                   area: "a", startNs: 0, deposit: 1))).signed(by: DevKeys.signing("user-1"))
    }

    static func committed(_ gateway: NodeLedgerGateway, _ id: String) async throws -> TransactionStatus {
        for _ in 0..<400 {
            let status = try await gateway.status(of: id)
            if status != .pending { return status }
            try await Task.sleep(for: .milliseconds(25))
        }
        return .pending
    }

    @Test("Failover past a dead node; submit, commit, replay, stale and far nonces, unknown ids and refusals map to what delivery acts on")
    func protocolMapping() async throws {
        try await Self.withNode { gateway, live, verifier in
            #expect(try await gateway.nextNonce(of: "user-1") == 1)
            #expect(gateway.current == live)
            // No distribution round yet: a valid grant file with no grants.
            #expect(try await gateway.grants().isEmpty)
            let first = try Self.demand(1, id: "d1")
            #expect(try await gateway.submit(first.wireBytes, id: first.id) == .accepted)
            guard case .committed(let height) = try await Self.committed(gateway, first.id) else { Issue.record("not committed"); return }
            #expect(height >= 1)
            // The node's commit and validator set prove it to a verifier that trusts the genesis validators.
            let commit = try await gateway.commit(at: height)
            #expect(try await gateway.validators(at: height).hash == commit.block.validatorsHash)
            try await verifier.confirm(first.wireBytes, at: height)
            await #expect(throws: CommitVerifier.Failure.self) { try await verifier.confirm(Self.demand(9, id: "d9").wireBytes, at: height) }
            await #expect(throws: GatewayError.self) { try await gateway.commit(at: 1_000_000) }
            // The same bytes again: already on the ledger, so accepted (delivery then sees it committed).
            #expect(try await gateway.submit(first.wireBytes, id: first.id) == .accepted)
            // Another transaction with the used nonce, and one beyond the mempool's window: sign again.
            let reused = try Self.demand(1, id: "d-other")
            guard case .refused(.staleNonce) = try await gateway.submit(reused.wireBytes, id: reused.id) else { Issue.record("reused nonce"); return }
            let far = try Self.demand(1_000_000, id: "d-far")
            guard case .refused(.staleNonce) = try await gateway.submit(far.wireBytes, id: far.id) else { Issue.record("far nonce"); return }
            // Garbage is refused for good.
            guard case .refused(.final) = try await gateway.submit(Array("garbage".utf8), id: "x") else { Issue.record("garbage"); return }
            #expect(try await gateway.status(of: String(repeating: "ab", count: 32)) == .unknown)
            // Admitted, then refused by the contract (the demand id is taken): final, with the contract's reason.
            let taken = try Self.demand(2, id: "d1")
            #expect(try await gateway.submit(taken.wireBytes, id: taken.id) == .accepted)
            let fate = try await Self.committed(gateway, taken.id)
            guard case .rejected(.final(let reason)) = fate else { Issue.record("duplicate id: \(fate)"); return }
            #expect(reason.contains("d1"))
            // An account that does not exist yet: wait (an error), do not refuse the record.
            await #expect(throws: GatewayError.self) { try await gateway.nextNonce(of: "sensor-not-yet") }
        }
    }

    @Test("Delivery through the gateway commits every queued item once, against a real node")
    func deliveryOverHTTP() async throws {
        try await Self.withNode { gateway, _, verifier in
            let outbox = try EvidenceOutbox(path: ":memory:")
            for n in 0..<5 {
                try outbox.enqueue(recordID: "item-\(n)", record: Array("d-\(n)".utf8), signature: [], bundle: nil, bundleBytes: 0, at: Int64(n))
            }
            // Items become demands named after them (a demand id is taken once, like a record).
            let delivery = EvidenceDelivery(account: "user-1", outbox: outbox, gateway: gateway, verifier: verifier, sign: { record, _, nonce in
                let signed = try Self.demand(nonce, id: String(decoding: record, as: UTF8.self))
                return (signed.transaction.id, signed.wireBytes)
            }, now: { 0 })
            for _ in 0..<2000 {
                let next = try await delivery.step()
                if next == .idle { break }
                if next == .waitForCommit { try await Task.sleep(for: .milliseconds(10)) }
            }
            let entries = try outbox.all()
            #expect(entries.allSatisfy { $0.state == .delivered })
            #expect(Set(entries.compactMap(\.height)).count >= 1)
            #expect(try await gateway.nextNonce(of: "user-1") == 6)
        }
    }
}
