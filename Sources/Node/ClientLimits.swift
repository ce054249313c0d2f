import Foundation
import Logging
import Hummingbird
import HummingbirdCore
import NIOCore
import NIOSSL
import Synchronization
import TransportSecurity

/// What one client (one IP address) may take of a node's public API (`limits` in the node's
/// configuration; docs/node.md, "Limits"). A client over its request rate gets 429 with
/// `Retry-After`; a connection beyond its cap is closed as it opens; a connection idle for
/// `idle_timeout_s` is closed. Peer routes (`/v1/peer/…`) are not rate limited: every item on
/// them is signed and checked, and their WebSocket links do not pass the router.
public struct ClientLimits: Sendable, Codable, Equatable {
    public var requestsPerSecond: Double = 1_000
    public var burst: Double = 2_000
    public var connectionsPerClient = 128
    public var idleTimeoutSeconds: Int64 = 60

    public init() {}

    enum CodingKeys: String, CodingKey {
        case requestsPerSecond = "requests_per_second", burst, connectionsPerClient = "connections_per_client", idleTimeoutSeconds = "idle_timeout_s"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        requestsPerSecond = try c.decodeIfPresent(Double.self, forKey: .requestsPerSecond) ?? requestsPerSecond
        burst = try c.decodeIfPresent(Double.self, forKey: .burst) ?? burst
        connectionsPerClient = try c.decodeIfPresent(Int.self, forKey: .connectionsPerClient) ?? connectionsPerClient
        idleTimeoutSeconds = try c.decodeIfPresent(Int64.self, forKey: .idleTimeoutSeconds) ?? idleTimeoutSeconds
    }
}

/// The request context of the node's router: Hummingbird's, plus the client's address and
/// connection (whose TLS certificate says who the client is).
public struct NodeRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
        channel = source.channel
    }

    /// What the client proved about itself in the TLS handshake.
    public func peerCertificate() async -> PeerCertificate { await PeerCertificate.of(channel) }
}

/// Token buckets per client: `rate` tokens a second up to `burst`; a request takes one.
public final class ClientRateLimiter: Sendable {
    private struct Bucket { var tokens: Double; var at: ContinuousClock.Instant }
    private let buckets = Mutex<[String: Bucket]>([:])
    let rate: Double, burst: Double

    public init(rate: Double, burst: Double) {
        self.rate = rate
        self.burst = max(1, burst)
    }

    /// nil if `client` may go on; otherwise the seconds until it may.
    public func take(_ client: String, now: ContinuousClock.Instant = .now) -> Double? {
        buckets.withLock { all in
            if all.count > 100_000 { all.removeAll(keepingCapacity: true) }  // a flood of addresses cannot grow this without bound
            var b = all[client] ?? Bucket(tokens: burst, at: now)
            b.tokens = min(burst, b.tokens + (now - b.at) / .seconds(1) * rate)
            b.at = now
            defer { all[client] = b }
            guard b.tokens >= 1 else { return (1 - b.tokens) / rate }
            b.tokens -= 1
            return nil
        }
    }
}

/// 429 with `Retry-After` for a client over its rate (peer routes excepted).
public struct RateLimitMiddleware: RouterMiddleware {
    public typealias Context = NodeRequestContext
    let limiter: ClientRateLimiter
    let onLimited: @Sendable () -> Void

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !request.uri.path.hasPrefix("/v1/peer/"), let wait = limiter.take(context.remoteAddress?.ipAddress ?? "unknown") else {
            return try await next(request, context)
        }
        onLimited()
        let seconds = max(1, Int(wait.rounded(.up)))
        let rate = limiter.rate >= 1 ? String(Int(limiter.rate)) : String(format: "%.2g", limiter.rate)
        let body = "{\"error\": \"rate limit: \(rate) requests/s per client (burst \(Int(limiter.burst))); retry after \(seconds) s\", \"code\": \"rate_limited\"}"
        return Response(status: .tooManyRequests, headers: [.contentType: "application/json", .retryAfter: String(seconds)],
                        body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

/// Counts each client's open connections and closes one beyond the cap as it opens.
public final class ConnectionLimiter: Sendable {
    private let open = Mutex<[String: Int]>([:])
    let cap: Int
    let onRefused: @Sendable () -> Void

    public init(cap: Int, onRefused: @escaping @Sendable () -> Void = {}) {
        self.cap = cap
        self.onRefused = onRefused
    }

    /// Whether a new connection from `client` is within the cap (it is then counted).
    func admit(_ client: String) -> Bool {
        open.withLock { all in
            let n = all[client, default: 0]
            guard n < cap else { return false }
            all[client] = n + 1
            return true
        }
    }

    func release(_ client: String) {
        open.withLock { all in
            let n = all[client, default: 1] - 1
            all[client] = n > 0 ? n : nil
        }
    }

    /// A handler for each new connection's pipeline.
    public func handler() -> any RemovableChannelHandler { Handler(limiter: self) }

    final class Handler: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = Any
        let limiter: ConnectionLimiter
        var counted: String?

        init(limiter: ConnectionLimiter) { self.limiter = limiter }

        var decided = false

        /// Hummingbird adds its handlers once the connection is open: admit it then (or at
        /// `channelActive`, if added before).
        func handlerAdded(context: ChannelHandlerContext) {
            if context.channel.isActive { admit(context) }
        }

        func channelActive(context: ChannelHandlerContext) {
            if !decided { admit(context) }
            context.fireChannelActive()
        }

        private func admit(_ context: ChannelHandlerContext) {
            decided = true
            let client = context.channel.remoteAddress?.ipAddress ?? "unknown"
            if limiter.admit(client) {
                counted = client
            } else {
                limiter.onRefused()
                context.close(promise: nil)
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            if let client = counted { limiter.release(client) }
            counted = nil
            context.fireChannelInactive()
        }
    }
}

/// A server child channel with the client limits in front of everything else: the connection
/// cap and a read-idle timeout apply from the first byte (Hummingbird's own idle timeout and
/// extra handlers come only after a whole request head, so a client that never finishes one —
/// slow-loris — would escape them). With `tls`, TLS comes next, with the context current when
/// the connection opens (a rotated certificate serves new connections; open ones keep theirs).
public struct LimitedChildChannel<Base: ServerChildChannel>: ServerChildChannel {
    public typealias Value = Base.Value
    let base: Base
    let connections: ConnectionLimiter
    let idleTimeout: TimeAmount?
    let tls: ReloadingTLSContext?

    public init(base: Base, connections: ConnectionLimiter, idleTimeout: TimeAmount?, tls: ReloadingTLSContext? = nil) {
        self.base = base
        self.connections = connections
        self.idleTimeout = idleTimeout
        self.tls = tls
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(connections.handler())
            if let idleTimeout {
                try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: idleTimeout))
                try channel.pipeline.syncOperations.addHandler(IdleCloser())
            }
            if let tls {
                try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls.context))
            }
        }.flatMap { base.setup(channel: channel, logger: logger) }
    }

    public func handle(value: Value, logger: Logger) async { await base.handle(value: value, logger: logger) }
}

/// Closes a connection on which nothing was read for the idle timeout.
final class IdleCloser: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = Any

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
