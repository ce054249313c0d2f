#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TestSupport
import Testing

/// The agent's live web view in a real browser: the agent process replays the bundled
/// recording; headless Chromium opens the page and reports what it draws and lists.
@Suite("Agent web view in Chromium", .serialized)
struct AgentWebUITests {
    /// A grant id as a hostile grant file could spell it.
    static let hostileID = "pu-1<img src=x onerror=window.pwned=1>"

    @Test("The waterfall fills with colour-map pixels at ≥ 10 frames/s; a violation shows within 2 s of the agent finding it; hostile ids show as text",
          .enabled(if: Browser.available, "chromium is not installed"))
    func liveView() throws {
        let port = LivePage.freePort()
        let (dir, config) = try AgentProcessTests.site(listen: port)
        // The grant file does not exist yet: the agent retries its audit until it does, so the
        // violation is found while the page is open.
        let grants = dir.appendingPathComponent("grants.json")
        var text = try String(contentsOf: URL(fileURLWithPath: config), encoding: .utf8)
        text = text.replacingOccurrences(of: Paths.repository.path + "/Fixtures/grants/demo.json", with: grants.path)
            .replacingOccurrences(of: "\"http\": {\"listen\": \"127.0.0.1:\(port)\"}", with: "\"http\": {\"listen\": \"127.0.0.1:\(port)\", \"ui\": true}")
        try Data(text.utf8).write(to: URL(fileURLWithPath: config))
        let agent = try AgentProcessTests.startAgent(config: config)
        defer {
            kill(agent.processIdentifier, SIGKILL)
            agent.waitUntilExit()
        }
        for _ in 0..<100 where AgentProcessTests.get("http://127.0.0.1:\(port)/healthz") == nil { usleep(100_000) }
        let page = try LivePage(url: "http://127.0.0.1:\(port)/")
        defer { page.close() }

        // Frames: count them over three seconds of the page's own reports.
        let first = page.wait(seconds: 20) { ($0["frames"] as? Int ?? 0) >= 5 }
        #expect(first.met, "no frames: \(String(describing: first.report))")
        // Now, with the page open, the grants arrive; the agent's next audit (it retries with
        // back-off) finds pu-1 transmitting before its window.
        var grantFile = try String(contentsOf: Paths.repository.appendingPathComponent("Fixtures/grants/demo.json"), encoding: .utf8)
        grantFile = grantFile.replacingOccurrences(of: "\"pu-1-3560.11\"", with: "\"\(Self.hostileID)\"")
        try Data(grantFile.utf8).write(to: grants)
        let t0 = Date(), f0 = first.report?["frames"] as? Int ?? 0
        usleep(3_000_000)
        let later = try #require(page.latest())
        let rate = Double((later["frames"] as? Int ?? 0) - f0) / Date().timeIntervalSince(t0)
        #expect(rate >= 10, "\(rate) frames/s")
        // Every row drawn is colour-map pixels (viridis is saturated from end to end).
        let frames = later["frames"] as? Int ?? 0, coloured = later["coloured"] as? Int ?? 0
        #expect(coloured >= min(frames, 300) * 1024 * 9 / 10, "\(coloured) coloured pixels after \(frames) frames")
        // The demo recording's transmitters show as emissions in view while they are on the air.
        let emitting = page.wait(seconds: 15) { ($0["emissions"] as? Int ?? 0) >= 1 }
        #expect(emitting.met, "no emission listed: \(String(describing: emitting.report))")

        let found = page.wait(seconds: 60) { r in ((r["violations"] as? [[String: Any]]) ?? []).contains { $0["live"] as? Bool == true } }
        #expect(found.met, "no live violation: \(String(describing: found.report))")
        let violation = try #require(((found.report?["violations"] as? [[String: Any]]) ?? []).first { $0["live"] as? Bool == true })
        #expect((violation["latency_ms"] as? Int ?? .max) < 2000, "\(violation)")
        #expect(violation["grant"] as? String == Self.hostileID && violation["kind"] as? String == "time")
        let shown = page.wait(seconds: 5) { ($0["outbox"] as? Int ?? 0) >= 1 }
        #expect(shown.met, "the outbox lists the evidence")
        #expect(shown.report?["injected"] as? Bool == false, "the hostile id ran as HTML")
    }
}
