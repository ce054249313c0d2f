import Agent
import Foundation
import Storage
import TestSupport
import Testing

/// A live segment timed by a clock that disagrees with the ledger's is kept aside, not audited:
/// no accusation from a wrong clock, and nothing deleted.
@Suite("Agent clock check")
struct ClockCheckTests {
    /// The bundled recording (one violation) copied into the spool, as a segment the radio captured.
    static func segment(_ site: AgentRuntimeTests.Site, _ name: String) throws -> String {
        let spool = site.directory.appendingPathComponent("data/spool")
        try FileManager.default.createDirectory(at: spool, withIntermediateDirectories: true)
        let recordings = Paths.repository.appendingPathComponent("Fixtures/recordings")
        for ext in ["sigmf-meta", "sigmf-data"] {
            try FileManager.default.copyItem(at: recordings.appendingPathComponent("demo.\(ext)"), to: spool.appendingPathComponent("\(name).\(ext)"))
        }
        return spool.appendingPathComponent("\(name).sigmf-meta").path
    }

    @Test("an hour ahead of the ledger: the segment is moved to spool/quarantine, nothing enqueued, /healthz says why; agreeing again: audited")
    func quarantine() async throws {
        let site = try AgentRuntimeTests.Site()
        let runtime = try site.runtime()
        site.ledger.setClockOffset(3_600_000_000_000)
        let first = try Self.segment(site, "segment-1")
        guard case .quarantined(let reason) = try await runtime.auditLiveSegment(first, maxClockOffsetSeconds: 30) else {
            Issue.record("a segment timed by a clock an hour off was audited"); return
        }
        #expect(reason == "this host's clock is 3600.0 s ahead of the ledger node's (limit 30 s)", "\(reason)")
        #expect(try runtime.outbox.all().isEmpty)
        let quarantined = site.directory.appendingPathComponent("data/spool/quarantine").path
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: quarantined)) == ["segment-1.sigmf-meta", "segment-1.sigmf-data"])
        #expect(!FileManager.default.fileExists(atPath: first))
        #expect(runtime.health().problems.contains { $0.hasPrefix("clock: this host's clock is 3600.0 s ahead") })

        // Behind, too.
        site.ledger.setClockOffset(-120_000_000_000)
        if case .audited = try await runtime.auditLiveSegment(try Self.segment(site, "segment-2"), maxClockOffsetSeconds: 30) { Issue.record("2 minutes behind was audited") }

        // Within the limit: audited, and the problem clears.
        site.ledger.setClockOffset(2_000_000_000)
        #expect(try await runtime.auditLiveSegment(try Self.segment(site, "segment-3"), maxClockOffsetSeconds: 30) == .audited([try #require(try runtime.outbox.all().first?.recordID)]))
        #expect(!runtime.health().problems.contains { $0.hasPrefix("clock:") })

        // A ledger that cannot be asked: audited as before (its evidence waits in the outbox).
        site.ledger.down = true
        site.ledger.setClockOffset(3_600_000_000_000)
        guard case .audited = try await runtime.auditLiveSegment(try Self.segment(site, "segment-4"), maxClockOffsetSeconds: 30) else {
            Issue.record("an unreachable ledger stopped the audit"); return
        }
    }
}
