import Consensus
import CoreMetrics
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import ServiceLifecycle
import TransportSecurity

/// The receiving end of peer links: the node's HTTP/1.1 server, where a WebSocket upgrade of
/// `/v1/peer/link?channel=messages|transactions&from=ID` opens a link (`PeerTransport` is the
/// sending end) and every other request goes to the router.
///
/// Each binary message is a batch in `PeerFraming`. Consensus messages are handed to the core
/// in order; transactions are admitted as gossip (checked, not forwarded again). A message that
/// is not a well-framed batch of well-formed items closes the link with the reason, logged and
/// counted; what the link delivered before it stays delivered. Every item is signed and checked
/// on its own; with TLS, the link opens only for a certificate naming the registered validator
/// `from` claims to be (`LedgerNode.peerRefusal`).
public enum PeerLinkServer {
    /// The HTTP server builder for `Application(router:server:…)`.
    public static func server(node: LedgerNode, logger: Logger) -> HTTPServerBuilder {
        let ws = WebSocketServerConfiguration(maxFrameSize: PeerTransport.frameSize, autoPing: .enabled(timePeriod: .seconds(10)), closeTimeout: .seconds(2))
        let limits = node.configuration.limits
        let connections = ConnectionLimiter(cap: limits.connectionsPerClient, onRefused: { node.metrics.connectionsRefused.increment() })
        let idle: TimeAmount? = limits.idleTimeoutSeconds > 0 ? .seconds(limits.idleTimeoutSeconds) : nil
        return HTTPServerBuilder { responder in
            LimitedChildChannel(base: HTTP1WebSocketUpgradeChannel(responder: responder, configuration: .init(ws: ws), shouldUpgrade: upgrade(node: node, logger: logger)),
                                connections: connections, idleTimeout: idle, tls: node.tls)
        }
    }

    /// Which upgrade requests open a peer link.
    static func upgrade(node: LedgerNode, logger: Logger) -> @Sendable (HTTPRequest, any Channel, Logger) async throws -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>> {
        { request, channel, _ -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>> in
            guard let target = LinkTarget(path: request.path ?? "") else { return .dontUpgrade }
            if let refusal = node.peerRefusal(await PeerCertificate.of(channel), claiming: target.from) {
                // Hummingbird answers a refused upgrade 400 and closes the connection.
                node.metrics.unauthenticated("peer_link")
                logger.notice("peer link refused", metadata: ["from": "\(target.from)", "remote": "\(channel.remoteAddress?.description ?? "?")", "reason": "\(refusal)"])
                return .dontUpgrade
            }
            let linkLogger = logger.with(["peer": "\(target.from)", "channel": "\(target.channel.rawValue)"])
            return .upgrade([:]) { inbound, outbound, _ in
                // A link lasts as long as its peer runs: when this node stops, it closes its end
                // (the server's graceful shutdown waits for every connection to finish).
                try await withGracefulShutdownHandler {
                    try await serve(target.channel, inbound: inbound, outbound: outbound, node: node, logger: linkLogger)
                } onGracefulShutdown: {
                    Task { try? await outbound.close(.goingAway, reason: "node stopping") }
                }
            }
        }
    }

    /// What an upgrade request asks for.
    struct LinkTarget {
        var channel: PeerTransport.Channel
        var from: String

        /// nil unless the path is `/v1/peer/link` with a known `channel` (the upgrade is refused
        /// otherwise and the request is answered as plain HTTP).
        init?(path: String) {
            guard let components = URLComponents(string: path), components.path == "/v1/peer/link" else { return nil }
            let query = components.queryItems ?? []
            guard let name = query.first(where: { $0.name == "channel" })?.value, let channel = PeerTransport.Channel(rawValue: name) else { return nil }
            self.channel = channel
            from = query.first(where: { $0.name == "from" })?.value ?? "unknown"
        }
    }

    static func serve(_ channel: PeerTransport.Channel, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter,
                      node: LedgerNode, logger: Logger) async throws {
        logger.debug("peer link open")
        for try await message in inbound.messages(maxSize: PeerTransport.maxMessageBytes) {
            guard case .binary(let buffer) = message else {
                return try await refuse("text message on a binary link", outbound: outbound, node: node, logger: logger)
            }
            let items: [[UInt8]]
            switch PeerFraming.unframe(Array(buffer: buffer)) {
            case .failure(let error): return try await refuse(error.description, outbound: outbound, node: node, logger: logger)
            case .success(let list): items = list
            }
            switch channel {
            case .messages:
                let result = await node.receive(items)
                if let first = result.malformed.first { return try await refuse(first, outbound: outbound, node: node, logger: logger) }
            case .transactions:
                _ = node.gossiped(items)
            }
        }
        logger.debug("peer link closed")
    }

    static func refuse(_ reason: String, outbound: WebSocketOutboundWriter, node: LedgerNode, logger: Logger) async throws {
        node.metrics.badRequest("/v1/peer/link")
        logger.notice("peer link closed: malformed message", metadata: ["reason": "\(reason)"])
        try await outbound.close(.unacceptableData, reason: String(reason.prefix(120)))
    }
}

extension Logger {
    func with(_ metadata: Logger.Metadata) -> Logger {
        var copy = self
        for (key, value) in metadata { copy[metadataKey: key] = value }
        return copy
    }
}
