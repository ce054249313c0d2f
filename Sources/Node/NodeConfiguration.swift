import Foundation
import Signal
import TransportSecurity

/// A node's configuration file (JSON), with environment overrides. Paths are relative to the
/// file's directory.
///
/// ```json
/// {"id": "v1", "key": "keys/v1", "listen": "127.0.0.1:7101", "data_dir": "data/v1",
///  "genesis": "genesis.json", "peers": [{"id": "v2", "url": "http://127.0.0.1:7102"}]}
/// ```
public struct NodeConfiguration: Sendable, Codable, Equatable {
    public struct Peer: Sendable, Codable, Equatable {
        public var id: String
        public var url: String
        public init(id: String, url: String) { self.id = id; self.url = url }
    }

    /// Consensus timeouts, milliseconds.
    public struct Timeouts: Sendable, Codable, Equatable {
        public var baseMs: Int64 = 1_000
        public var incrementMs: Int64 = 500
        public var resendMs: Int64 = 1_000
        /// Pause after each commit, gathering transactions for the next block.
        public var commitWaitMs: Int64 = 10
        /// Longest a height waits for a transaction (or a proposal) before its round starts
        /// anyway, making an empty block: an idle chain commits about once per this (0: never wait).
        public var emptyBlockMs: Int64 = 1_000
        /// A proposal whose time is further ahead of this node's clock is not prevoted for.
        public var maxClockSkewMs: Int64 = 10_000
        public init() {}
        enum CodingKeys: String, CodingKey {
            case baseMs = "base_ms", incrementMs = "increment_ms", resendMs = "resend_ms", commitWaitMs = "commit_wait_ms", emptyBlockMs = "empty_block_ms"
            case maxClockSkewMs = "max_clock_skew_ms"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            baseMs = try c.decodeIfPresent(Int64.self, forKey: .baseMs) ?? baseMs
            incrementMs = try c.decodeIfPresent(Int64.self, forKey: .incrementMs) ?? incrementMs
            resendMs = try c.decodeIfPresent(Int64.self, forKey: .resendMs) ?? resendMs
            commitWaitMs = try c.decodeIfPresent(Int64.self, forKey: .commitWaitMs) ?? commitWaitMs
            emptyBlockMs = try c.decodeIfPresent(Int64.self, forKey: .emptyBlockMs) ?? emptyBlockMs
            maxClockSkewMs = try c.decodeIfPresent(Int64.self, forKey: .maxClockSkewMs) ?? maxClockSkewMs
        }
    }

    /// The validator account this node signs for.
    public var id: String
    /// Directory holding the node's Ed25519 key (`sensor.ed25519`, as `trustband keygen` writes).
    public var key: String
    /// host:port for the HTTP API and peer messages.
    public var listen: String
    public var dataDir: String
    public var genesis: String
    public var peers: [Peer]
    public var mempool: Mempool.Limits
    public var blockMaxTransactions: Int
    /// Largest request body accepted, bytes.
    public var maxBodyBytes: Int
    /// A snapshot of the state every this many heights.
    public var snapshotEvery: Int64
    public var timeouts: Timeouts
    /// What one client may take of the public API.
    public var limits = ClientLimits()
    /// TLS 1.3 for the API and peer links (certificate, key, consortium CA); nil: plain HTTP,
    /// which is refused on non-loopback addresses unless `allowPlaintext`.
    public var tls: TLSFiles?
    /// With TLS, refuse clients that present no certificate from the consortium CA (peers always need one).
    public var requireClientCertificate = false
    /// Serve plain HTTP on a non-loopback address, or reach peers over it (development networks only).
    public var allowPlaintext = false

    public init(id: String, key: String, listen: String, dataDir: String, genesis: String, peers: [Peer]) {
        self.id = id
        self.key = key
        self.listen = listen
        self.dataDir = dataDir
        self.genesis = genesis
        self.peers = peers
        mempool = Mempool.Limits()
        blockMaxTransactions = 1_000
        maxBodyBytes = 8 << 20
        snapshotEvery = 1_000
        timeouts = Timeouts()
    }

