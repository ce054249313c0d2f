import Agent
import Crypto
import Evidence
import Foundation
import Ledger
import Logging
import Signal
import Storage
import TestSupport
import Testing

/// The agent on a live device: SoapySDR's driver=replay looping the bundled recording, with the
/// device vanishing mid-stream; segments captured, audited, bundled and delivered.
@Suite("Agent live capture")
struct LiveCaptureTests {
    /// An agent on `driver=replay` looping the bundled recording with `faults`, against grants
    /// where op-a's window covers now and pu-1's opens in an hour (so the intruder in pu-1's
    /// band is a time violation); capture started.
    static func liveAgent(faults: String, opAMaxPsd: Int = -20) throws -> (runtime: AgentRuntime, capture: LiveCapture, configuration: AgentConfiguration, fixture: DeliveryFixture) {
        let dir = try Paths.scratch()
        try SensorKeys().write(to: dir.appendingPathComponent("keys").path)
        let repo = Paths.repository.path
        let now = Date()
        let formatter = ISO8601DateFormatter()
        func at(_ s: Double) -> String { formatter.string(from: now.addingTimeInterval(s)) }
        let grants = """
        {"grants": [
         {"id": "op-a", "holder": "pbs-a", "mno": "mno-a", "freq_low_hz": 3559820000, "freq_high_hz": 3559940000,
          "max_psd_dbm_per_mhz": \(opAMaxPsd), "oob_max_psd_dbm_per_mhz": -55, "windows": [{"start": "\(at(-3600))", "end": "\(at(3600))"}], "max_occupancy_s": 86400},
         {"id": "pu-1", "holder": "pu-1", "mno": "mno-a", "freq_low_hz": 3560070000, "freq_high_hz": 3560150000,
          "max_psd_dbm_per_mhz": -15, "oob_max_psd_dbm_per_mhz": -45, "windows": [{"start": "\(at(3600))", "end": "\(at(7200))"}], "max_occupancy_s": 86400}
        ]}
        """
        try Data(grants.utf8).write(to: dir.appendingPathComponent("grants.json"))
        let args = "driver=replay,file=\(repo)/Fixtures/recordings/demo.sigmf-meta,realtime=1,loop=1," + faults
        let config = """
        {"sensor": {"account": "sensor-1", "key": "keys/sensor.ed25519"},
         "source": {"device": "\(args)", "frequency": 3560000000, "rate": 500000, "segment_s": 0.4},
         "grants": {"file": "grants.json"}, "ledger": {"nodes": ["http://127.0.0.1:1"], "genesis": "g.json"}, "data_dir": "data"}
        """
        let configPath = dir.appendingPathComponent("agent.json").path
        try Data(config.utf8).write(to: URL(fileURLWithPath: configPath))
        let configuration = try AgentConfiguration.load(path: configPath, environment: [:])
        let fixture = try DeliveryFixture()
        let runtime = try AgentRuntime(configuration: configuration, gateway: fixture.ledger, trustedValidators: fixture.ledger.genesisValidators,
                                       logger: Logger(label: "test.live"))
        let capture = LiveCapture(source: try #require(configuration.device), spoolDir: configuration.spoolDir, runtime: runtime,
                                  logger: Logger(label: "test.live"))
        capture.start()
        return (runtime, capture, configuration, fixture)
    }

    @Test("The SDR disappears mid-stream: the capture reconnects and resumes, and every segment's evidence is delivered once")
    func deviceGoneAndBack() async throws {
        // Loops the 0.2 s recording at its real rate, as a radio would; 0.12 s in, the device is gone until 3
        // reopen attempts have failed (the position wraps with the loop, so the fault is set within one pass).
        let (runtime, capture, configuration, fixture) = try Self.liveAgent(faults: "gone_after=60000,gone_for=3")
        var audited = 0, added = 0
        for await path in capture.segments {
            added += try await runtime.audit(recording: path).count
            capture.consumed(path)
            audited += 1
            if audited == 8 { capture.stopCapture() }
        }
        let health = runtime.health()
        #expect(audited >= 8)
        #expect(health.reconnects >= 1, "\(health)")
        #expect(health.segments >= 8)
        // The intruder bursts every 0.2 s of the looped recording: evidence in segments after the reconnect too.
        #expect(added >= 8, "\(added) records from \(audited) segments")
        let entries = try runtime.outbox.all()
        #expect(Set(entries.map(\.bundle)).count == entries.count)
        #expect(entries.allSatisfy { $0.bundle?.contains("/time-pu-1-") == true })
        for _ in 0..<(4 * entries.count + 10) {
            switch try await runtime.deliverStep() {
            case .idle: break
            case .waitForCommit: fixture.ledger.commitPending(); continue
            default: continue
            }
            break
        }
        #expect(fixture.ledger.committedRecords.count == entries.count)
        #expect(Set(fixture.ledger.committedRecords).count == entries.count)
        // Nothing is left in the spool once every segment is audited.
        let spool = (try? FileManager.default.contentsOfDirectory(atPath: configuration.spoolDir)) ?? []
        #expect(spool.filter { !$0.hasSuffix(".partial") }.isEmpty, "\(spool)")
    }

    @Test("The receiver's gain steps up and back down for whole segments at a time: nobody is accused of the 6 dB")
    func gainChangedBetweenSegments() async throws {
        // 8192-sample reads: the gain is 6 dB up for 40 reads (0.66 s), then back for 40, and so on, so
        // some 0.4 s segments are wholly at the higher gain and only the first segment's floor tells.
        // op-a peaks at -25.7 dBm/MHz under a -22 limit: 6 dB of gain would put it 2.3 dB over.
        let (runtime, capture, _, _) = try Self.liveAgent(faults: "gain_step_every=40,gain_step_db=6", opAMaxPsd: -22)
        var audited = 0
        for await path in capture.segments {
            try await runtime.audit(recording: path)
            capture.consumed(path)
            audited += 1
            if audited == 8 { capture.stopCapture() }
        }
        let entries = try runtime.outbox.all()
        #expect(!entries.isEmpty)
        // Only the intruder's time violations: op-a, 6 dB hotter through the gain, is not accused of it.
        #expect(entries.allSatisfy { $0.bundle?.contains("/time-pu-1-") == true }, "\(entries.compactMap(\.bundle))")
    }
}
