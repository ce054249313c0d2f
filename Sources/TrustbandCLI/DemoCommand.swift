import ArgumentParser
import Crypto
import Evidence
import Foundation
import Ledger
import Node
import Signal

/// `trustband demo`: the whole story on one machine, no hardware. A 4-node devnet; an MNO's
/// offers and two users' demands; a distribution round; then the agent on a bundled recording
/// in which pbs-1 transmits 15 dB over its PSD limit and pu-1 transmits before its window opens;
/// the evidence, the cases, the validators' votes, and the slashed deposits and trust.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Devnet, distribution round, agent on a recording with two violations, arbitration and slashing.")

    @Option(help: "Directory for the devnet, the agent and the evidence bundles (started afresh).")
    var dir = ".trustband-demo"

    @Option(help: "Port of the first node; the others follow.")
    var basePort = 7201

    @Option(help: "The recording the agent audits.")
    var recording = RepositoryPaths.root + "/Fixtures/recordings/demo-violations.sigmf-meta"

    @Flag(help: "Plain HTTP between nodes and from the agent (loopback only), instead of TLS with a demo consortium CA.")
    var plaintext = false

    @Flag(help: "At the end, leave the ledger and the agent (with its live view) running until Ctrl-C.")
    var keep = false

    static let accounts = [
        Devnet.DevAccount(id: "mno-a", role: .mno, deposit: 10_000, balance: 100_000),
        Devnet.DevAccount(id: "pbs-1", role: .pbs, deposit: 300, balance: 2_000),
        Devnet.DevAccount(id: "pu-1", role: .pu, deposit: 100, balance: 2_000),
        Devnet.DevAccount(id: "sensor-1", role: .sensor, deposit: 50, balance: 100),
    ]

    func run() async throws {
        let root = URL(fileURLWithPath: dir).standardizedFileURL.path
        try startAfresh(root)
        let tls = !plaintext
        let configs = try Devnet.create(directory: root + "/ledger", nodes: 4, basePort: basePort, devAccounts: Self.accounts, tls: tls, tlsAccounts: ["sensor-1"])
        let ca = root + "/ledger/tls/ca.crt"
        if tls { try LedgerClient.trust(caFile: ca) }
        let devnet = DevnetProcesses(configs: configs, basePort: basePort, tls: tls)
        let stop = keep ? SignalWaiter([SIGINT, SIGTERM]) : nil
        try devnet.startAll()
        defer { devnet.stopAll() }
        try await devnet.waitReady()
        say("1. Ledger: 4 validators (v1…v4) on \(devnet.urls.joined(separator: ", "))")
        say("   explorer: \(devnet.urls[0])/ui")
        if tls {
            say("   TLS 1.3 on every link, validators mutually authenticated; consortium CA \(ca) (named in the genesis; trust it in a browser, or curl --cacert)")
        }
        var keys: [String: Curve25519.Signing.PrivateKey] = [:]
        for n in 1...4 { keys["v\(n)"] = try SensorKeys.loadSigningKey("\(root)/ledger/v\(n)/key/\(SensorKeys.signingFile)") }
        let ledger = DemoLedger(node: devnet.urls[0], validatorKeys: keys)
        say("   registered at genesis: mno-a (MNO), pbs-1 (base station), pu-1 (primary user), sensor-1 (the agent's sensor)")
        let before = try await balances(ledger)

        // 2. Spectrum: two offers in two areas, a demand in each, a distribution round.
        let now = Timestamp(nanosecondsSinceEpoch: (Int64(Date().timeIntervalSince1970 * 1000) - 1000) * 1_000_000)
        func at(_ seconds: Int64) -> String { now.advanced(byNanoseconds: seconds * 1_000_000_000).rfc3339 }
        let rules: [String: Any] = ["max_psd_dbm_per_mhz": -25, "oob_max_psd_dbm_per_mhz": -55, "max_occupancy_s": 3600, "unit_price_milli": 10, "deposit": 2000]
        for (id, low, high, area) in [("o1", 3_559_800_000, 3_560_000_000, "cell-a"), ("o2", 3_560_050_000, 3_560_200_000, "cell-b")] {
            try await ledger.send(rules.merging(["type": "offer", "signer": "mno-a", "id": id, "freq_low_hz": low, "freq_high_hz": high, "area": area,
                                                 "start": at(-60), "end": at(6 * 3600)]) { a, _ in a })
        }
        try await ledger.send(["type": "demand", "signer": "pbs-1", "id": "d1", "bandwidth_hz": 120_000, "duration_s": 3600, "area": "cell-a",
                               "start": at(-30), "deposit": 50])
        // pu-1's window opens ten minutes from now: what the recording shows of it now is a violation.
        try await ledger.send(["type": "demand", "signer": "pu-1", "id": "d2", "bandwidth_hz": 80_000, "duration_s": 3600, "area": "cell-b",
                               "start": at(600), "deposit": 50])
        try await ledger.send(["type": "close_round", "signer": "v1"])
        say("\n2. Distribution round closed; grants on the ledger:")
        for g in try await ledger.section("grants") {
            say("   \(g["id"] ?? "") to \(g["holder"] ?? ""): \(mhz(g["freq_low_hz"]))–\(mhz(g["freq_high_hz"])) MHz, max \(g["max_psd_dbm_per_mhz"] ?? "") dBm/MHz, "
                + "window \(((g["windows"] as? [[String: Any]])?.first?["start"]) ?? "")")
        }

        // 3. The agent: the bundled recording, replayed as if captured now.
        let agentDir = root + "/agent"
        try SensorKeys(signing: DevKeys.signing("sensor-1"), agreement: DevKeys.agreement("sensor-1")).write(to: agentDir + "/keys")
        let config: [String: Any] = [
            "sensor": ["account": "sensor-1", "key": "keys/sensor.ed25519", "location": "demo site"],
            "source": ["recording": recording, "start_time": now.rfc3339],
            "grants": ["ledger": true],
            "ledger": ["nodes": devnet.urls, "genesis": root + "/ledger/genesis.json"]
                .merging(tls ? ["tls": ["certificate": root + "/ledger/tls/accounts/sensor-1.crt", "key": root + "/ledger/tls/accounts/sensor-1.key", "ca": ca]] : [:]) { a, _ in a },
            "data_dir": "data",
            "http": ["listen": "127.0.0.1:\(basePort + 10)", "ui": true],
        ]
        try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            .write(to: URL(fileURLWithPath: agentDir + "/agent.json"))
        say("\n3. Agent (trustband agent --config \(agentDir)/agent.json --once) on \(URL(fileURLWithPath: recording).lastPathComponent):")
        let agent = Process()
        agent.executableURL = URL(fileURLWithPath: DevnetProcesses.executable)
        agent.arguments = ["agent", "--config", agentDir + "/agent.json", "--once", "--timeout", "60"]
        let output = Pipe()
        agent.standardOutput = output
        agent.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try agent.run()
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        agent.waitUntilExit()
        for line in printed.split(separator: "\n") { say("   " + line) }
        guard agent.terminationStatus == 0 else {
            throw UserFacingError(message: "the agent did not deliver everything (exit \(agent.terminationStatus)); run it again with the command above to see its log")
        }
        say("   the evidence (each record signed by sensor-1, its IQ excerpt's SHA-256 inside):")
        let evidenceDir = agentDir + "/data/evidence"
        for name in try FileManager.default.contentsOfDirectory(atPath: evidenceDir).sorted() {
            guard let data = FileManager.default.contents(atPath: "\(evidenceDir)/\(name)/record.json"),
                  let r = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { continue }
            func milli(_ key: String) -> String { String(format: "%.1f", ((r[key] as? NSNumber)?.doubleValue ?? .nan) / 1000) }
            let limit = (r["limit_milli"] as? NSNumber).map { _ in "limit \(milli("limit_milli")), margin \(milli("margin_milli_db")) dB" } ?? "no emission allowed then"
            say("     \(r["kind"] ?? "") / \(r["rule"] ?? "") on \(r["grant_id"] ?? "") by \(r["suspect"] ?? ""): measured \(milli("measured_milli")) \(r["unit"] ?? ""), "
                + "\(limit); \(r["start_time"] ?? "") … \(r["end_time"] ?? "")")
        }

        // 4. Arbitration: every case, three of four validators vote guilty (more than half the power).
        let cases = try await ledger.section("cases")
        say("\n4. Cases opened by the evidence: \(cases.count)")
        for c in cases {
            say("   case \(String(describing: c["id"] ?? "").prefix(16))…  \(c["kind"] ?? "") / \(c["rule"] ?? "") on \(c["grant"] ?? ""), suspect \(c["suspect"] ?? ""), reporter \(c["reporter"] ?? "")")
        }
        for c in cases {
            guard let id = c["id"] as? String else { continue }
            for validator in ["v1", "v2", "v3"] {
                for event in try await ledger.send(["type": "vote", "signer": validator, "case": id, "guilty": true]) { say("   " + event) }
            }
        }

        // 5. Verdicts and what they cost.
        say("\n5. Verdicts:")
        for c in try await ledger.section("cases") {
            say("   \(c["suspect"] ?? ""): \(c["verdict"] ?? "") (\(c["kind"] ?? "")); penalty \(c["penalty"] ?? 0), to reporter \(c["paid_to_reporter"] ?? 0), to harmed \(c["paid_to_harmed"] ?? 0) (\(c["harmed"] ?? ""))")
        }
        let after = try await balances(ledger)
        say("\n   account    deposit before → after    balance before → after    trust before → after")
        for id in ["pbs-1", "pu-1", "sensor-1", "mno-a"] {
            guard let b = before[id], let a = after[id] else { continue }
            func column(_ from: String, _ to: String, _ width: Int) -> String { "\(from) → \(to)".padding(toLength: width, withPad: " ", startingAt: 0) }
            say("   " + id.padding(toLength: 11, withPad: " ", startingAt: 0) + column("\(b.deposit)", "\(a.deposit)", 26)
                + column("\(b.balance)", "\(a.balance)", 26) + "\(b.trust) → \(a.trust)")
        }
        say("\n   Evidence bundles (signed record, SigMF excerpt, evidence.svg) are in \(agentDir)/data/evidence; "
            + "check one with `trustband evidence verify BUNDLE`.")
        guard let stop else {
            say("\n   Run with --keep to leave the ledger (explorer at \(devnet.urls[0])/ui) and the agent's live view up.")
            return
        }
        // The agent as a service, its live view on: it replays the recording for the view; its
        // evidence is already on the ledger (the outbox keeps each record once).
        let service = Process()
        service.executableURL = URL(fileURLWithPath: DevnetProcesses.executable)
        service.arguments = ["agent", "--config", agentDir + "/agent.json"]
        service.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        service.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try service.run()
        defer { if service.isRunning { service.terminate(); service.waitUntilExit() } }
        say("\n6. Left running (Ctrl-C stops everything):")
        say("   ledger explorer:   \(devnet.urls[0])/ui")
        say("   agent live view:   http://127.0.0.1:\(basePort + 10)/")
        let signal = await stop.wait()
        say("\nsignal \(signal): stopping the agent and the nodes")
    }

    private func balances(_ ledger: DemoLedger) async throws -> [String: (deposit: Int64, balance: Int64, trust: String)] {
        var result: [String: (Int64, Int64, String)] = [:]
        for id in ["pbs-1", "pu-1", "sensor-1", "mno-a"] {
            let a = try await ledger.account(id)
            result[id] = ((a["deposit"] as? NSNumber)?.int64Value ?? 0, (a["balance"] as? NSNumber)?.int64Value ?? 0, "\(a["trust"] ?? "?")")
        }
        return result
    }

    private func mhz(_ value: Any?) -> String { String(format: "%.2f", ((value as? NSNumber)?.doubleValue ?? 0) / 1e6) }

    /// Removes a previous demo's directory (only one this command made: it holds `.trustband-demo`).
    private func startAfresh(_ root: String) throws {
        let marker = root + "/.trustband-demo"
        let fm = FileManager.default
        if fm.fileExists(atPath: root) {
            guard fm.fileExists(atPath: marker) else {
                throw UserFacingError(message: "\(root) exists and is not a demo directory; choose another --dir")
            }
            try fm.removeItem(atPath: root)
        }
        try fm.createDirectory(atPath: root, withIntermediateDirectories: true)
        try Data("made by trustband demo; removed by the next run\n".utf8).write(to: URL(fileURLWithPath: marker))
    }
}