    enum CodingKeys: String, CodingKey {
        case id, key, listen, dataDir = "data_dir", genesis, peers, mempool, blockMaxTransactions = "block_max_transactions"
        case maxBodyBytes = "max_body_bytes", snapshotEvery = "snapshot_every", timeouts, limits
        case tls, requireClientCertificate = "require_client_certificate", allowPlaintext = "allow_plaintext"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(id: try c.decode(String.self, forKey: .id), key: try c.decode(String.self, forKey: .key),
                  listen: try c.decode(String.self, forKey: .listen), dataDir: try c.decode(String.self, forKey: .dataDir),
                  genesis: try c.decode(String.self, forKey: .genesis), peers: try c.decodeIfPresent([Peer].self, forKey: .peers) ?? [])
        mempool = try c.decodeIfPresent(Mempool.Limits.self, forKey: .mempool) ?? mempool
        blockMaxTransactions = try c.decodeIfPresent(Int.self, forKey: .blockMaxTransactions) ?? blockMaxTransactions
        maxBodyBytes = try c.decodeIfPresent(Int.self, forKey: .maxBodyBytes) ?? maxBodyBytes
        snapshotEvery = try c.decodeIfPresent(Int64.self, forKey: .snapshotEvery) ?? snapshotEvery
        timeouts = try c.decodeIfPresent(Timeouts.self, forKey: .timeouts) ?? timeouts
        limits = try c.decodeIfPresent(ClientLimits.self, forKey: .limits) ?? limits
        tls = try c.decodeIfPresent(TLSFiles.self, forKey: .tls)
        requireClientCertificate = try c.decodeIfPresent(Bool.self, forKey: .requireClientCertificate) ?? false
        allowPlaintext = try c.decodeIfPresent(Bool.self, forKey: .allowPlaintext) ?? false
    }

    /// Environment variables that override the file: `TRUSTBAND_NODE_LISTEN`,
    /// `TRUSTBAND_NODE_DATA_DIR`, `TRUSTBAND_NODE_KEY`, `TRUSTBAND_NODE_GENESIS`,
    /// `TRUSTBAND_NODE_PEERS` (`id=url,id=url`).
    public static let environmentKeys = ["TRUSTBAND_NODE_LISTEN", "TRUSTBAND_NODE_DATA_DIR", "TRUSTBAND_NODE_KEY", "TRUSTBAND_NODE_GENESIS", "TRUSTBAND_NODE_PEERS"]

