import Foundation
import Logging
import Metrics

/// A live segment's timestamps are this host's clock. If that clock jumps (a bad NTP step, a
/// dead RTC battery after a power cut), every window check of the audit is off by as much, and
/// a holder inside its window would be accused of transmitting outside it. So before a live
/// segment is audited, the host's clock is compared with the ledger node's (`/v1/status`
/// `time_ns`, the midpoint of the round trip); beyond `source.max_clock_offset_s` the segment is
/// not audited but moved, whole, to `spool/quarantine/` (kept for an operator to audit with a
/// corrected `--start-time`), counted, and `/healthz` says why. A ledger that cannot be reached
/// cannot be asked: the segment is audited as before (the outbox keeps its evidence).
extension AgentRuntime {
    /// What became of a live segment.
    public enum LiveSegmentOutcome: Sendable, Equatable {
        /// Audited; the records newly enqueued.
        case audited([String])
        /// Kept aside in `spool/quarantine/`, not audited, for this reason.
        case quarantined(String)
    }

    /// Audits a segment captured from the device, unless this host's clock disagrees with the ledger's.
    public func auditLiveSegment(_ path: String, maxClockOffsetSeconds: Double) async throws(AgentError) -> LiveSegmentOutcome {
        if let problem = await clockProblem(limitSeconds: maxClockOffsetSeconds) {
            state.withLock { $0.clockProblem = problem }
            metrics.quarantinedSegments.increment()
            let moved = quarantine(path)
            logger.critical("clock disagrees with the ledger: segment kept aside, not audited", metadata: ["segment": "\(moved)", "problem": "\(problem)"])
            return .quarantined(problem)
        }
        state.withLock { $0.clockProblem = nil }
        return .audited(try await audit(recording: path))
    }

    /// Why this host's clock cannot be trusted for live timestamps now, or nil.
    func clockProblem(limitSeconds: Double) async -> String? {
        guard let offset = try? await gateway.clockOffset() else { return nil }
        let seconds = Double(offset) / 1e9
        metrics.clockOffset.record(seconds)
        guard abs(seconds) > limitSeconds else { return nil }
        return String(format: "this host's clock is %.1f s %@ the ledger node's (limit %.0f s)", abs(seconds), seconds > 0 ? "ahead of" : "behind", limitSeconds)
    }

    /// Moves a segment's files to `spool/quarantine/`; returns the new metadata path.
    func quarantine(_ metaPath: String) -> String {
        let directory = configuration.spoolDir + "/quarantine"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let data = String(metaPath.dropLast(".sigmf-meta".count)) + ".sigmf-data"
        var moved = metaPath
        for file in [metaPath, data] {
            let target = directory + "/" + URL(fileURLWithPath: file).lastPathComponent
            try? FileManager.default.removeItem(atPath: target)
            if (try? FileManager.default.moveItem(atPath: file, toPath: target)) != nil, file == metaPath { moved = target }
        }
        return moved
    }
}
