import Consensus
import Foundation
import HummingbirdWSClient
import Logging
import NIOCore
import NIOSSL
import NIOWebSocket
import Synchronization
import TransportSecurity

/// Sends consensus messages and gossiped transactions to peers over long-lived WebSocket links
/// (`/v1/peer/link`, `PeerLinkServer`): per peer, one link for consensus messages and one for
/// transactions, so that a vote never waits behind a batch of transactions being checked.
/// Each link has a bounded queue (oldest dropped first: consensus resends what matters; a
/// gossiped transaction stays in this node's mempool) and one writer that sends, as one binary
/// message, what accumulated while the previous one was written. A link reconnects by itself;
/// what is queued while a peer is down waits for it, and a peer that is down never blocks the
/// node.
///
/// A link carries only signed data: consensus messages are signed by validator keys and
/// transactions by their signers, and the receiver checks every item. With TLS (`https` peer
/// URLs) the link is also mutually authenticated: this node presents its validator
/// certificate, and the peer's must chain to the consortium CA and match its host.
public final class PeerTransport: Sendable {
    /// What a link carries.
    public enum Channel: String, Sendable, CaseIterable { case messages, transactions }

    final class Link: Sendable {
        let peer: NodeConfiguration.Peer
        let channel: Channel
        let queue = Mutex<[[UInt8]]>([])
        /// The open connection's writer, if the link is up.
        let connection = Mutex<WebSocketOutboundWriter?>(nil)
        let wake: AsyncStream<Void>.Continuation
        let signals: AsyncStream<Void>
        init(peer: NodeConfiguration.Peer, channel: Channel) {
            self.peer = peer
            self.channel = channel
            (signals, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        }
    }

    let selfID: String
    let links: [Channel: [String: Link]]
    let logger: Logger
    /// This node's client TLS configuration, read afresh for each connection (a rotated certificate is used from the next one).
    let tls: (@Sendable () -> TLSConfiguration)?
    /// Duplication and reordering this node commits on its links (the fault campaign only).
    let faults: NodeFaults
    static let maxQueued = 20_000
    /// Items and bytes in one message (a proposal of the largest block still goes alone).
    static let maxBatchItems = 2_000
    static let maxBatchBytes = 16 << 20
    /// WebSocket frame size both ends use; larger messages are split and reassembled.
    public static let frameSize = 1 << 20
    /// The largest message a node takes from a link: a 16 MiB batch plus one largest proposal.
    public static let maxMessageBytes = 64 << 20

    public init(selfID: String, peers: [NodeConfiguration.Peer], logger: Logger, tls: (@Sendable () -> TLSConfiguration)? = nil,
                faults: NodeFaults = NodeFaults()) {
        self.tls = tls
        self.faults = faults
        self.selfID = selfID
        let others = peers.filter { $0.id != selfID }
        var links: [Channel: [String: Link]] = [:]
        for channel in Channel.allCases {
            links[channel] = Dictionary(uniqueKeysWithValues: others.map { ($0.id, Link(peer: $0, channel: channel)) })
        }
        self.links = links
        self.logger = logger
    }

    public var peers: [NodeConfiguration.Peer] { (links[.messages] ?? [:]).values.map(\.peer).sorted { $0.id < $1.id } }

    /// Whether the link to `peer` for `channel` is connected (for status and tests).
    public func isConnected(_ peer: String, _ channel: Channel) -> Bool {
        links[channel]?[peer]?.connection.withLock { $0 != nil } ?? false
    }

    public func broadcast(_ channel: Channel, _ bytes: [UInt8]) {
        for link in (links[channel] ?? [:]).values { enqueue(link, bytes) }
    }

    public func send(_ channel: Channel, _ bytes: [UInt8], to peer: String) {
        if let link = links[channel]?[peer] { enqueue(link, bytes) }
    }

    private func enqueue(_ link: Link, _ bytes: [UInt8]) {
        link.queue.withLock { q in
            q.append(bytes)
            if q.count > Self.maxQueued { q.removeFirst(q.count - Self.maxQueued) }
        }
        link.wake.yield()
    }

    /// Runs every link's connection and writer until cancelled.
    public func run() async {
        await withDiscardingTaskGroup { group in
            for link in links.values.flatMap(\.values) {
                group.addTask { await self.connect(link) }
                group.addTask { await self.write(link) }
            }
        }
    }

