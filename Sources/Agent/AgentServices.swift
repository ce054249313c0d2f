import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Signal
import Synchronization

/// The agent's long-running loops, each a swift-service-lifecycle `Service`, run in one
/// `ServiceGroup` by `trustband agent`: SIGTERM lets the current step finish (every outbox
/// change is one SQLite transaction), then stops.
public enum AgentServices {
    /// When the work loop last went round: the watchdog pings systemd only while it is recent.
    public final class Heartbeat: Sendable {
        private let last = Mutex(ContinuousClock.now)
        public init() {}
        public func beat() { last.withLock { $0 = .now } }
        public var age: Duration { ContinuousClock.now - last.withLock { $0 } }
    }

    /// Audits the source once (retrying while grants or the source cannot be had), and delivers
    /// evidence and keeps the bundle quota all along.
    public struct Work: Service {
        let runtime: AgentRuntime
        let heartbeat: Heartbeat
        let logger: Logger

        public init(runtime: AgentRuntime, heartbeat: Heartbeat, logger: Logger) {
            self.runtime = runtime
            self.heartbeat = heartbeat
            self.logger = logger
        }

        public func run() async throws {
            if let monitor = runtime.monitor, runtime.configuration.device == nil {
                monitor.startReplay(path: runtime.configuration.recording, options: runtime.configuration.recordingOptions)
            }
            defer { runtime.monitor?.stop() }
            await cancelWhenGracefulShutdown {
                await withTaskGroup(of: Void.self) { group in
                    if let device = runtime.configuration.device {
                        group.addTask { await auditLive(device) }
                    } else {
                        group.addTask { await auditUntilDone() }
                    }
                    group.addTask { await deliverForever() }
                }
            }
        }

        /// Captures the device in segments and audits each as it closes; segments a previous
        /// run captured but did not audit (it was killed) are audited first.
        private func auditLive(_ device: AgentConfiguration.LiveSource) async {
            let spool = runtime.configuration.spoolDir
            let left = ((try? FileManager.default.contentsOfDirectory(atPath: spool)) ?? []).filter { $0.hasSuffix(".sigmf-meta") }.sorted()
            for name in left where !Task.isCancelled {
                await auditSegment(spool + "/" + name, device: device)
                LiveCapture.remove(spool + "/" + name)
            }
            // A writer killed mid-segment leaves its partial files: there is no segment to audit in them.
            for name in (try? FileManager.default.contentsOfDirectory(atPath: spool)) ?? [] where name.hasSuffix(".partial") {
                try? FileManager.default.removeItem(atPath: spool + "/" + name)
            }
            let capture = LiveCapture(source: device, spoolDir: spool, runtime: runtime, logger: logger)
            capture.start()
            await withTaskCancellationHandler {
                for await path in capture.segments {
                    heartbeat.beat()
                    await auditSegment(path, device: device)
                    capture.consumed(path)
                }
            } onCancel: {
                capture.stopCapture()
            }
        }

        /// Audits a segment. If its evidence cannot be kept (the outbox or the bundle directory
        /// refuses a write: a full or read-only disk), the segment is kept and audited again
        /// until it can: its evidence is never lost to a full disk (the radio's newer segments
        /// wait in the spool meanwhile, and past `max_spooled` are dropped and counted). Any other
        /// failure is logged and the segment let go. A segment timed by a clock that disagrees
        /// with the ledger's is kept aside instead (`AgentRuntime.auditLiveSegment`).
        private func auditSegment(_ path: String, device: AgentConfiguration.LiveSource) async {
            var delay = Duration.seconds(1)
            while !Task.isCancelled {
                do {
                    _ = try await runtime.auditLiveSegment(path, maxClockOffsetSeconds: device.maxClockOffsetSeconds)
                    return
                } catch .evidence(let problem) {
                    heartbeat.beat()  // alive and waiting for room, not stuck
                    logger.critical("cannot keep a segment's evidence; keeping the segment and retrying",
                                    metadata: ["segment": "\(path)", "problem": "\(problem)", "retry_in": "\(delay)"])
                    try? await Task.sleep(for: delay)
                    delay = min(delay * 2, .seconds(30))
                } catch {
                    logger.error("segment audit failed", metadata: ["segment": "\(path)", "error": "\(error)"])
                    return
                }
            }
        }

