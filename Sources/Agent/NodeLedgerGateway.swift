import AsyncHTTPClient
import Consensus
import Enforcement
import Foundation
import Signal
import NIOCore
import NIOHTTP1
import Synchronization
import TransportSecurity

/// `LedgerGateway` over nodes' HTTP API (`/v1`, docs/openapi.yaml), with failover: calls go to
/// the node that answered last; one that cannot be reached, times out or answers 5xx/429 is
/// passed over for the next, and the call fails only when none answers. Refusals are read from
/// the replies' `code`, never from their prose.
public final class NodeLedgerGateway: LedgerGateway {
    public let nodes: [String]
    private let client: Mutex<HTTPClient>
    private let timeout: TimeAmount
    private let preferred = Mutex(0)
    /// This sensor's certificate and the consortium CA (nil: plain HTTP), checked for rotation.
    private let tls: ReloadingTLSContext?
    private let lastTLSCheck = Mutex(ContinuousClock.now)
    /// Clients replaced by a rotation, shut down with the gateway (their requests may still be in flight).
    private let retired = Mutex<[HTTPClient]>([])

    /// - Parameter nodes: base URLs (`http://10.0.0.5:7101`), in order of preference.
    /// - Parameter timeout: for one request to one node (connecting included).
    /// - Parameter tls: the sensor's certificate (naming its account) and the consortium CA, for
    ///   `https` nodes; a rotated certificate is picked up within its `reload_s`.
    ///
    /// The gateway owns an HTTP client that does not retry a refused connection until the
    /// deadline (AsyncHTTPClient's default), so a dead node is passed over at once. Call
    /// `shutdown()` when done with it.
    public init(nodes: [String], timeout: TimeAmount = .seconds(5), tls: ReloadingTLSContext? = nil) {
        precondition(!nodes.isEmpty, "a ledger gateway needs at least one node")
        self.nodes = nodes.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        self.timeout = timeout
        self.tls = tls
        client = Mutex(Self.makeClient(timeout: timeout, tls: tls?.material))
    }

    static func makeClient(timeout: TimeAmount, tls: TLSMaterial?) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = min(timeout, .seconds(2))
        configuration.tlsConfiguration = tls?.clientConfiguration()
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Closes the gateway's connections.
    public func shutdown() async throws {
        for old in retired.withLock({ list in defer { list = [] }; return list }) { try? await old.shutdown() }
        try await client.withLock { $0 }.shutdown()
    }

    /// The client for the next request: a new one once the certificate files were rotated.
    private func currentClient() -> HTTPClient {
        if let tls, tls.material.files.reloadSeconds > 0 {
            let due = lastTLSCheck.withLock { last -> Bool in
                guard ContinuousClock.now - last >= .seconds(tls.material.files.reloadSeconds) else { return false }
                last = .now
                return true
            }
            if due, case .reloaded = tls.reloadIfChanged() {
                let fresh = Self.makeClient(timeout: timeout, tls: tls.material)
                let old = client.withLock { c in defer { c = fresh }; return c }
                retired.withLock { $0.append(old) }
            }
        }
        return client.withLock { $0 }
    }

    /// The node calls go to first.
    public var current: String { nodes[preferred.withLock { $0 }] }

    public func nextNonce(of account: String) async throws(GatewayError) -> UInt64 {
        let (status, object) = try await call("GET", "/v1/accounts/" + account)
        guard status == 200, let nonce = (object["nonce"] as? NSNumber)?.uint64Value else {
            // Not registered yet (or not visible on this node yet): wait, do not give the record up.
            throw GatewayError(status == 404 ? "\(account) is not registered on the ledger" : "account \(account): HTTP \(status)")
        }
        return nonce + 1
    }

    public func submit(_ wire: [UInt8], id: String) async throws(GatewayError) -> SubmitOutcome {
        let (status, object) = try await call("POST", "/v1/tx", body: wire)
        let code = object["code"] as? String ?? "", reason = object["error"] as? String ?? "HTTP \(status)"
        switch (status, code) {
        case (202, _), (409, "duplicate"): return .accepted
        case (409, "replay"):
            // Its nonce is used: by this very transaction (then it is committed), or by another.
            if case .committed = try await self.status(of: id) { return .accepted }
            return .refused(.staleNonce(reason))
        case (400, "nonce_too_far"): return .refused(.staleNonce(reason))
        case (400, _): return .refused(.final(reason))
        default: throw GatewayError("\(current)/v1/tx: HTTP \(status): \(reason)")
        }
    }

