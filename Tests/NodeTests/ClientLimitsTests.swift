#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Hummingbird
import HummingbirdTesting
import Ledger
import Logging
import Node
import NIOCore
import Testing

/// Per-client limits on a node's public API, on a real socket.
@Suite("Node client limits", .serialized)
struct ClientLimitsTests {
    /// A one-validator node with `limits`, served live (the peer server builder: connection caps
    /// and idle timeout apply there).
    static func withLiveNode(_ limits: ClientLimits, _ body: @Sendable (Int) async throws -> Void) async throws {
        let logger = Logger(label: "test.limits")
        let dir = NSTemporaryDirectory() + "trustband-limits-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let configs = try Devnet.create(directory: dir, nodes: 1, basePort: 0, devAccounts: [.init(id: "user-1", role: .pu, deposit: 100, balance: 10_000)])
        var configuration = try NodeConfiguration.load(path: configs[0])
        configuration.limits = limits
        let node = try LedgerNode(configuration: configuration, logger: logger)
        let app = Application(router: NodeAPI.router(node: node, registry: nil, logger: logger), server: PeerLinkServer.server(node: node, logger: logger),
                              configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: logger)
        try await app.test(.live) { client in try await body(try #require(client.port)) }
    }

    /// A raw HTTP/1.1 GET on a new connection: the status line, or nil if the server closed it.
    static func get(port: Int, path: String = "/healthz") -> String? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard connected == 0 else { return nil }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let request = "GET \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = recv(fd, &buffer, buffer.count, 0)
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n], as: UTF8.self)
    }

    /// `get` on a thread of its own: a blocking socket must not hold one of the few threads the
    /// server's own tasks run on.
    static func fetch(port: Int, path: String = "/healthz") async -> String? {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: get(port: port, path: path)) }.start()
        }
    }

    /// An open connection that says nothing (a slow-loris client holding a slot).
    static func idleConnection(port: Int) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        // Half a request line, then silence.
        _ = "GET /v1/sta".withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        return fd
    }

    @Test("The token bucket: a full burst, then one request per 1/rate seconds; the wait it names is the wait it means; clients apart")
    func bucket() throws {
        let limiter = ClientRateLimiter(rate: 2, burst: 5)
        let t0 = ContinuousClock.now
        for _ in 0..<5 { #expect(limiter.take("a", now: t0) == nil) }
        let wait = try #require(limiter.take("a", now: t0))
        #expect(abs(wait - 0.5) < 1e-9)
        #expect(limiter.take("b", now: t0) == nil, "another client has its own bucket")
        #expect(limiter.take("a", now: t0 + .milliseconds(499)) != nil)
        #expect(limiter.take("a", now: t0 + .milliseconds(500)) == nil, "one token after 1/rate")
        #expect(limiter.take("a", now: t0 + .milliseconds(500)) != nil)
        // Idle long: the bucket refills to the burst and no further.
        let later = t0 + .seconds(100)
        for _ in 0..<5 { #expect(limiter.take("a", now: later) == nil) }
        #expect(limiter.take("a", now: later) != nil)
    }

    @Test("A client over its rate gets 429 with Retry-After and a reason; after that wait, 200")
    func rate() async throws {
        var limits = ClientLimits()
        // A slow refill, so that however slowly a loaded machine serves the loop, the burst is spent.
        limits.requestsPerSecond = 0.2
        limits.burst = 5
        try await Self.withLiveNode(limits) { port in
            let start = ContinuousClock.now
            var statuses: [String] = []
            var limited: String?
            for _ in 0..<12 {
                let reply = await Self.fetch(port: port, path: "/v1/status")
                statuses.append(reply.map { String($0.prefix(12)) } ?? "closed")
                if limited == nil, let reply, reply.hasPrefix("HTTP/1.1 429") { limited = reply }
            }
            let elapsed = (ContinuousClock.now - start) / .seconds(1)
            let served = statuses.filter { $0 == "HTTP/1.1 200" }.count
            #expect(statuses.prefix(5).allSatisfy { $0 == "HTTP/1.1 200" }, "\(statuses)")
            // The bucket's own bound: the burst plus what refilled while the loop ran (a loaded
            // machine may serve the loop slowly: the bound grows with the time it took).
            #expect(served <= 5 + Int(elapsed * 0.2) + 1, "\(statuses) in \(elapsed) s")
            let refusal = try #require(limited, "no 429 among \(statuses)")
            #expect(refusal.contains("rate_limited") && refusal.contains("0.2 requests/s"), "\(refusal)")
            let retry = refusal.split(separator: "\r\n").first { $0.lowercased().hasPrefix("retry-after:") }
                .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) }
            let seconds = try #require(retry, "\(refusal)")
            #expect((1...5).contains(seconds))
            try await Task.sleep(for: .milliseconds(seconds * 1000 + 200))
            #expect(await Self.fetch(port: port, path: "/v1/status")?.hasPrefix("HTTP/1.1 200") == true)
        }
    }

    @Test("A client holding idle connections gets no more than its cap; the idle ones are closed after the timeout; then it is served again")
    func connections() async throws {
        var limits = ClientLimits()
        limits.connectionsPerClient = 4
        limits.idleTimeoutSeconds = 2
        try await Self.withLiveNode(limits) { port in
            let held = (0..<4).map { _ in Self.idleConnection(port: port) }
            defer { for fd in held { close(fd) } }
            try await Task.sleep(for: .milliseconds(300))
            #expect(await Self.fetch(port: port) == nil, "a fifth connection is closed at once")
            // The idle timeout frees the slots the slow client held.
            try await Task.sleep(for: .milliseconds(2_800))
            #expect(await Self.fetch(port: port)?.hasPrefix("HTTP/1.1 200") == true)
        }
    }
}
