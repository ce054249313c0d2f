#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TestSupport
import Testing

@Suite("Demo")
struct DemoTests {
    @Test("trustband demo: devnet, round, agent, evidence, cases, votes; ends with both users convicted and slashed")
    func demo() throws {
        let dir = try Paths.scratch().appendingPathComponent("demo").path
        let base = AgentProcessTests.freePort()
        let result = try CLI.run(["demo", "--dir", dir, "--base-port", "\(base)"])
        #expect(result.status == 0, "\(result.err)")
        let out = result.out
        #expect(out.contains("d1@o1 to pbs-1: 3559.80–3559.92 MHz"), "\(out)")
        #expect(out.contains("d2@o2 to pu-1: 3560.05–3560.13 MHz"))
        #expect(out.contains("new evidence: 2"))
        #expect(out.components(separatedBy: "delivered at height").count == 3)
        #expect(out.contains("power / max_psd on d1@o1 by pbs-1: measured -10."))
        #expect(out.contains("time / outside_windows on d2@o2 by pu-1"))
        #expect(out.contains("pbs-1: guilty (power); penalty 100"))
        #expect(out.contains("pu-1: guilty (time); penalty 100"))
        // Slashed: pbs-1's deposit 300 → 200, pu-1's 100 → 0; the reporting sensor paid.
        #expect(out.contains("pbs-1      300 → 200"))
        #expect(out.contains("pu-1       100 → 0"))
        #expect(out.contains("sensor-1   50 → 50                   100 → 140"))
        // The bundles it leaves verify on their own.
        let evidence = dir + "/agent/data/evidence"
        let bundles = try FileManager.default.contentsOfDirectory(atPath: evidence).sorted()
        #expect(bundles.count == 2)
        for bundle in bundles {
            let verified = try CLI.run(["evidence", "verify", evidence + "/" + bundle])
            #expect(verified.status == 0 && verified.out.hasPrefix("ok:"), "\(verified.out)\(verified.err)")
        }
    }

    @Test("trustband demo --keep: prints the explorer and live-view URLs, leaves both up (evidence not duplicated) until Ctrl-C")
    func keep() throws {
        let dir = try Paths.scratch().appendingPathComponent("demo-keep").path
        let base = AgentProcessTests.freePort()
        let log = try Paths.scratch().appendingPathComponent("demo-keep.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let demo = Process()
        demo.executableURL = CLI.executable
        demo.arguments = ["demo", "--dir", dir, "--base-port", "\(base)", "--keep"]
        demo.standardOutput = try FileHandle(forWritingTo: log)
        demo.standardError = FileHandle.nullDevice
        try demo.run()
        defer { if demo.isRunning { kill(demo.processIdentifier, SIGKILL) } }
        var out = ""
        for _ in 0..<600 where !out.contains("agent live view:") {
            usleep(100_000)
            out = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        }
        #expect(out.contains("ledger explorer:   https://127.0.0.1:\(base)/ui") && out.contains("agent live view:   http://127.0.0.1:\(base + 10)/"), "\(out)")
        // The ledger serves TLS only, its certificate from the demo's consortium CA.
        let explorer = try TLSDevnetTests.curl(["--cacert", dir + "/ledger/tls/ca.crt", "https://127.0.0.1:\(base)/ui"])
        #expect(explorer.code == "200" && explorer.body.contains("Trustband ledger"), "\(explorer.code)")
        #expect(try TLSDevnetTests.curl(["http://127.0.0.1:\(base)/ui"]).code == "000")
        var view: (status: Int, body: String)?
        for _ in 0..<100 {
            view = AgentProcessTests.get("http://127.0.0.1:\(base + 10)/api/outbox")
            if view != nil { break }
            usleep(100_000)
        }
        usleep(2_000_000)
        view = AgentProcessTests.get("http://127.0.0.1:\(base + 10)/api/outbox")
        #expect(view?.status == 200 && view?.body.components(separatedBy: "\"record\"").count == 3, "\(String(describing: view))")
        kill(demo.processIdentifier, SIGINT)
        for _ in 0..<100 where demo.isRunning { usleep(100_000) }
        #expect(!demo.isRunning && demo.terminationStatus == 0)
    }
}
