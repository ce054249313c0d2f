import Crypto
import Foundation
import Ledger
import Node
import TestSupport
import Testing
@testable import TrustbandCLI

/// A real devnet: four `trustband node` processes on loopback.
@Suite("Devnet processes", .serialized)
struct DevnetTests {
    static func demand(_ user: String, _ nonce: UInt64) throws -> SignedTransaction {
        try Transaction(signer: user, nonce: nonce, body: .demand(DemandRequest(id: "\(user)-\(nonce)", bandwidthHz: 1_000_000, durationNs: 3_600_000_000_000,
                                                                               area: "a", startNs: 0, deposit: 1))).signed(by: DevKeys.signing(user))
    }

    static func waitHeight(_ url: String, atLeast target: Int64, seconds: Double) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let h = try? await LedgerClient.height(url), h >= target { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    static func committed(_ id: String, at url: String, seconds: Double) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let (_, body) = try? await LedgerClient.get(url + "/v1/tx/" + id), String(decoding: body, as: UTF8.self).contains("\"committed\"") { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// SwiftNIO's event loop threads in a process (named `NIO-SGLTN-…`).
    static func eventLoopThreads(of pid: Int32) -> Int {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.filter { task in
            (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/comm", encoding: .utf8))?.hasPrefix("NIO-SGLTN") ?? false
        }.count
    }

    @Test("a node asked for a thread count that is not one stops at once, naming the variable")
    func badThreadCount() throws {
        for value in ["0", "two", "1000"] {
            var environment = ProcessInfo.processInfo.environment
            environment[NodeProcess.threadsVariable] = value
            let result = try Subprocess.run(CLI.executable, ["node", "--config", "/nonexistent/node.json"], environment: environment)
            #expect(result.status == 1)
            #expect(result.err == "trustband: error: TRUSTBAND_NODE_THREADS=\(value): must be a whole number of threads, 1–256\n", "\(result.err)")
        }
    }

    @Test("killing the leader with SIGKILL: the others go on within seconds; restarted, it catches up to identical state")
    func leaderCrashAndCatchUp() async throws {
        let dir = NSTemporaryDirectory() + "trustband-devnet-test-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let basePort = 20_000 + Int(getpid() % 10_000) * 4 % 40_000
        let configs = try Devnet.create(directory: dir, nodes: 4, basePort: basePort, devAccounts: DevnetAccounts.standard)
        let devnet = DevnetProcesses(configs: configs, basePort: basePort, executable: CLI.executable.path)
        try devnet.startAll(environment: ["TRUSTBAND_LOG_LEVEL": "warning"])
        defer { devnet.stopAll() }
        try await devnet.waitReady()
        // Each node runs its tasks on its event loops, its share of this machine's cores of them.
        for process in devnet.processes.compactMap({ $0 }) {
            #expect(Self.eventLoopThreads(of: process.processIdentifier) == NodeProcess.threadsPerNode(4))
        }
        #expect(try await Self.waitHeight(devnet.urls[1], atLeast: 3, seconds: 20))
        let first = try Self.demand("user-0", 1)
        #expect(try await LedgerClient.submit(first.wireBytes, to: devnet.urls[0]).status == 202)
        #expect(try await Self.committed(first.id, at: devnet.urls[3], seconds: 10))

        // The round-0 leader: highest power, ties by id.
        let status = try await LedgerClient.status(devnet.urls[0])
        let validators = (status["validators"] as? [[String: Any]] ?? []).map { ($0["id"] as! String, ($0["power"] as! NSNumber).int64Value) }
        let leader = validators.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }.first!.0
        let victim = Int(leader.dropFirst())! - 1
        let survivor = devnet.urls[(victim + 1) % 4]
        devnet.kill(victim)
        let killedAt = try await LedgerClient.height(survivor)
        let started = Date()
        #expect(try await Self.waitHeight(survivor, atLeast: killedAt + 3, seconds: 15), "no commits after the leader was killed")
        print("devnet test: leader \(leader) killed at height \(killedAt); 3 more heights in \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
        let second = try Self.demand("user-0", 2)
        #expect(try await LedgerClient.submit(second.wireBytes, to: survivor).status == 202)
        #expect(try await Self.committed(second.id, at: survivor, seconds: 15))

        try devnet.start(victim, environment: ["TRUSTBAND_LOG_LEVEL": "warning"])
        let target = try await LedgerClient.height(survivor)
        #expect(try await Self.waitHeight(devnet.urls[victim], atLeast: target, seconds: 30), "restarted node did not catch up")
        #expect(try await Self.committed(second.id, at: devnet.urls[victim], seconds: 5))
        for h in [Int64(1), killedAt, target] {
            let a = try await LedgerClient.json(devnet.urls[victim] + "/v1/blocks/\(h)"), b = try await LedgerClient.json(survivor + "/v1/blocks/\(h)")
            #expect(a["hash"] as? String == b["hash"] as? String, "block \(h)")
            #expect(a["state_hash"] as? String == b["state_hash"] as? String, "state after \(h)")
        }
        // SIGTERM (what Ctrl-C on the devnet sends them) stops every node, links open, before
        // the supervisor would resort to SIGKILL.
        #expect(devnet.stopAll(grace: 5) == 0, "a node did not stop within 5 s of SIGTERM")
    }
}
