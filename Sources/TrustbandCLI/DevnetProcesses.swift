import Consensus
import AsyncHTTPClient
import Foundation
import Ledger
import Node
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// Child node processes of a devnet: started from this executable (`trustband node`), their
/// output in `vN/node.log`, stopped with SIGTERM (then SIGKILL after a grace period).
final class DevnetProcesses: @unchecked Sendable {
    let configs: [String]
    let urls: [String]
    private(set) var processes: [Process?]
    let lock = NSLock()

    let executable: String

    init(configs: [String], basePort: Int, host: String = "127.0.0.1", tls: Bool = false, executable: String = DevnetProcesses.executable) {
        self.configs = configs
        self.executable = executable
        urls = configs.indices.map { "\(tls ? "https" : "http")://\(host):\(basePort + $0)" }
        processes = Array(repeating: nil, count: configs.count)
    }

    /// The running executable's path.
    static var executable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    func start(_ index: Int, environment: [String: String] = [:]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["node", "--config", configs[index]]
        var env = ProcessInfo.processInfo.environment
        // The nodes share this machine: each gets its share of the cores as event loop threads.
        if env[NodeProcess.threadsVariable] == nil { env[NodeProcess.threadsVariable] = String(NodeProcess.threadsPerNode(configs.count)) }
        for (k, v) in environment { env[k] = v }
        env["TRUSTBAND_DEVNET_PARENT"] = String(getpid())
        process.environment = env
        let logPath = URL(fileURLWithPath: configs[index]).deletingLastPathComponent().appendingPathComponent("node.log").path
        if !FileManager.default.fileExists(atPath: logPath) { _ = FileManager.default.createFile(atPath: logPath, contents: nil) }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        process.standardOutput = log
        process.standardError = log
        try process.run()
        lock.withLock { processes[index] = process }
    }

    func startAll(environment: [String: String] = [:]) throws {
        for i in configs.indices { try start(i, environment: environment) }
    }

    /// SIGKILL: the crash a node must survive.
    func kill(_ index: Int) {
        lock.withLock {
            guard let p = processes[index], p.isRunning else { return }
            Foundation.kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            processes[index] = nil
        }
    }

    /// SIGTERM to every node, SIGKILL to those still running after `grace` seconds; returns how
    /// many needed SIGKILL (a node stops cleanly in well under a second).
    @discardableResult
    func stopAll(grace: Double = 10) -> Int {
        let running = lock.withLock { processes.compactMap { $0 }.filter(\.isRunning) }
        for p in running { p.terminate() }
        let deadline = Date().addingTimeInterval(grace)
        var killed = 0
        for p in running {
            while p.isRunning, Date() < deadline { usleep(50_000) }
            if p.isRunning { Foundation.kill(p.processIdentifier, SIGKILL); p.waitUntilExit(); killed += 1 }
        }
        lock.withLock { processes = processes.map { _ in nil } }
        return killed
    }

    /// Waits until every node answers `/v1/status`.
    func waitReady(timeout: Double = 60) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        for (i, url) in urls.enumerated() {
            while (try? await LedgerClient.status(url)) == nil {
                guard Date() < deadline else { throw UserFacingError(message: "node v\(i + 1) did not start; see its node.log beside \(configs[i])") }
                if lock.withLock({ processes[i].map { !$0.isRunning } ?? false }) {
                    throw UserFacingError(message: "node v\(i + 1) exited; see node.log beside \(configs[i])")
                }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }
}

/// A few calls to a node's HTTP API. Over `https`, nodes are trusted through the consortium CA
/// in `TRUSTBAND_CA` (a PEM file), or the one `trust(caFile:)` named; no client certificate is
/// presented (a node takes anonymous clients unless it requires certificates).
enum LedgerClient {
    private struct Trust {
        var authorities: [String] = []
        var client: HTTPClient?
        /// Clients replaced when another CA was added, kept (like HTTPClient.shared) for the life of the process.
        var retired: [HTTPClient] = []
    }
    private static let trusted = Mutex(Trust())

