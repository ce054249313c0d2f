import Consensus
import Foundation
import Ledger
import Logging
import Signal
import TransportSecurity

/// What `trustband agent --config FILE` runs: a JSON file (example in `deploy/agent.example.json`),
/// with `TRUSTBAND_AGENT_*` environment overrides. Paths are relative to the file. Every error
/// names the key at fault.
public struct AgentConfiguration: Sendable, Equatable {
    /// The sensor: its ledger account, signing key (`sensor.ed25519` from `trustband keygen`), location.
    public var account: String
    public var key: String
    public var location: String
    /// The recording to audit (SigMF or raw with `format`/`rate`/`center`/`start_time`); empty
    /// when the source is a device.
    public var recording: String
    public var recordingOptions: RecordingOptions
    /// A live SoapySDR device instead of a recording.
    public var device: LiveSource?
    /// A grant file, or nil to read the grants from the ledger (`/v1/grants`).
    public var grants: String?
    /// Calibration table and the receiver gain it is read at.
    public var calibration: String?
    public var gainDB: Double?
    /// Ledger nodes in order of preference.
    public var nodes: [String]
    /// The ledger's genesis file: its validators are the ones the agent trusts to have
    /// committed its evidence (each commit is checked against them, `CommitVerifier`).
    public var genesis: String
    /// `ledger.tls`: this sensor's certificate (naming `trustband:account:<account>`), its key and
    /// the consortium CA, for `https` nodes.
    public var tls: TLSFiles?
    /// `ledger.allow_plaintext`: plain HTTP to a non-loopback node (development networks only).
    public var allowPlaintext = false
    public var holdSeconds: Double
    public var marginDB: Double
    public var fftSize: Int
    public var pfa: Double
    /// Threads computing spectra (`detector.threads`; default: one per core, at most 4). The
    /// spectra are the same bit for bit whatever the count.
    public var threads: Int = AgentConfiguration.defaultThreads

    /// One thread per core, at most 4: what the agent, `detect` and `audit` use unless told (the
    /// machine is read here, at the edge; the spectra do not depend on it).
    public static var defaultThreads: Int { min(4, max(1, ProcessInfo.processInfo.activeProcessorCount)) }
    /// Outbox and evidence bundles live here.
    public var dataDir: String
    public var evidenceQuotaBytes: Int64
    /// host:port for `/metrics` and `/healthz`.
    public var listen: String
    /// Serve the live web view on `listen` too (`http.ui`; off unless set).
    public var ui = false
    public var pollMs: Int64
    public var backoffInitialMs: Int64
    public var backoffMaximumMs: Int64

    /// A SoapySDR device, captured in segments of `segmentSeconds` that are audited one by one.
    public struct LiveSource: Sendable, Equatable {
        public var args: String
        public var frequency: Double
        public var sampleRate: Double
        public var gainDB: Double?
        public var segmentSeconds: Double
        /// Segments captured but not yet audited, at most; past that the newest is dropped (and counted).
        public var maxSpooled: Int
        /// How far this host's clock may be from the ledger node's before segments are kept
        /// aside instead of audited (their timestamps would be wrong by as much).
        public var maxClockOffsetSeconds: Double = 30
    }

    /// What the source is, for logs and the service status.
    public var sourceDescription: String { device.map { "device \($0.args)" } ?? recording }

    public var outboxPath: String { dataDir + "/outbox.sqlite" }
    public var spoolDir: String { dataDir + "/spool" }
    public var evidenceDir: String { dataDir + "/evidence" }

    /// The validators of the genesis file (`ledger.genesis`).
    public func genesisValidators() throws(AgentError) -> ValidatorSet { try Self.genesisValidators(path: genesis) }

