import Consensus
import Crypto
import Enforcement
import Evidence
import Foundation
import Ledger
import Logging
import Metrics
import Signal
import Spectrum
import Storage
import Synchronization

/// The agent's parts wired together: audit the source against the grants, turn violations
/// into bundles and outbox entries, deliver them, keep the bundles within their quota. Each
/// piece is a method the services (`AgentServices`) call in their loops and tests call directly.
public final class AgentRuntime: Sendable {
    public let configuration: AgentConfiguration
    public let outbox: EvidenceOutbox
    public let intake: EvidenceIntake
    public let delivery: EvidenceDelivery
    let gateway: any LedgerGateway
    let logger: Logger
    let metrics: AgentMetrics
    private let now: @Sendable () -> Int64
    let state = HealthBox()
    /// What the web view's viewers are sent (frames only while someone watches).
    public let liveView = LiveView()
    /// Makes the view's spectrum frames; nil unless the web view is on (`http.ui`).
    public let monitor: SpectrumMonitor?

    struct HealthState {
        var audited = false
        var lastAuditError: String?
        var lastLedgerProblem: String?
        /// This host's clock disagrees with the ledger's (live segments are kept aside meanwhile).
        var clockProblem: String?
        var violations = 0
        var segments: Int64 = 0
        var reconnects: Int64 = 0
        var droppedSegments: Int64 = 0
        /// The grants last read from the ledger: audits go on against them while it is unreachable.
        var ledgerGrants: [Grant]?
        /// The grants the last audit used (the web view draws them); the device's state (nil: a recording).
        var grantsInUse: [Grant] = []
        var deviceConnected: Bool?
        var overflows: Int64 = 0
        /// The last audit's calibration offset (dBm = dBFS + offset) and sample rate.
        var calibrationOffsetDB: Double?
        /// The noise floor per bin (FS²) of the first segment audited: the receiver at its
        /// configured gain, against which later segments' floors are read.
        var referenceFloorPerBin: Double?
        var sampleRate: Double?
    }

    /// Shared with the delivery observer (a `Mutex` itself cannot be captured).
    final class HealthBox: Sendable {
        private let mutex = Mutex(HealthState())
        func withLock<T>(_ body: (inout HealthState) -> T) -> T { mutex.withLock { body(&$0) } }
    }