    /// The peer's link URL: its HTTP address with the `ws` scheme.
    static func linkURL(_ peer: NodeConfiguration.Peer, channel: Channel, from selfID: String) -> String {
        var base = peer.url
        if base.hasPrefix("https://") { base = "wss://" + base.dropFirst(8) } else if base.hasPrefix("http://") { base = "ws://" + base.dropFirst(7) }
        while base.hasSuffix("/") { base.removeLast() }
        return base + "/v1/peer/link?channel=\(channel.rawValue)&from=\(selfID)"
    }

    /// Keeps the link connected: connects, holds the connection until the peer closes it or it
    /// fails, and connects again (after 200 ms, backing off to 2 s while the peer stays down).
    private func connect(_ link: Link) async {
        let url = Self.linkURL(link.peer, channel: link.channel, from: selfID)
        var pause = Duration.milliseconds(200)
        var configuration = WebSocketClientConfiguration(maxFrameSize: Self.frameSize)
        configuration.autoPing = .enabled(timePeriod: .seconds(10))
        configuration.closeTimeout = .seconds(2)
        // Over TLS the peer must prove it is the validator this link is for, whatever address
        // it was reached by (its certificate carries this name).
        configuration.sniHostname = TransportIdentity(role: .validator, account: link.peer.id).hostName
        while !Task.isCancelled {
            let connected = Mutex(false)
            do {
                let tlsConfiguration = url.hasPrefix("wss://") ? tls?() : nil
                try await WebSocketClient.connect(url: url, configuration: configuration, tlsConfiguration: tlsConfiguration, logger: logger) { inbound, outbound, _ in
                    connected.withLock { $0 = true }
                    link.connection.withLock { $0 = outbound }
                    link.wake.yield()
                    defer { link.connection.withLock { $0 = nil } }
                    // Nothing comes back on a link but control frames; this ends when it closes,
                    // or when the transport is cancelled (the node stopping) and closes it.
                    try await withTaskCancellationHandler {
                        for try await _ in inbound {}
                    } onCancel: {
                        Task { try? await outbound.close(.goingAway, reason: "node stopping") }
                    }
                }
            } catch {
                logger.debug("peer link failed", metadata: ["peer": "\(link.peer.id)", "channel": "\(link.channel.rawValue)", "error": "\(error)"])
            }
            link.connection.withLock { $0 = nil }
            pause = connected.withLock({ $0 }) ? .milliseconds(200) : min(pause * 2, .seconds(2))
            try? await Task.sleep(for: pause)
        }
    }

    /// Sends what is queued whenever the link is up.
    private func write(_ link: Link) async {
        // A message held back by the reorder fault, sent after the next one.
        var held: ByteBuffer?
        for await _ in link.signals {
            while !Task.isCancelled, let outbound = link.connection.withLock({ $0 }) {
                let batch = link.queue.withLock { q -> [[UInt8]] in
                    var taken = 0, size = 0
                    while taken < q.count, taken < Self.maxBatchItems, size < Self.maxBatchBytes { size += q[taken].count; taken += 1 }
                    defer { q.removeFirst(taken) }
                    return Array(q.prefix(taken))
                }
                if batch.isEmpty {
                    if let message = held { held = nil; try? await outbound.writeBinaryMessage(message) }
                    break
                }
                let message = ByteBuffer(bytes: PeerFraming.frame(batch))
                if held == nil, faults.reorder > 0, Double.random(in: 0..<1) < faults.reorder {
                    held = message
                    continue
                }
                do {
                    try await outbound.writeBinaryMessage(message)
                    if faults.duplicate > 0, Double.random(in: 0..<1) < faults.duplicate { try await outbound.writeBinaryMessage(message) }
                    if let late = held { held = nil; try await outbound.writeBinaryMessage(late) }
                } catch {
                    // The connection broke under this batch: it is lost (consensus resends;
                    // gossiped transactions are still in this node's mempool).
                    logger.debug("peer link write failed", metadata: ["peer": "\(link.peer.id)", "error": "\(error)"])
                    break
                }
            }
            if Task.isCancelled { return }
        }
    }
}