    /// The validators of a genesis file: the ones with trust at or above the threshold.
    public static func genesisValidators(path genesis: String) throws(AgentError) -> ValidatorSet {
        guard let data = FileManager.default.contents(atPath: genesis) else { throw .configuration(key: "ledger.genesis", problem: "cannot read \(genesis)") }
        let set: ValidatorSet
        do { set = ValidatorSet(trustOf: try Contract(genesis: try Genesis.parse(json: data))) } catch {
            throw .configuration(key: "ledger.genesis", problem: "\(genesis): \(error)")
        }
        guard !set.members.isEmpty else { throw .configuration(key: "ledger.genesis", problem: "\(genesis) has no validator with trust at or above the threshold") }
        return set
    }

    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(AgentError) -> AgentConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else { throw .configuration(key: path, problem: "cannot read the file") }
        return try load(data: data, path: path, environment: environment)
    }

    /// Decodes and checks a configuration file's bytes (`path` names it and anchors its
    /// relative paths); reads nothing else.
    public static func load(data: Data, path: String, environment: [String: String] = [:]) throws(AgentError) -> AgentConfiguration {
        let file: AgentConfigurationFile
        do throws(ConfigurationDecoding.Problem) {
            file = try ConfigurationDecoding.decode(AgentConfigurationFile.self, from: data, path: path)
        } catch {
            throw .configuration(key: error.key, problem: error.problem)
        }
        var config = try file.configuration()
        if let v = environment["TRUSTBAND_AGENT_DATA_DIR"] { config.dataDir = v }
        if let v = environment["TRUSTBAND_AGENT_NODES"] { config.nodes = v.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
        if let v = environment["TRUSTBAND_AGENT_KEY"] { config.key = v }
        if let v = environment["TRUSTBAND_AGENT_LISTEN"] { config.listen = v }
        if let v = environment["TRUSTBAND_AGENT_RECORDING"] { config.recording = v }
        if let v = environment["TRUSTBAND_AGENT_GENESIS"] { config.genesis = v }
        let base = URL(fileURLWithPath: path).deletingLastPathComponent()
        func resolve(_ p: String) -> String { p.hasPrefix("/") ? p : base.appendingPathComponent(p).standardizedFileURL.path }
        config.key = resolve(config.key)
        if !config.recording.isEmpty { config.recording = resolve(config.recording) }
        config.dataDir = resolve(config.dataDir)
        config.grants = config.grants.map(resolve)
        config.genesis = resolve(config.genesis)
        config.calibration = config.calibration.map(resolve)
        config.tls = config.tls?.resolved(against: base)
        try config.validate()
        return config
    }

    /// Loads the TLS material (nil without `ledger.tls`) and checks that the certificate names this sensor's account.
    public func loadTLS(logger: Logger) throws(AgentError) -> ReloadingTLSContext? {
        guard let tls else { return nil }
        let context: ReloadingTLSContext
        do { context = try ReloadingTLSContext(files: tls, requireClientCertificate: false, logger: logger) } catch {
            throw .configuration(key: "ledger.tls", problem: error.description)
        }
        let mine = TransportIdentity(role: .account, account: account)
        guard context.material.identities.contains(mine) else {
            throw .configuration(key: "ledger.tls", problem: "\(tls.certificate) names \(context.material.identities.map(\.uri).joined(separator: ", ")), not \(mine.uri)")
        }
        return context
    }

    /// Checks values the JSON types cannot: URLs, ranges, pairs that go together.
    public func validate() throws(AgentError) {
        guard !account.isEmpty else { throw .configuration(key: "sensor.account", problem: "is empty") }
        guard recording.isEmpty != (device == nil) else {
            throw .configuration(key: "source", problem: "give a recording or a device, one of them")
        }
        if let device {
            guard device.frequency > 0, device.sampleRate > 0 else {
                throw .configuration(key: "source.frequency", problem: "a device needs a positive frequency and rate")
            }
            guard device.segmentSeconds >= 0.05, device.segmentSeconds <= 600 else {
                throw .configuration(key: "source.segment_s", problem: "\(device.segmentSeconds) is not in 0.05…600 s")
            }
            guard device.maxSpooled >= 1 else { throw .configuration(key: "source.max_spooled", problem: "must be at least 1") }
            guard device.maxClockOffsetSeconds > 0 else { throw .configuration(key: "source.max_clock_offset_s", problem: "must be positive") }
        }
        guard !nodes.isEmpty else { throw .configuration(key: "ledger.nodes", problem: "names no node") }
        for (n, node) in nodes.enumerated() {
            guard let url = URL(string: node), url.scheme == "http" || url.scheme == "https", url.host != nil else {
                throw .configuration(key: "ledger.nodes[\(n)]", problem: "\"\(node)\" is not an http(s) URL")
            }
        }
        guard !genesis.isEmpty else { throw .configuration(key: "ledger.genesis", problem: "is empty") }
        let parts = listen.split(separator: ":")
        guard parts.count == 2, let port = Int(parts[1]), (0...65535).contains(port) else {
            throw .configuration(key: "http.listen", problem: "\"\(listen)\" is not host:port")
        }
        guard holdSeconds.isFinite, holdSeconds >= 0 else { throw .configuration(key: "detector.hold_s", problem: "must be ≥ 0") }
        guard marginDB.isFinite else { throw .configuration(key: "detector.margin_db", problem: "must be finite") }
        guard fftSize >= 16, fftSize <= 8192, fftSize & (fftSize - 1) == 0 else {
            throw .configuration(key: "detector.fft", problem: "\(fftSize) is not a power of two in 16…8192")
        }
        guard pfa > 0, pfa < 1 else { throw .configuration(key: "detector.pfa", problem: "\(pfa) is not a probability in (0, 1)") }
        guard (1...64).contains(threads) else { throw .configuration(key: "detector.threads", problem: "\(threads) must be 1…64") }
        guard evidenceQuotaBytes > 0 else { throw .configuration(key: "evidence_quota_bytes", problem: "must be positive") }
        guard (calibration == nil) == (gainDB == nil) else {
            throw .configuration(key: "calibration", problem: "needs both table and gain_db")
        }
        guard pollMs > 0, backoffInitialMs > 0, backoffMaximumMs >= backoffInitialMs else {
            throw .configuration(key: "delivery", problem: "poll_ms and backoff_initial_ms must be positive, backoff_max_ms ≥ backoff_initial_ms")
        }
        for (n, node) in nodes.enumerated() {
            guard let url = URL(string: node), let host = url.host else { continue }
            if url.scheme == "https", tls == nil {
                throw .configuration(key: "ledger.nodes[\(n)]", problem: "https needs the sensor's certificate: set ledger.tls {certificate, key, ca}")
            }
            if url.scheme == "http", !allowPlaintext, !PlaintextPolicy.isLoopback(host) {
                throw .configuration(key: "ledger.nodes[\(n)]", problem: "\(node) is plain HTTP to a non-loopback host: use https with ledger.tls, or set ledger.allow_plaintext")
            }
        }
    }
}