    /// - Parameter trustedValidators: the validators commits are checked against (nil: the
    ///   genesis file's, `ledger.genesis`).
    /// - Parameter now: wall-clock nanoseconds (outbox times, delivery latency).
    public init(configuration: AgentConfiguration, gateway: any LedgerGateway, trustedValidators: ValidatorSet? = nil, logger: Logger,
                now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1e9) }) throws(AgentError) {
        self.configuration = configuration
        self.gateway = gateway
        monitor = configuration.ui ? SpectrumMonitor(view: liveView) : nil
        self.logger = logger
        self.now = now
        let key: Curve25519.Signing.PrivateKey
        do { key = try SensorKeys.loadSigningKey(configuration.key) } catch {
            throw .configuration(key: "sensor.key", problem: "\(error)")
        }
        do {
            try FileManager.default.createDirectory(atPath: configuration.evidenceDir, withIntermediateDirectories: true)
            outbox = try EvidenceOutbox(path: configuration.outboxPath)
        } catch {
            throw .configuration(key: "data_dir", problem: "\(error)")
        }
        intake = EvidenceIntake(directory: configuration.evidenceDir, outbox: outbox, key: key)
        let metrics = AgentMetrics()
        self.metrics = metrics
        let trusted: ValidatorSet
        if let trustedValidators { trusted = trustedValidators } else { trusted = try configuration.genesisValidators() }
        let verifier = CommitVerifier(gateway: gateway, genesis: trusted)
        let account = configuration.account
        let state = self.state
        let liveView = self.liveView
        delivery = EvidenceDelivery(account: account, outbox: outbox, gateway: gateway, verifier: verifier, sign: { record, signature, nonce in
            let signed = try Transaction(signer: account, nonce: nonce, body: .evidence(record: record, signature: signature)).signed(by: key)
            return (signed.transaction.id, signed.wireBytes)
        }, now: now, backoff: Backoff(initialNs: configuration.backoffInitialMs * 1_000_000, maximumNs: configuration.backoffMaximumMs * 1_000_000),
           observe: { [logger] event in
            switch event {
            case .delivered(let id, let height, let latency):
                metrics.delivered.increment()
                metrics.latency.recordNanoseconds(latency)
                state.withLock { $0.lastLedgerProblem = nil }
                liveView.publishEvent(SpectrumMonitor.eventJSON(type: "outbox", fields: [("record", id), ("state", "delivered")]))
                logger.info("evidence delivered", metadata: ["record": "\(id)", "height": "\(height.map(String.init) ?? "already on the ledger")"])
            case .refused(let id, let reason):
                metrics.refused.increment()
                logger.error("evidence refused by the ledger", metadata: ["record": "\(id)", "reason": "\(reason)"])
            case .resigned(let id, let reason):
                logger.notice("evidence signed again", metadata: ["record": "\(id)", "reason": "\(reason)"])
            case .unverified(let id, let problem):
                metrics.unverified.increment()
                state.withLock { $0.lastLedgerProblem = problem }
                logger.error("a node's commit of our evidence does not verify; asking another", metadata: ["record": "\(id)", "problem": "\(problem)"])
            case .unreachable(let problem):
                metrics.unreachable.increment()
                state.withLock { $0.lastLedgerProblem = problem }
                logger.warning("ledger unreachable; will retry", metadata: ["problem": "\(problem)"])
            }
        })
        updateDepth()
    }

    /// Audits a recording once (the configured one, or a segment captured from the device):
    /// the grants (file, or the ledger's), every violation bundled and enqueued. Returns the
    /// records newly enqueued.
    @discardableResult
    public func audit(recording path: String? = nil) async throws(AgentError) -> [String] {
        do {
            let added = try await auditOnce(path ?? configuration.recording, options: path == nil ? configuration.recordingOptions : RecordingOptions(),
                                            live: path != nil)
            state.withLock { $0.audited = true; $0.lastAuditError = nil }
            return added
        } catch {
            state.withLock { $0.lastAuditError = error.description }
            throw error
        }
    }

    /// - Parameter live: a segment from the device: its floor is read against the first
    ///   segment's (the receiver at its configured gain), so a gain that changed between
    ///   segments is caught too.
    private func auditOnce(_ path: String, options: RecordingOptions, live: Bool) async throws(AgentError) -> [String] {
        let grants: [Grant]
        if let file = configuration.grants {
            guard let data = FileManager.default.contents(atPath: file) else { throw .configuration(key: "grants.file", problem: "cannot read \(file)") }
            do { grants = try GrantFile.decode(json: data, path: file) } catch { throw .configuration(key: "grants.file", problem: "\(error)") }
        } else {
            do {
                grants = try await gateway.grants()
                state.withLock { $0.ledgerGrants = grants }
            } catch {
                guard let known = state.withLock({ $0.ledgerGrants }) else { throw .source("grants from the ledger: \(error.problem)") }
                // The ledger is down: what it granted last is still in force as far as we know.
                logger.warning("grants from the ledger unavailable; auditing against the last ones read", metadata: ["problem": "\(error.problem)"])
                state.withLock { $0.lastLedgerProblem = error.problem }
                grants = known
            }
        }
        let recording: Recording
        do { recording = try Recording.open(path, options: options) } catch {
            throw .source("\(error)")
        }
        guard let rate = recording.metadata.global.sampleRate, recording.metadata.captures.first?.frequency != nil,
              recording.metadata.captures.first?.datetime != nil else {
            throw .source("\(recording.path): the rate, centre frequency and start time must be known (grants are absolute)")
        }
        var calibration: AppliedCalibration?
        if let path = configuration.calibration, let gain = configuration.gainDB {
            guard let data = FileManager.default.contents(atPath: path) else { throw .configuration(key: "calibration.table", problem: "cannot read \(path)") }
            do {
                let table = try CalibrationTable.decode(json: data, path: path)
                calibration = AppliedCalibration(id: table.id, offsetDb: table.offset(frequency: recording.metadata.captures.first?.frequency ?? 0,
                                                                                           gain: gain, sampleRate: rate))
            } catch { throw .configuration(key: "calibration.table", problem: "\(error)") }
        }
        state.withLock {
            $0.grantsInUse = grants
            $0.calibrationOffsetDB = calibration?.offsetDb
            $0.sampleRate = rate
        }
        let holdNs = Int64((configuration.holdSeconds * 1e9).rounded())
        var welch = WelchConfiguration(fftSize: configuration.fftSize, overlap: 0.5, averages: 4, statistics: false)
        welch.threads = configuration.threads
        let detection = DetectionConfiguration(welch: welch, pfa: configuration.pfa)
        let report: AuditReport
        do {
            report = try Audit.run(grants: grants, detection: detection, configuration: AuditConfiguration(hold: holdNs, release: holdNs, marginDB: configuration.marginDB),
                                   calibration: calibration, startFloorPerBin: live ? state.withLock { $0.referenceFloorPerBin } : nil) {
                try RecordingSource(recording: recording)
            }
        } catch { throw .source("\(recording.path): \(error)") }
        if live { state.withLock { $0.referenceFloorPerBin = $0.referenceFloorPerBin ?? pow(10, report.floorDBFSPerBin / 10) } }
        metrics.samples.increment(by: Int64(report.samples))
        metrics.frames.increment(by: max(0, (Int64(report.samples) - Int64(configuration.fftSize)) / Int64(configuration.fftSize / 2) + 1))
        for violation in report.violations { metrics.violations(violation.kind).increment() }
        for (impairment, spectra) in report.impairedSpectra { metrics.impaired(impairment).increment(by: Int64(spectra)) }
        if !report.impairments.isEmpty {
            logger.warning("radio impaired", metadata: ["recording": "\(recording.path)",
                                                       "dc_step_spectra_kept_out": "\(report.impairedSpectra[.dcStep] ?? 0)",
                                                       "floor_shift_spectra_widened": "\(report.impairedSpectra[.floorShift] ?? 0)",
                                                       "worst_floor_shift_db": "\(report.impairments.filter { $0.impairment == .floorShift }.map(\.worstDB).max(by: { abs($0) < abs($1) }) ?? 0)"])
        }
        state.withLock { $0.violations += report.violations.count }
        let context = EvidenceBundle.Context(sensorID: configuration.account, location: configuration.location,
                                             noiseFloorDBFSPerBin: report.floorDBFSPerBin, fftSize: report.fftSize, calibration: calibration)
        let added = try intake.take(report.violations, grants: grants, recording: recording, context: context, now: now())
        metrics.evidence.increment(by: Int64(added.count))
        publish(report.violations, found: now())
        logger.info("audited", metadata: ["recording": "\(recording.path)", "samples": "\(report.samples)",
                                          "violations": "\(report.violations.count)", "new_evidence": "\(added.count)"])
        updateDepth()
        return added
    }

    /// Tells the web view's viewers about violations just found.
    private func publish(_ violations: [Violation], found: Int64) {
        for v in violations {
            func number(_ x: Double) -> String { x.isFinite ? String(format: "%.1f", x) : "—" }
            liveView.publishEvent(SpectrumMonitor.eventJSON(type: "violation", fields: [
                ("kind", v.kind.rawValue), ("rule", v.rule), ("grant", v.grantID), ("suspect", v.suspect), ("measured", number(v.measured)),
                ("limit", number(v.limit)), ("unit", v.unit), ("start", v.startTime?.rfc3339 ?? "sample \(v.startSample)"),
                ("end", v.endTime?.rfc3339 ?? "sample \(v.endSample)"),
            ]).dropLast() + ",\"found_ms\":\(found / 1_000_000)}")
        }
    }

    /// The live capture has the device open (or lost it).
    func noteDevice(connected: Bool) { state.withLock { $0.deviceConnected = connected } }

    /// What the web view shows of the source and the device, and the grants in use.
    public struct ViewStatus: Sendable {
        public var deviceConnected: Bool?
        public var overflows: Int64
        public var reconnects: Int64
        public var segments: Int64
        public var grants: [Grant]
        public var calibrationOffsetDB: Double?
        public var sampleRate: Double?
    }

    public func viewStatus() -> ViewStatus {
        state.withLock { ViewStatus(deviceConnected: $0.deviceConnected, overflows: $0.overflows, reconnects: $0.reconnects, segments: $0.segments, grants: $0.grantsInUse,
                                calibrationOffsetDB: $0.calibrationOffsetDB, sampleRate: $0.sampleRate) }
    }

    /// Counts what the live capture reports (device counters are cumulative; deltas are added).
    func noteCapture(overflows: Int64, reconnects: Int64, segments: Int64, dropped: Int64) {
        metrics.overflows.increment(by: overflows)
        metrics.reconnects.increment(by: reconnects)
        metrics.segments.increment(by: segments)
        metrics.droppedSegments.increment(by: dropped)
        state.withLock {
            $0.overflows += overflows
            $0.segments += segments
            $0.reconnects += reconnects
            $0.droppedSegments += dropped
        }
    }

    /// One delivery step (see `EvidenceDelivery.step`), with the outbox depth kept current.
    public func deliverStep() async throws(DeliveryError) -> EvidenceDelivery.Next {
        let next = try await delivery.step()
        updateDepth()
        return next
    }

    /// Deletes delivered bundles beyond the quota; returns how many went.
    @discardableResult
    public func evict() throws(AgentError) -> Int {
        let count = try intake.evict(quotaBytes: configuration.evidenceQuotaBytes)
        if count > 0 {
            metrics.evicted.increment(by: Int64(count))
            logger.notice("evidence bundles evicted over the quota", metadata: ["count": "\(count)"])
        }
        return count
    }

    /// What `/healthz` reports.
    public struct Health: Sendable, Equatable {
        public var healthy: Bool
        public var audited: Bool
        public var outboxDepth: Int
        public var violations: Int
        /// Live capture: segments captured, device reconnects, segments dropped (audit behind).
        public var segments: Int64
        public var reconnects: Int64
        public var droppedSegments: Int64
        public var problems: [String]
    }

    public func health() -> Health {
        let s = state.withLock { $0 }
        let depth = (try? outbox.depth()) ?? -1
        var problems: [String] = []
        if let e = s.lastAuditError { problems.append(e) }
        if let e = s.lastLedgerProblem { problems.append("ledger: \(e)") }
        if let e = s.clockProblem { problems.append("clock: \(e)") }
        if depth < 0 { problems.append("outbox unreadable") }
        // Unreachable ledger is degraded, not unhealthy: evidence waits safely in the outbox.
        return Health(healthy: s.lastAuditError == nil && depth >= 0, audited: s.audited, outboxDepth: depth, violations: s.violations,
                      segments: s.segments, reconnects: s.reconnects, droppedSegments: s.droppedSegments, problems: problems)
    }

    private func updateDepth() {
        if let depth = try? outbox.depth() { metrics.depth.record(depth) }
    }
}

