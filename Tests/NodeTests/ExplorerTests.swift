import Crypto
import Evidence
import Foundation
import Hummingbird
import HummingbirdTesting
import Ledger
import Logging
import Node
import NIOCore
import TestSupport
import Testing

/// The node's explorer in a real browser: a one-validator node on a real port, a case decided
/// on it, and attacker-chosen strings (an offer's area, an evidence rule) in what it shows.
@Suite("Node explorer in Chromium")
struct ExplorerTests {
    static let hostileArea = "cell<script>window.pwned=1</script>"
    static let hostileRule = "max_psd<img src=x onerror=window.pwned=2>"

    @Test("A case's verdict and votes appear on the explorer; hostile strings show as text and never run", .enabled(if: Browser.available, "chromium is not installed"))
    func explorer() async throws {
        let logger = Logger(label: "test.explorer")
        let (node, dir) = try NodeAPITests.makeNode(extraAccounts: [.init(id: "mno-x", role: .mno, deposit: 10_000, balance: 10_000),
                                                                    .init(id: "sensor-x", role: .sensor, deposit: 50, balance: 100)], logger: logger)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let validatorKey = try SensorKeys.loadSigningKey(dir + "/v1/key/" + SensorKeys.signingFile)
        let app = Application(router: NodeAPI.router(node: node, registry: nil, logger: logger))
        let consensus = Task { await node.run() }
        defer { consensus.cancel() }
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let now = Int64(Date().timeIntervalSince1970 * 1e9)
            let rules = UsageRules(maxPsdMilliDbmPerMHz: -30_000, outOfBandMaxMilliDbmPerMHz: -55_000, maxOccupancyNs: 600_000_000_000)
            func send(_ signer: String, _ nonce: UInt64, _ body: Transaction.Body, key: Curve25519.Signing.PrivateKey? = nil) async throws {
                let tx = try Transaction(signer: signer, nonce: nonce, body: body).signed(by: key ?? DevKeys.signing(signer))
                let (status, reply) = try await NodeAPITests.post(client, tx.wireBytes)
                #expect(status == .accepted, "\(reply)")
                let committed = try await NodeAPITests.waitCommitted(client, tx.id)
                #expect(committed.contains("\"committed\""), "\(committed)")
            }
            try await send("mno-x", 1, .offer(OfferRequest(id: "o1", frequencyLowHz: 3_550_000_000, frequencyHighHz: 3_560_000_000, area: Self.hostileArea,
                                                           startNs: now - 60_000_000_000, endNs: now + 3_600_000_000_000, unitPriceMilli: 1, deposit: 100, rules: rules)))
            try await send("user-1", 1, .demand(DemandRequest(id: "d1", bandwidthHz: 1_000_000, durationNs: 1_800_000_000_000, area: Self.hostileArea, startNs: 0, deposit: 50)))
            try await send("v1", 1, .closeRound, key: validatorKey)
            let record = EvidenceRecord(sensorID: "sensor-x", grantID: "d1@o1", kind: "power", rule: Self.hostileRule, suspect: "user-1", startNs: now, endNs: now + 1_000_000_000,
                                        centerHz: 3_555_000_000, sampleRateMilliHz: 2_000_000_000, unit: "dBm/MHz", measuredMilli: -20_000, limitMilli: -30_000,
                                        marginMilliDB: 10_000, noiseFloorMilliDBFS: -90_000, fftSize: 1024, calibrationID: "none", calibrationOffsetMilliDB: 0,
                                        location: "lab", excerptSHA256: Array(repeating: 3, count: 32), nonce: Array(repeating: 9, count: 16)).canonicalBytes
            try await send("sensor-x", 1, .evidence(record: record, signature: Array(try DevKeys.signing("sensor-x").signature(for: record))))
            let (_, cases) = try await NodeAPITests.get(client, "/v1/cases")
            let caseID = try #require(cases.split(separator: "\"id\": \"").dropFirst().first?.prefix { $0 != "\"" })
            try await send("v1", 2, .vote(caseID: String(caseID), guilty: true), key: validatorKey)

            let page = try LivePage(url: "http://127.0.0.1:\(port)/ui")
            defer { page.close() }
            let seen = page.wait(seconds: 30) { r in
                ((r["cases"] as? [[String: Any]]) ?? []).contains { $0["verdict"] as? String == "guilty" }
                    && (r["caseText"] as? String ?? "").contains("guilty") && (r["offerText"] as? String ?? "").contains(Self.hostileArea)
            }
            #expect(seen.met, "\(String(describing: seen.report))")
            let report = try #require(seen.report)
            #expect((report["caseText"] as? String ?? "").contains(Self.hostileRule), "the rule shows as text")
            #expect((report["caseText"] as? String ?? "").contains("v1: guilty"), "every vote is listed")
            #expect(report["injected"] as? Bool == false && report["scripts"] as? Int == 2, "no injected element ran or was added")
            #expect((report["height"] as? Int ?? 0) >= 5 && (report["blocks"] as? Int ?? 0) >= 5)
        }
    }
}