/// The file as written (snake_case sections); defaults for everything but the sensor, the
/// source, the ledger and the data directory.
struct AgentConfigurationFile: Decodable {
    struct Sensor: Decodable { var account: String; var key: String; var location: String? }
    struct Source: Decodable {
        var recording: String?
        var format: String?, rate: Double?, center: Double?
        var startTime: String?
        var device: String?, frequency: Double?, gainDB: Double?, segmentS: Double?, maxSpooled: Int?, maxClockOffsetS: Double?
        enum CodingKeys: String, CodingKey {
            case recording, format, rate, center, startTime = "start_time", device, frequency, gainDB = "gain_db", segmentS = "segment_s"
            case maxSpooled = "max_spooled", maxClockOffsetS = "max_clock_offset_s"
        }
    }
    struct Grants: Decodable { var file: String?; var ledger: Bool? }
    struct Calibration: Decodable { var table: String; var gainDB: Double; enum CodingKeys: String, CodingKey { case table, gainDB = "gain_db" } }
    struct Ledger: Decodable {
        var nodes: [String]; var genesis: String; var tls: TLSFiles?; var allowPlaintext: Bool?
        enum CodingKeys: String, CodingKey { case nodes, genesis, tls, allowPlaintext = "allow_plaintext" }
    }
    struct Detector: Decodable {
        var holdS: Double?, marginDB: Double?, fft: Int?, pfa: Double?, threads: Int?
        enum CodingKeys: String, CodingKey { case holdS = "hold_s", marginDB = "margin_db", fft, pfa, threads }
    }
    struct HTTP: Decodable { var listen: String?, ui: Bool? }
    struct Delivery: Decodable {
        var pollMs: Int64?, backoffInitialMs: Int64?, backoffMaxMs: Int64?
        enum CodingKeys: String, CodingKey { case pollMs = "poll_ms", backoffInitialMs = "backoff_initial_ms", backoffMaxMs = "backoff_max_ms" }
    }