/// The agent's metrics (swift-metrics; the executable bootstraps Prometheus).
struct AgentMetrics: Sendable {
    let samples = Counter(label: "trustband_agent_samples_total")
    let frames = Counter(label: "trustband_agent_psd_frames_total")
    let evidence = Counter(label: "trustband_agent_evidence_total")
    let delivered = Counter(label: "trustband_agent_delivered_total")
    let refused = Counter(label: "trustband_agent_refused_total")
    let unreachable = Counter(label: "trustband_agent_ledger_unreachable_total")
    let unverified = Counter(label: "trustband_agent_commits_unverified_total")
    let evicted = Counter(label: "trustband_agent_bundles_evicted_total")
    let overflows = Counter(label: "trustband_agent_overflows_total")
    let reconnects = Counter(label: "trustband_agent_reconnects_total")
    let segments = Counter(label: "trustband_agent_segments_total")
    let droppedSegments = Counter(label: "trustband_agent_segments_dropped_total")
    let quarantinedSegments = Counter(label: "trustband_agent_segments_clock_quarantined_total")
    let clockOffset = Gauge(label: "trustband_agent_clock_offset_seconds")
    let depth = Gauge(label: "trustband_agent_outbox_depth")
    let latency = Metrics.Timer(label: "trustband_agent_delivery_latency_seconds")

    /// Spectra the radio impaired (`dc_step`: kept out of the audit; `floor_shift`: read with widened limits).
    func impaired(_ impairment: RadioImpairment) -> Counter {
        Counter(label: "trustband_agent_radio_impaired_spectra_total", dimensions: [("kind", impairment.rawValue)])
    }

    func violations(_ kind: Violation.Kind) -> Counter {
        Counter(label: "trustband_agent_violations_total", dimensions: [("kind", kind.rawValue)])
    }
}
