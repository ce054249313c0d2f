import Agent
import Crypto
import Enforcement
import Evidence
import Foundation
import Ledger
import Logging
import Signal
import Storage
import TestSupport
import Testing

/// The agent wired whole, on the bundled recording (one known violation: an intruder in
/// pu-1's band outside its window), with the in-memory ledger.
@Suite("Agent runtime")
struct AgentRuntimeTests {
    struct Site {
        let directory: URL
        let configPath: String
        let ledger: InMemoryLedgerGateway

        init(_ name: String = #function, grantsFromLedger: Bool = false, extra: String = "") throws {
            directory = try Paths.scratch(name)
            try SensorKeys().write(to: directory.appendingPathComponent("keys").path)
            let repo = Paths.repository.path
            let grants = grantsFromLedger ? "\"grants\": {\"ledger\": true}," : "\"grants\": {\"file\": \"\(repo)/Fixtures/grants/demo.json\"},"
            let text = """
            {"sensor": {"account": "sensor-1", "key": "keys/sensor.ed25519", "location": "site 17"},
             "source": {"recording": "\(repo)/Fixtures/recordings/demo.sigmf-meta"},
             \(grants)
             "ledger": {"nodes": ["http://127.0.0.1:7101"], "genesis": "\(repo)/Fixtures/genesis/four-validators.json"},
             "data_dir": "data" \(extra)}
            """
            configPath = directory.appendingPathComponent("agent.json").path
            try Data(text.utf8).write(to: URL(fileURLWithPath: configPath))
            ledger = InMemoryLedgerGateway { wire in
                guard let signed = try? SignedTransaction(wire: wire), case .evidence(let record, _) = signed.transaction.body else { return nil }
                return (signed.transaction.id, signed.transaction.signer, signed.transaction.nonce, Hex.encode(SHA256.hash(data: record)))
            }
        }

        func runtime() throws -> AgentRuntime {
            try AgentRuntime(configuration: try AgentConfiguration.load(path: configPath, environment: [:]), gateway: ledger,
                             trustedValidators: ledger.genesisValidators, logger: Logger(label: "test.agent"))
        }

        func deliverAll(_ runtime: AgentRuntime) async throws {
            for _ in 0..<100 {
                switch try await runtime.deliverStep() {
                case .idle: return
                case .again: continue
                case .waitForCommit: ledger.commitPending()
                case .backOff: Issue.record("backed off against a ledger that is up"); return
                }
            }
        }
    }

    @Test("Audit → signed bundle → outbox → ledger, once; restarted, the same recording adds nothing")
    func endToEnd() async throws {
        let site = try Site()
        let first = try site.runtime()
        let added = try await first.audit()
        #expect(added.count == 1)
        let entry = try #require(try first.outbox.all().first)
        let bundle = try #require(entry.bundle)
        for file in ["record.bin", "record.sig", "excerpt.sigmf-meta", "excerpt.sigmf-data", "evidence.svg", "grant.json"] {
            #expect(FileManager.default.fileExists(atPath: bundle + "/" + file), "\(file) missing")
        }
        #expect(bundle.contains("/time-pu-1-"))
        // The bundle verifies on its own (signature, excerpt hash, re-measurement), as an auditor would check it.
        let record = try EvidenceVerifier.verify(bundle: bundle)
        #expect(record.id == entry.recordID)
        try await site.deliverAll(first)
        #expect(site.ledger.committedRecords == [entry.recordID])
        #expect(first.health().healthy && first.health().outboxDepth == 0)

        // Restart: a new process audits the same recording again.
        let second = try site.runtime()
        #expect(try await second.audit().isEmpty)
        try await site.deliverAll(second)
        #expect(site.ledger.committedRecords == [entry.recordID])
        #expect(try second.outbox.all().count == 1)
    }

    @Test("Killed while writing a bundle: the partial bundle is rebuilt, and its evidence enqueued once")
    func partialBundle() async throws {
        let site = try Site()
        let runtime = try site.runtime()
        try await runtime.audit()
        let bundle = try #require(try runtime.outbox.all().first?.bundle)
        // As if killed before the rename: a partial directory and no outbox entry.
        try FileManager.default.moveItem(atPath: bundle, toPath: bundle + ".partial")
        try FileManager.default.removeItem(atPath: runtime.configuration.outboxPath)
        let restarted = try site.runtime()
        #expect(try await restarted.audit().count == 1)
        #expect(FileManager.default.fileExists(atPath: bundle + "/record.bin"))
        #expect(!FileManager.default.fileExists(atPath: bundle + ".partial"))
    }

    @Test("Evidence that cannot be stored (the bundle directory cannot be written): a clear error, nothing half-enqueued; stored once when it can be")
    func unwritableEvidence() async throws {
        let site = try Site()
        let runtime = try site.runtime()
        // The evidence directory is taken by a file: nothing can be written under it (as on a full
        // or read-only disk, which root's tests cannot make).
        let evidence = runtime.configuration.evidenceDir
        try? FileManager.default.removeItem(atPath: evidence)
        try Data().write(to: URL(fileURLWithPath: evidence))
        do {
            try await runtime.audit()
            Issue.record("the audit stored evidence where it cannot")
        } catch {
            #expect("\(error)".contains("agent evidence"), "\(error)")
        }
        #expect(try runtime.outbox.all().isEmpty, "nothing enqueued without its bundle")
        #expect(!runtime.health().healthy && runtime.health().problems.first?.contains("agent evidence") == true)
        // Room again: the same audit stores the evidence, once.
        try FileManager.default.removeItem(atPath: evidence)
        #expect(try await runtime.audit().count == 1)
        #expect(try await runtime.audit().isEmpty)
        #expect(try runtime.outbox.all().count == 1 && runtime.health().healthy)
    }