    public func status(of id: String) async throws(GatewayError) -> TransactionStatus {
        let (status, object) = try await call("GET", "/v1/tx/" + id)
        if status == 404 { return .unknown }
        guard status == 200 else { throw GatewayError("\(current)/v1/tx/\(id): HTTP \(status)") }
        switch object["status"] as? String {
        case "committed":
            guard let height = (object["height"] as? NSNumber)?.int64Value else { throw GatewayError("committed \(id) without a height") }
            return .committed(height: height)
        case "pending": return .pending
        case "rejected":
            let reason = object["reason"] as? String ?? "rejected"
            switch object["code"] as? String {
            case "duplicate_evidence": return .rejected(.recordAlreadyOnLedger)
            case "wrong_nonce": return .rejected(.staleNonce(reason))
            // Registration may be on its way: keep the record.
            case "unknown_account": throw GatewayError(reason)
            default: return .rejected(.final(reason))
            }
        default: return .unknown
        }
    }

    public func grants() async throws(GatewayError) -> [Grant] {
        let (status, body) = try await call("GET", "/v1/grants", raw: true)
        guard status == 200, let list = body.raw else { throw GatewayError("\(current)/v1/grants: HTTP \(status)") }
        // The reply, {"height": h, "grants": [...]}, is itself a grant file.
        do {
            return try GrantFile.decode(json: list, path: current + "/v1/grants")
        } catch {
            throw GatewayError("\(current)/v1/grants: \(error)")
        }
    }

    public func commit(at height: Int64) async throws(GatewayError) -> Commit {
        let (status, body) = try await call("GET", "/v1/blocks/\(height)/commit", raw: true, limit: 256 << 20)
        guard status == 200, let wire = body.raw else { throw GatewayError("\(current)/v1/blocks/\(height)/commit: HTTP \(status)") }
        do { return try Commit(wire: Array(wire)) } catch { throw GatewayError("\(current)/v1/blocks/\(height)/commit: \(error)") }
    }

    public func validators(at height: Int64) async throws(GatewayError) -> ValidatorSet {
        let (status, object) = try await call("GET", "/v1/validators/\(height)")
        let path = "\(current)/v1/validators/\(height)"
        guard status == 200, let list = object["validators"] as? [[String: Any]] else { throw GatewayError("\(path): HTTP \(status)") }
        var members: [Validator] = []
        for (n, item) in list.enumerated() {
            guard let id = item["id"] as? String, let power = (item["power"] as? NSNumber)?.int64Value,
                  let key = (item["key"] as? String).flatMap(Hex.decode) else { throw GatewayError("\(path): validators[\(n)] lacks id, power or key") }
            members.append(Validator(id: id, power: power, key: key))
        }
        return ValidatorSet(members)
    }

    public func clockOffset() async throws(GatewayError) -> Int64 {
        let sent = Int64(Date().timeIntervalSince1970 * 1e9)
        let (status, object) = try await call("GET", "/v1/status")
        let received = Int64(Date().timeIntervalSince1970 * 1e9)
        guard status == 200, let node = (object["time_ns"] as? NSNumber)?.int64Value else { throw GatewayError("\(current)/v1/status: HTTP \(status), no time_ns") }
        return sent / 2 + received / 2 - node
    }

    public func passOver() {
        let count = nodes.count
        preferred.withLock { $0 = ($0 + 1) % count }
    }

    /// One request, to the preferred node and then the others; answers with status and JSON.
    private func call(_ method: String, _ path: String, body: [UInt8]? = nil) async throws(GatewayError) -> (UInt, [String: Any]) {
        let (status, reply) = try await call(method, path, body: body, raw: false)
        return (status, reply.object)
    }

    private func call(_ method: String, _ path: String, body: [UInt8]? = nil, raw: Bool, limit: Int = 4 << 20) async throws(GatewayError)
        -> (UInt, (object: [String: Any], raw: Data?)) {
        let first = preferred.withLock { $0 }
        var problems: [String] = []
        for offset in 0..<nodes.count {
            let index = (first + offset) % nodes.count
            do {
                var request = HTTPClientRequest(url: nodes[index] + path)
                request.method = method == "POST" ? .POST : .GET
                if let body {
                    request.headers.add(name: "Content-Type", value: "application/octet-stream")
                    request.body = .bytes(ByteBuffer(bytes: body))
                }
                let response = try await currentClient().execute(request, timeout: timeout)
                let bytes = try await response.body.collect(upTo: limit)
                let status = response.status.code
                if status >= 500 || status == 429 {
                    problems.append("\(nodes[index]): HTTP \(status)")
                    continue
                }
                preferred.withLock { $0 = index }
                let data = Data(Array(buffer: bytes))
                if raw { return (status, ([:], data)) }
                return (status, ((try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:], nil))
            } catch {
                problems.append("\(nodes[index]): \(error)")
            }
        }
        throw GatewayError("no node answered (\(problems.joined(separator: "; ")))")
    }
}
