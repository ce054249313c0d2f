#if canImport(Glibc)
import Glibc
#endif
import Evidence
import Foundation
import TestSupport
import Testing

/// `trustband agent` as the process an operator runs, and the units that run it.
@Suite("Agent process and deploy units")
struct AgentProcessTests {
    /// A port nothing listens on right now (bound and released).
    static func freePort() -> Int { LivePage.freePort() }

    /// `trustband agent --config CONFIG` as a service process (SoapySDR kept to the built-in
    /// replay driver, warnings only, output discarded).
    static func startAgent(config: String) throws -> Process {
        let process = Process()
        process.executableURL = CLI.executable
        process.arguments = ["agent", "--config", config]
        var environment = ProcessInfo.processInfo.environment
        environment["SOAPY_SDR_ROOT"] = "/nonexistent"
        environment["TRUSTBAND_LOG_LEVEL"] = "warning"
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// An agent site: keys, a config on the bundled recording and grants, a ledger that is down.
    static func site(_ name: String = #function, listen: Int) throws -> (dir: URL, config: String) {
        let dir = try Paths.scratch(name)
        try SensorKeys().write(to: dir.appendingPathComponent("keys").path)
        let repo = Paths.repository.path
        let text = """
        {"sensor": {"account": "sensor-1", "key": "keys/sensor.ed25519"},
         "source": {"recording": "\(repo)/Fixtures/recordings/demo.sigmf-meta"},
         "grants": {"file": "\(repo)/Fixtures/grants/demo.json"},
         "ledger": {"nodes": ["http://127.0.0.1:\(freePort())"], "genesis": "\(repo)/Fixtures/genesis/four-validators.json"},
         "data_dir": "data", "http": {"listen": "127.0.0.1:\(listen)"},
         "delivery": {"backoff_initial_ms": 200, "backoff_max_ms": 1000}}
        """
        let config = dir.appendingPathComponent("agent.json").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: config))
        return (dir, config)
    }

    static func get(_ url: String) -> (status: Int, body: String)? {
        guard let result = try? Subprocess.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", """
            import sys, urllib.request, urllib.error
            try:
                r = urllib.request.urlopen(sys.argv[1], timeout=2); print(r.status); print(r.read().decode())
            except urllib.error.HTTPError as e:
                print(e.code); print(e.read().decode())
            """, url]), result.status == 0 else { return nil }
        let lines = result.out.split(separator: "\n", maxSplits: 1)
        guard let status = lines.first.flatMap({ Int($0) }) else { return nil }
        return (status, lines.count > 1 ? String(lines[1]) : "")
    }

    @Test("The systemd units pass systemd-analyze verify (no warnings either)", .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze") || Oracle.required))
    func unitsVerify() throws {
        let dir = try Paths.scratch()
        var paths: [String] = []
        for unit in ["trustband-agent.service", "trustband-node.service"] {
            let text = try String(contentsOf: Paths.repository.appendingPathComponent("deploy/" + unit), encoding: .utf8)
            // systemd-analyze checks that ExecStart's program exists: point it at the one just built.
            let path = dir.appendingPathComponent(unit).path
            try Data(text.replacingOccurrences(of: "/usr/local/bin/trustband", with: CLI.executable.path).utf8).write(to: URL(fileURLWithPath: path))
            paths.append(path)
        }
        let result = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/systemd-analyze"), ["verify"] + paths)
        #expect(result.status == 0, "\(result.err)")
        #expect(result.err.isEmpty && result.out.isEmpty, "\(result.err)\(result.out)")
    }

    @Test("agent --once with the ledger down: evidence bundled and kept in the outbox, exit 3 saying why")
    func onceLedgerDown() throws {
        let (dir, config) = try Self.site(listen: Self.freePort())
        let result = try CLI.run(["agent", "--config", config, "--once", "--timeout", "2"])
        #expect(result.status == 3, "\(result.err)")
        #expect(result.out.contains("new evidence: 1"))
        #expect(result.out.contains("sent: no node answered") || result.out.contains("pending: no node answered"), "\(result.out)")
        let bundles = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("data/evidence").path)
        #expect(bundles.count == 1 && bundles[0].hasPrefix("time-pu-1-"))
        // Run again: the same evidence, not a second copy.
        let again = try CLI.run(["agent", "--config", config, "--once", "--timeout", "1"])
        #expect(again.out.contains("new evidence: 0") && again.out.contains("outbox: 1 records"), "\(again.out)")
    }

    @Test("The service: /healthz and /metrics while it runs; SIGTERM stops it cleanly; SIGKILL loses nothing")
    func serviceLifecycle() throws {
        let port = Self.freePort()
        let (_, config) = try Self.site(listen: port)
        var started: [Process] = []
        // Whatever fails below, no agent is left running.
        defer { for p in started where p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        func start() throws -> Process {
            let process = try Self.startAgent(config: config)
            started.append(process)
            return process
        }
        /// /healthz once the agent has audited and tried the ledger at least once.
        func waitForAudit() -> [String: Any]? {
            for _ in 0..<150 {
                if let (status, body) = Self.get("http://127.0.0.1:\(port)/healthz"),
                   let health = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
                   health["audited"] as? Bool == true, !((health["problems"] as? [String]) ?? []).isEmpty {
                    #expect(status == 200)
                    return health
                }
                usleep(100_000)
            }
            return nil
        }
        let first = try start()
        let health = try #require(waitForAudit())
        #expect(health["outbox_depth"] as? Int == 1)
        #expect((health["problems"] as? [String])?.first?.contains("no node answered") == true, "\(health)")
        let metrics = try #require(Self.get("http://127.0.0.1:\(port)/metrics"))
        #expect(metrics.body.contains("trustband_agent_violations_total{kind=\"time\"} 1"), "\(metrics.body)")
        #expect(metrics.body.contains("trustband_agent_outbox_depth 1"), "\(metrics.body)")
        #expect(metrics.body.contains("trustband_agent_ledger_unreachable_total"))
        kill(first.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while first.isRunning && Date() < deadline { usleep(50_000) }
        #expect(!first.isRunning)
        #expect(first.terminationStatus == 0 && first.terminationReason == .exit)

        // Killed outright, then started again: the one record is still there, once.
        let second = try start()
        _ = try #require(waitForAudit())
        kill(second.processIdentifier, SIGKILL)
        second.waitUntilExit()
        let third = try start()
        let after = try #require(waitForAudit())
        #expect(after["outbox_depth"] as? Int == 1, "\(after)")
        kill(third.processIdentifier, SIGTERM)
        third.waitUntilExit()
    }
}