    @Test("Grants read from the ledger; while it is down the audit waits and says why")
    func grantsFromLedger() async throws {
        let site = try Site(grantsFromLedger: true)
        let runtime = try site.runtime()
        site.ledger.down = true
        await #expect(throws: AgentError.self) { try await runtime.audit() }
        #expect(runtime.health().problems.first?.contains("grants from the ledger") == true)
        #expect(!runtime.health().healthy)
        site.ledger.down = false
        let data = try Data(contentsOf: Paths.repository.appendingPathComponent("Fixtures/grants/demo.json"))
        site.ledger.setGrants(try GrantFile.decode(json: data, path: "demo.json"))
        #expect(try await runtime.audit().count == 1)
        #expect(runtime.health().healthy)
        // Down again: audits go on against the grants read last (a live source must not lose violations).
        site.ledger.down = true
        #expect(try await runtime.audit().isEmpty)  // the same recording: its evidence is already queued
        #expect(runtime.health().problems.contains { $0.contains("no node reachable") })
    }

    @Test("Bad configurations are refused naming the key",
          arguments: [
            ("{}", "sensor"),
            ("{\"sensor\": {\"account\": \"s\", \"key\": \"k\"}, \"source\": {\"recording\": \"r\"}, \"ledger\": {\"genesis\": \"g\", \"nodes\": []}, \"data_dir\": \"d\"}", "ledger.nodes"),
            ("{\"sensor\": {\"account\": \"s\", \"key\": \"k\"}, \"source\": {\"recording\": \"r\"}, \"ledger\": {\"genesis\": \"g\", \"nodes\": [\"ftp://x\"]}, \"data_dir\": \"d\"}", "ledger.nodes[0]"),
            ("{\"sensor\": {\"account\": \"s\", \"key\": \"k\"}, \"source\": {\"recording\": \"r\"}, \"ledger\": {\"genesis\": \"g\", \"nodes\": [\"http://a\"]}, \"data_dir\": \"d\", \"detector\": {\"fft\": 1000}}", "detector.fft"),
            ("{\"sensor\": {\"account\": \"s\", \"key\": \"k\"}, \"source\": {\"recording\": \"r\"}, \"ledger\": {\"genesis\": \"g\", \"nodes\": [\"http://a\"]}, \"data_dir\": \"d\", \"detector\": {\"threads\": 0}}", "detector.threads"),
            ("{\"sensor\": {\"account\": \"s\", \"key\": \"k\"}, \"source\": {\"recording\": \"r\"}, \"ledger\": {\"genesis\": \"g\", \"nodes\": [\"http://a\"]}, \"data_dir\": \"d\", \"http\": {\"listen\": \"nowhere\"}}", "http.listen"),
            ("{\"sensor\": {\"account\": 5, \"key\": \"k\"}, \"source\": {\"recording\": \"r\"}, \"ledger\": {\"genesis\": \"g\", \"nodes\": [\"http://a\"]}, \"data_dir\": \"d\"}", "sensor.account"),
            ("{\"sensor\": {\"account\": \"s\", \"key\": \"k\"}, \"source\": {\"recording\": \"r\", \"format\": \"cu9\"}, \"ledger\": {\"genesis\": \"g\", \"nodes\": [\"http://a\"]}, \"data_dir\": \"d\"}", "source.format"),
            ("{\"sensor\": {\"account\": \"s\", \"key\": \"k\"}, \"source\": {\"recording\": \"r\"}, \"ledger\": {\"nodes\": [\"http://a\"]}, \"data_dir\": \"d\"}", "ledger.genesis"),
            ("not json", "agent.json"),
          ])
    func badConfiguration(text: String, key: String) throws {
        let dir = try Paths.scratch("config-\(key)")
        let path = dir.appendingPathComponent("agent.json").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: AgentError.self) { try AgentConfiguration.load(path: path, environment: [:]) }
        #expect(error?.description.contains(": \(key)") == true || error?.description.contains("\(key):") == true, "\(String(describing: error))")
    }

    @Test("The example configuration in deploy/ loads: a live HackRF source, grants from the ledger, two nodes")
    func example() throws {
        let config = try AgentConfiguration.load(path: Paths.repository.appendingPathComponent("deploy/agent.example.json").path, environment: [:])
        #expect(config.device?.args == "driver=hackrf" && config.device?.sampleRate == 10e6 && config.device?.segmentSeconds == 2)
        #expect(config.grants == nil && config.nodes.count == 2 && config.gainDB == 30)
        #expect(config.spoolDir == "/var/lib/trustband-agent/spool")
    }

    @Test("Environment overrides replace the file's values")
    func environment() throws {
        let site = try Site()
        let config = try AgentConfiguration.load(path: site.configPath, environment: [
            "TRUSTBAND_AGENT_NODES": "http://127.0.0.5:7101, http://127.0.0.6:7101", "TRUSTBAND_AGENT_LISTEN": "0.0.0.0:9999",
            "TRUSTBAND_AGENT_DATA_DIR": "/var/lib/trustband-agent"])
        #expect(config.nodes == ["http://127.0.0.5:7101", "http://127.0.0.6:7101"])
        #expect(config.listen == "0.0.0.0:9999")
        #expect(config.outboxPath == "/var/lib/trustband-agent/outbox.sqlite")
    }
}