        private func auditUntilDone() async {
            var delay = Duration.seconds(1)
            while !Task.isCancelled {
                do {
                    try await runtime.audit()
                    return
                } catch {
                    logger.error("audit failed; will retry", metadata: ["error": "\(error)", "retry_in": "\(delay)"])
                    try? await Task.sleep(for: delay)
                    delay = min(delay * 2, .seconds(60))
                }
            }
        }

        private func deliverForever() async {
            let poll = Duration.milliseconds(runtime.configuration.pollMs)
            var lastEviction = ContinuousClock.now
            while !Task.isCancelled {
                heartbeat.beat()
                do {
                    switch try await runtime.deliverStep() {
                    case .again: break
                    case .idle: try? await Task.sleep(for: .seconds(1))
                    case .waitForCommit: try? await Task.sleep(for: poll)
                    case .backOff(let ns): try? await Task.sleep(for: .nanoseconds(ns))
                    }
                    if ContinuousClock.now - lastEviction > .seconds(10) {
                        try runtime.evict()
                        lastEviction = .now
                    }
                } catch {
                    // The outbox itself failed (disk full, I/O error): nothing is lost by waiting.
                    logger.critical("delivery stopped by the outbox; retrying", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: .seconds(5))
                }
            }
        }
    }

    /// `READY=1` once the agent is up, `WATCHDOG=1` at half the unit's `WatchdogSec=` while the
    /// work loop is alive, `STOPPING=1` on the way out.
    public struct Watchdog: Service {
        let notifier: SystemdNotifier
        let heartbeat: Heartbeat
        let runtime: AgentRuntime

        public init(notifier: SystemdNotifier, heartbeat: Heartbeat, runtime: AgentRuntime) {
            self.notifier = notifier
            self.heartbeat = heartbeat
            self.runtime = runtime
        }

        public func run() async throws {
            notifier.notify("READY=1\nSTATUS=watching \(runtime.configuration.sourceDescription)")
            let interval = notifier.watchdogInterval ?? .seconds(5)
            await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    let health = runtime.health()
                    // A stuck work loop gets no ping, so systemd restarts the agent.
                    if heartbeat.age < max(interval * 2, .seconds(30)) {
                        notifier.notify("WATCHDOG=1\nSTATUS=outbox \(health.outboxDepth), violations \(health.violations)")
                    }
                }
            }
            notifier.notify("STOPPING=1")
        }
    }

    /// `/metrics` (Prometheus text from `metricsText`) and `/healthz` (JSON; 503 when unhealthy).
    public static func router(runtime: AgentRuntime, metricsText: @escaping @Sendable () -> String) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/metrics") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(string: metricsText())))
        }
        router.get("/healthz") { _, _ -> Response in
            let h = runtime.health()
            let value = JSONValue.object(JSONObject([
                ("healthy", .bool(h.healthy)), ("audited", .bool(h.audited)), ("outbox_depth", .integer(Int64(h.outboxDepth))),
                ("violations", .integer(Int64(h.violations))), ("segments", .integer(h.segments)), ("reconnects", .integer(h.reconnects)),
                ("segments_dropped", .integer(h.droppedSegments)), ("problems", .array(h.problems.map { .string($0) })),
            ]))
            let text = (try? JSONWriter.write(value, indent: 0)) ?? "{}"
            return Response(status: h.healthy ? .ok : .serviceUnavailable, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        if runtime.configuration.ui { addWebUI(to: router, runtime: runtime) }
        return router
    }
}