    var sensor: Sensor
    var source: Source
    var grants: Grants?
    var calibration: Calibration?
    var ledger: Ledger
    var detector: Detector?
    var dataDir: String
    var evidenceQuotaBytes: Int64?
    var http: HTTP?
    var delivery: Delivery?

    enum CodingKeys: String, CodingKey {
        case sensor, source, grants, calibration, ledger, detector, dataDir = "data_dir", evidenceQuotaBytes = "evidence_quota_bytes", http, delivery
    }

    func configuration() throws(AgentError) -> AgentConfiguration {
        var options = RecordingOptions()
        if let name = source.format {
            do { options.format = try SampleFormat(parsing: name) } catch { throw .configuration(key: "source.format", problem: "\(error)") }
        }
        options.sampleRate = source.rate
        options.centerFrequency = source.center
        if let text = source.startTime {
            do { options.startTime = try Timestamp(rfc3339: text) } catch { throw .configuration(key: "source.start_time", problem: "\(error)") }
        }
        if grants?.file != nil && grants?.ledger == true {
            throw .configuration(key: "grants", problem: "give a file or ledger: true, not both")
        }
        let live = source.device.map { args in
            var live = AgentConfiguration.LiveSource(args: args, frequency: source.frequency ?? 0, sampleRate: source.rate ?? 0, gainDB: source.gainDB,
                                                     segmentSeconds: source.segmentS ?? 2, maxSpooled: source.maxSpooled ?? 4)
            live.maxClockOffsetSeconds = source.maxClockOffsetS ?? live.maxClockOffsetSeconds
            return live
        }
        var configuration = AgentConfiguration(
            account: sensor.account, key: sensor.key, location: sensor.location ?? "", recording: source.recording ?? "", recordingOptions: options,
            device: live,
            grants: grants?.file, calibration: calibration?.table, gainDB: calibration?.gainDB, nodes: ledger.nodes, genesis: ledger.genesis,
            holdSeconds: detector?.holdS ?? 0.05, marginDB: detector?.marginDB ?? 0.5, fftSize: detector?.fft ?? 1024, pfa: detector?.pfa ?? 1e-3,
            threads: detector?.threads ?? AgentConfiguration.defaultThreads,
            dataDir: dataDir, evidenceQuotaBytes: evidenceQuotaBytes ?? 1 << 30, listen: http?.listen ?? "127.0.0.1:9464",
            pollMs: delivery?.pollMs ?? 200, backoffInitialMs: delivery?.backoffInitialMs ?? 500, backoffMaximumMs: delivery?.backoffMaxMs ?? 30_000)
        configuration.ui = http?.ui ?? false
        configuration.tls = ledger.tls
        configuration.allowPlaintext = ledger.allowPlaintext ?? false
        return configuration
    }
}

/// Why the agent cannot start or go on.
public enum AgentError: Error, Sendable, CustomStringConvertible {
    case configuration(key: String, problem: String)
    case source(String)
    case evidence(String)

    public var description: String {
        switch self {
        case .configuration(let key, let problem): return "agent configuration: \(key): \(problem)"
        case .source(let problem): return "agent source: \(problem)"
        case .evidence(let problem): return "agent evidence: \(problem)"
        }
    }
}
