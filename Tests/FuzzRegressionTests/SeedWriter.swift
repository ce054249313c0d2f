@testable import Consensus
import Crypto
import Evidence
import Foundation
import Ledger
import Signal
import Testing
import TestSupport

/// Writes the seed corpora (`TRUSTBAND_WRITE_FUZZ_SEEDS=1 swift test --filter SeedWriter`):
/// valid inputs of every decoder, made by the encoders, which the fuzzers mutate from.
@Suite("Fuzz seeds")
struct SeedWriter {
    @Test("Seed corpora", .enabled(if: ProcessInfo.processInfo.environment["TRUSTBAND_WRITE_FUZZ_SEEDS"] == "1"))
    func write() throws {
        let root = Paths.repository.appendingPathComponent("Fuzz/corpus")
        func put(_ target: String, _ name: String, _ bytes: [UInt8]) throws {
            let dir = root.appendingPathComponent(target)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try Data(bytes).write(to: dir.appendingPathComponent(name))
        }
        let recordings = Paths.repository.appendingPathComponent("Fixtures/recordings")
        for name in try FileManager.default.contentsOfDirectory(atPath: recordings.path) where name.hasSuffix(".sigmf-meta") {
            try put("sigmf-meta", name, Array(try Data(contentsOf: recordings.appendingPathComponent(name))))
            let data = try Data(contentsOf: recordings.appendingPathComponent(name.replacingOccurrences(of: "-meta", with: "-data")))
            for (selector, label) in [(5, "ci16_le"), (9, "sniffed"), (0, "cu8")] { try put("raw-samples", "\(name)-\(label)", [UInt8(selector)] + Array(data.prefix(2048))) }
        }
        let key = DevKeys.signing("user-1")
        let rules = UsageRules(maxPsdMilliDbmPerMHz: -30_000, outOfBandMaxMilliDbmPerMHz: -55_000, maxOccupancyNs: 600_000_000_000, nominalPsdMilliDbmPerMHz: -40_000, nominalToleranceMilliDB: 3_000)
        let record = EvidenceRecord(sensorID: "sensor-1", grantID: "d1@o1", kind: "power", rule: "max_psd", suspect: "user-1", startNs: 1, endNs: 2,
                                    centerHz: 3_560_000_000, sampleRateMilliHz: 2_000_000_000, unit: "dBm/MHz", measuredMilli: -20_000, limitMilli: -30_000,
                                    marginMilliDB: 10_000, noiseFloorMilliDBFS: -90_000, fftSize: 1024, calibrationID: "none", calibrationOffsetMilliDB: 0,
                                    location: "lab", excerptSHA256: Array(repeating: 3, count: 32), nonce: Array(repeating: 9, count: 16)).canonicalBytes
        try put("evidence-record", "power", record)
        let product = Product(area: "a", frequencyLowHz: 1_000, frequencyHighHz: 2_000, startNs: 10, endNs: 20)
        let vote = ConsensusVote(step: .prevote, height: 3, round: 0, blockHash: Array(repeating: 1, count: 32), validator: "v1")
        let signedVote = SignedVote(vote: vote, signature: Array(try DevKeys.signing("v1").signature(for: vote.canonicalBytes)))
        let bodies: [(String, Transaction.Body)] = [
            ("register", .register(role: .pu, signingKey: Array(key.publicKey.rawRepresentation), agreementKey: Array(repeating: 2, count: 32), deposit: 5)),
            ("offer", .offer(OfferRequest(id: "o1", frequencyLowHz: 1, frequencyHighHz: 2, area: "a", startNs: 0, endNs: 9, unitPriceMilli: 1, deposit: 1, rules: rules))),
            ("demand", .demand(DemandRequest(id: "d1", bandwidthHz: 1, durationNs: 2, area: "a", startNs: 0, deposit: 1))),
            ("evidence", .evidence(record: record, signature: Array(repeating: 4, count: 64))), ("vote", .vote(caseID: "c", guilty: true)),
            ("equivocation", .equivocation(first: signedVote, second: signedVote)), ("close", .closeRound), ("top-up", .topUp(amount: 3)),
            ("mint", .mint(id: "t", offerID: "o1", bandwidthHz: 1)), ("split", .split(tokenID: "t", at: .time(ns: 5), lowID: "a", highID: "b")),
            ("merge", .merge(first: "a", second: "b", id: "c")), ("transfer", .transfer(tokenID: "t", to: "u")),
            ("ask", .ask(AskRequest(tokenID: "t", priceMilli: 3, mode: .lease, leaseEndNs: 7, streamed: true))),
            ("bid", .bid(BidRequest(id: "b", product: product, mode: .purchase, maxPriceMilli: 4))), ("cancel", .cancel(orderID: "b")),
        ]
        for (name, body) in bodies {
            let signed = try Transaction(signer: "user-1", nonce: 1, body: body).signed(by: key)
            try put("transaction", name + "-wire", signed.wireBytes)
            try put("transaction", name, signed.canonicalBytes)
            try put("tx-body", name, Array(#"{"tx": "\#(Hex.encode(signed.wireBytes))"}"#.utf8))
        }
        for (name, body) in [("not-hex", #"{"tx": "zz"}"#), ("number", #"{"tx": 5}"#), ("array", "[]"), ("empty", #"{"tx": ""}"#),
                             ("extra", #"{"tx": "00", "more": [1, {"a": null}]}"#)] {
            try put("tx-body", name, Array(body.utf8))
        }
        try put("transaction", "consensus-vote", vote.canonicalBytes)
        let block = Block(height: 2, previousHash: Array(repeating: 5, count: 32), proposer: "v1", timeNs: 7, transactions: [Array(repeating: 1, count: 8)], lastCommit: [signedVote])
        let proposal = Proposal(height: 2, round: 0, validRound: -1, block: block, proposer: "v1", signature: Array(repeating: 6, count: 64))
        try put("consensus", "proposal", ConsensusMessage.proposal(proposal).wireBytes)
        try put("consensus", "vote", ConsensusMessage.vote(signedVote).wireBytes)
        try put("consensus", "decision", ConsensusMessage.decision(Commit(block: block, round: 0, precommits: [signedVote])).wireBytes)
        try put("consensus", "commit", Commit(block: block, round: 1, precommits: [signedVote, signedVote]).wireBytes)
        let repo = Paths.repository
        try put("grants", "demo.json", Array(try Data(contentsOf: repo.appendingPathComponent("Fixtures/grants/demo.json"))))
        for scenario in ["basic.json", "tokens.json"] {
            try put("scenario", scenario, Array(try Data(contentsOf: repo.appendingPathComponent("Fixtures/scenarios/" + scenario))))
        }
        try put("peer-frames", "messages", PeerFraming.frame([ConsensusMessage.vote(signedVote).wireBytes, ConsensusMessage.proposal(proposal).wireBytes]))
        try put("peer-frames", "transactions", PeerFraming.frame(try bodies.prefix(4).map { try Transaction(signer: "user-1", nonce: 1, body: $0.1).signed(by: key).wireBytes }))
        try put("peer-frames", "empty-item", PeerFraming.frame([[]]))
        // A small .sigmf archive, made by tar from the demo recording's metadata and its first samples.
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("seed-archive-\(getpid())/demo")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        try Data(contentsOf: recordings.appendingPathComponent("demo.sigmf-meta")).write(to: work.appendingPathComponent("demo.sigmf-meta"))
        try Data(contentsOf: recordings.appendingPathComponent("demo.sigmf-data")).prefix(4096).write(to: work.appendingPathComponent("demo.sigmf-data"))
        let archive = work.deletingLastPathComponent().appendingPathComponent("demo.sigmf").path
        let tar = try Subprocess.run(URL(fileURLWithPath: "/bin/tar"), ["--format=ustar", "-cf", archive, "-C", work.deletingLastPathComponent().path, "demo/demo.sigmf-meta", "demo/demo.sigmf-data"])
        #expect(tar.status == 0, "\(tar.err)")
        try put("sigmf-archive", "demo.sigmf", Array(try Data(contentsOf: URL(fileURLWithPath: archive))))
        // An evidence bundle's parts: a record for pu-1's grant, the demo excerpt's first samples, that grant alone.
        var bundleRecord = try EvidenceRecord(canonical: record)
        bundleRecord.grantID = "pu-1-3560.11"
        bundleRecord.fftSize = 1024
        bundleRecord.sampleRateMilliHz = 500_000_000
        bundleRecord.centerHz = 3_560_000_000
        let grantsJSON = try JSONSerialization.jsonObject(with: Data(contentsOf: repo.appendingPathComponent("Fixtures/grants/demo.json"))) as! [String: Any]
        let oneGrant = ["grants": (grantsJSON["grants"] as! [[String: Any]]).filter { $0["id"] as? String == "pu-1-3560.11" }]
        try put("evidence-bundle", "demo-pu-1", PeerFraming.frame([
            bundleRecord.canonicalBytes, Array(try Data(contentsOf: recordings.appendingPathComponent("demo.sigmf-meta"))),
            Array(try Data(contentsOf: recordings.appendingPathComponent("demo.sigmf-data")).prefix(16_384)),
            Array(try JSONSerialization.data(withJSONObject: oneGrant, options: [.sortedKeys])),
        ]))
        for role in ["node", "agent"] {
            let example = try Data(contentsOf: repo.appendingPathComponent("deploy/\(role).example.json"))
            try put("\(role)-config", "example.json", Array(example))
        }
        try put("node-config", "plaintext.json", Array(#"{"id": "v1", "key": "k", "listen": "127.0.0.1:7101", "data_dir": "d", "genesis": "g.json", "allow_plaintext": true, "peers": [{"id": "v2", "url": "http://127.0.0.1:7102"}], "timeouts": {"propose_ms": 500, "max_clock_skew_ms": 10000}}"#.utf8))
        try put("agent-config", "replay.json", Array(#"{"sensor": {"account": "sensor-1", "key": "keys/sensor.ed25519"}, "source": {"device": "driver=replay,file=r.sigmf-meta", "frequency": 3560000000, "rate": 500000, "segment_s": 0.4, "max_clock_offset_s": 30}, "grants": {"file": "grants.json"}, "ledger": {"nodes": ["http://127.0.0.1:1"], "genesis": "g.json"}, "data_dir": "data", "http": {"listen": "127.0.0.1:9100", "ui": true}}"#.utf8))
        try put("genesis", "four-validators.json", Array(try Data(contentsOf: repo.appendingPathComponent("Fixtures/genesis/four-validators.json"))))
        try put("genesis", "scenario-genesis.json", Array(#"{"time": "2026-11-24T05:59:00Z", "params": {"penalty_fee": 100}, "accounts": [{"id": "v1", "role": "validator", "deposit": 200}], "allocations": [{"account": "pu-1", "amount": 2000}]}"#.utf8))
    }
}