    /// Reads `path`, applies `environment` overrides, resolves relative paths and checks
    /// every field; errors name the key.
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(NodeError) -> NodeConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else { throw .configuration(key: path, problem: "cannot read the file") }
        return try load(data: data, path: path, environment: environment)
    }

    /// Decodes and checks a configuration file's bytes (`path` names it and anchors its
    /// relative paths); reads nothing else.
    public static func load(data: Data, path: String, environment: [String: String] = [:]) throws(NodeError) -> NodeConfiguration {
        var config: NodeConfiguration
        do throws(ConfigurationDecoding.Problem) {
            config = try ConfigurationDecoding.decode(NodeConfiguration.self, from: data, path: path)
        } catch {
            throw .configuration(key: error.key, problem: error.problem)
        }
        if let v = environment["TRUSTBAND_NODE_LISTEN"] { config.listen = v }
        if let v = environment["TRUSTBAND_NODE_DATA_DIR"] { config.dataDir = v }
        if let v = environment["TRUSTBAND_NODE_KEY"] { config.key = v }
        if let v = environment["TRUSTBAND_NODE_GENESIS"] { config.genesis = v }
        if let v = environment["TRUSTBAND_NODE_PEERS"] {
            config.peers = try v.split(separator: ",").map { item throws(NodeError) -> Peer in
                let parts = item.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { throw .configuration(key: "TRUSTBAND_NODE_PEERS", problem: "\"\(item)\" is not id=url") }
                return Peer(id: String(parts[0]), url: String(parts[1]))
            }
        }
        let base = URL(fileURLWithPath: path).deletingLastPathComponent()
        func resolve(_ p: String) -> String { p.hasPrefix("/") ? p : base.appendingPathComponent(p).path }
        config.key = resolve(config.key)
        config.dataDir = resolve(config.dataDir)
        config.genesis = resolve(config.genesis)
        config.tls = config.tls?.resolved(against: base)
        try config.validate()
        return config
    }

    /// The listen address as host and port.
    public var address: (host: String, port: Int) {
        let parts = listen.split(separator: ":")
        return (String(parts.first ?? "127.0.0.1"), Int(parts.last ?? "") ?? 0)
    }

    public func validate() throws(NodeError) {
        let parts = listen.split(separator: ":")
        guard parts.count == 2, let port = Int(parts[1]), (0...65535).contains(port) else { throw .configuration(key: "listen", problem: "\"\(listen)\" is not host:port") }
        guard !id.isEmpty else { throw .configuration(key: "id", problem: "is empty") }
        for (n, peer) in peers.enumerated() {
            guard let url = URL(string: peer.url), url.scheme == "http" || url.scheme == "https", url.host != nil else {
                throw .configuration(key: "peers[\(n)].url", problem: "\"\(peer.url)\" is not an http(s) URL")
            }
        }
        guard mempool.maxTransactions > 0, mempool.maxBytes > 0, mempool.maxPerAccount > 0 else { throw .configuration(key: "mempool", problem: "limits must be > 0") }
        guard blockMaxTransactions > 0 else { throw .configuration(key: "block_max_transactions", problem: "must be > 0") }
        guard maxBodyBytes >= 1024 else { throw .configuration(key: "max_body_bytes", problem: "must be ≥ 1024") }
        guard snapshotEvery > 0 else { throw .configuration(key: "snapshot_every", problem: "must be > 0") }
        guard timeouts.baseMs > 0, timeouts.incrementMs >= 0, timeouts.resendMs > 0, timeouts.commitWaitMs >= 0, timeouts.emptyBlockMs >= 0, timeouts.maxClockSkewMs > 0 else { throw .configuration(key: "timeouts", problem: "must be > 0") }
        try validateTransport()
    }

    /// Plain HTTP only on loopback (unless `allow_plaintext`); https peers need this node's certificate.
    func validateTransport() throws(NodeError) {
        if tls == nil, !allowPlaintext, !PlaintextPolicy.isLoopback(address.host) {
            throw .configuration(key: "listen", problem: "\(listen) is not a loopback address: serve TLS (set \"tls\") or, on a development network, set \"allow_plaintext\": true")
        }
        for (n, peer) in peers.enumerated() {
            guard let url = URL(string: peer.url), let host = url.host else { continue }
            if url.scheme == "https", tls == nil {
                throw .configuration(key: "peers[\(n)].url", problem: "https needs this node's own certificate: set \"tls\"")
            }
            if url.scheme == "http", !allowPlaintext, !PlaintextPolicy.isLoopback(host) {
                throw .configuration(key: "peers[\(n)].url", problem: "\(peer.url) is plain HTTP to a non-loopback host: use https (and \"tls\"), or set \"allow_plaintext\": true")
            }
        }
        if requireClientCertificate, tls == nil { throw .configuration(key: "require_client_certificate", problem: "needs \"tls\"") }
    }
}

/// Errors of the node runtime.
public enum NodeError: Error, Sendable, CustomStringConvertible {
    case configuration(key: String, problem: String)
    case genesis(String)
    case key(String)
    case storage(String)
    case diverged(String)
    case tls(String)

    public var description: String {
        switch self {
        case .configuration(let key, let problem): return "config: \(key): \(problem)"
        case .genesis(let m): return "genesis: \(m)"
        case .key(let m): return "node key: \(m)"
        case .storage(let m): return "storage: \(m)"
        case .diverged(let m): return "state diverged: \(m)"
        case .tls(let m): return "tls: \(m)"
        }
    }
}