    /// Trusts the CA in `caFile` too, for every later call (a devnet or demo with TLS).
    static func trust(caFile: String) throws {
        let pem = try String(contentsOfFile: caFile, encoding: .utf8)
        _ = try NIOSSLCertificate.fromPEMBytes(Array(pem.utf8))
        try trusted.withLock { t in
            guard !t.authorities.contains(pem) else { return }
            t.authorities.append(pem)
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .certificates(try t.authorities.flatMap { try NIOSSLCertificate.fromPEMBytes(Array($0.utf8)) })
            tls.minimumTLSVersion = .tlsv13
            if let old = t.client { t.retired.append(old) }
            t.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
        }
    }

    /// The client for every call: one trusting the CAs named so far (and `TRUSTBAND_CA`, whose
    /// file must read as a PEM certificate), or the shared plain one.
    static func client() throws -> HTTPClient {
        if let c = trusted.withLock({ $0.client }) { return c }
        if let ca = ProcessInfo.processInfo.environment["TRUSTBAND_CA"] {
            do { try trust(caFile: ca) } catch { throw UserFacingError(message: "TRUSTBAND_CA=\(ca): not a readable PEM certificate (\(error))") }
            if let c = trusted.withLock({ $0.client }) { return c }
        }
        return .shared
    }

    /// One request; a node whose certificate is not trusted is named with what to do about it.
    static func execute(_ request: HTTPClientRequest, timeout: Int64) async throws -> HTTPClientResponse {
        let client = try client()
        do {
            return try await client.execute(request, timeout: .seconds(timeout))
        } catch {
            if "\(error)".contains("CERTIFICATE_VERIFY_FAILED") {
                throw UserFacingError(message: "\(request.url): the node's TLS certificate is not trusted: set TRUSTBAND_CA to the consortium CA's certificate (a devnet's is DIR/tls/ca.crt)")
            }
            throw error
        }
    }

    static func get(_ url: String, timeout: Int64 = 10) async throws -> (status: UInt, body: [UInt8]) {
        let response = try await execute(HTTPClientRequest(url: url), timeout: timeout)
        return (response.status.code, Array(buffer: try await response.body.collect(upTo: 64 << 20)))
    }

    static func json(_ url: String) async throws -> [String: Any] {
        let (status, body) = try await get(url)
        guard status == 200, let object = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw UserFacingError(message: "GET \(url): HTTP \(status) \(String(decoding: body.prefix(300), as: UTF8.self))")
        }
        return object
    }

    static func status(_ url: String) async throws -> [String: Any] { try await json(url + "/v1/status") }

    static func height(_ url: String) async throws -> Int64 {
        guard let h = (try await status(url))["height"] as? NSNumber else { throw UserFacingError(message: "\(url): status has no height") }
        return h.int64Value
    }

    /// POSTs signed transactions in one batch (`/v1/txs`); per transaction, whether it is in
    /// the mempool (or was already), else the refusal's code.
    static func submitBatch(_ wires: [[UInt8]], to url: String) async throws -> [String?] {
        var request = HTTPClientRequest(url: url + "/v1/txs")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        request.body = .bytes(ByteBuffer(bytes: PeerFraming.frame(wires)))
        let response = try await execute(request, timeout: 10)
        let body = try await response.body.collect(upTo: 64 << 20)
        guard response.status == .ok, let object = (try? JSONSerialization.jsonObject(with: Data(Array(buffer: body)))) as? [String: Any],
              let results = object["results"] as? [[String: Any]], results.count == wires.count else {
            throw UserFacingError(message: "\(url)/v1/txs: HTTP \(response.status.code)")
        }
        return results.map { $0["status"] as? String == "pending" ? nil : ($0["code"] as? String ?? "refused") }
    }

    /// POSTs a signed transaction; returns the HTTP status and the JSON reply's id or error.
    static func submit(_ wire: [UInt8], to url: String, timeout: Int64 = 10) async throws -> (status: UInt, message: String) {
        var request = HTTPClientRequest(url: url + "/v1/tx")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        request.body = .bytes(ByteBuffer(bytes: wire))
        let response = try await execute(request, timeout: timeout)
        let body = try await response.body.collect(upTo: 1 << 20)
        let object = (try? JSONSerialization.jsonObject(with: Data(Array(buffer: body)))) as? [String: Any]
        return (response.status.code, (object?["id"] as? String) ?? (object?["error"] as? String) ?? "")
    }
}
