import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// Sends consensus messages and gossiped transactions to peers over HTTP: one queue and one
/// sending task per peer, batching what accumulated while the previous request was in
/// flight. Queues are bounded (oldest dropped first: consensus resends what matters); a peer
/// that is down costs a failed request and a short pause, never a blocked node.
public final class PeerTransport: Sendable {
    /// What a batch carries.
    public enum Channel: String, Sendable { case messages, transactions }

    final class Link: Sendable {
        let peer: NodeConfiguration.Peer
        let queue = Mutex<[(Channel, [UInt8])]>([])
        let wake: AsyncStream<Void>.Continuation
        let signals: AsyncStream<Void>
        init(peer: NodeConfiguration.Peer) {
            self.peer = peer
            (signals, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        }
    }

    let selfID: String
    let links: [String: Link]
    let client: HTTPClient
    let logger: Logger
    static let maxQueued = 20_000

    public init(selfID: String, peers: [NodeConfiguration.Peer], client: HTTPClient = .shared, logger: Logger) {
        self.selfID = selfID
        links = Dictionary(uniqueKeysWithValues: peers.filter { $0.id != selfID }.map { ($0.id, Link(peer: $0)) })
        self.client = client
        self.logger = logger
    }

    public var peers: [NodeConfiguration.Peer] { links.values.map(\.peer).sorted { $0.id < $1.id } }

    public func broadcast(_ channel: Channel, _ bytes: [UInt8]) {
        for link in links.values { enqueue(link, channel, bytes) }
    }

    public func send(_ channel: Channel, _ bytes: [UInt8], to peer: String) {
        if let link = links[peer] { enqueue(link, channel, bytes) }
    }

    private func enqueue(_ link: Link, _ channel: Channel, _ bytes: [UInt8]) {
        link.queue.withLock { q in
            q.append((channel, bytes))
            if q.count > Self.maxQueued { q.removeFirst(q.count - Self.maxQueued) }
        }
        link.wake.yield()
    }

    /// Runs the senders until cancelled.
    public func run() async {
        await withDiscardingTaskGroup { group in
            for link in links.values {
                group.addTask { await self.drive(link) }
            }
        }
    }

    private func drive(_ link: Link) async {
        for await _ in link.signals {
            while !Task.isCancelled {
                let batch = link.queue.withLock { q -> [(Channel, [UInt8])] in
                    var taken = 0, size = 0
                    while taken < q.count, taken < 2_000, size < 16 << 20 { size += q[taken].1.count; taken += 1 }
                    defer { q.removeFirst(taken) }
                    return Array(q.prefix(taken))
                }
                if batch.isEmpty { break }
                for channel in [Channel.messages, .transactions] {
                    let items = batch.filter { $0.0 == channel }.map(\.1)
                    if items.isEmpty { continue }
                    if !(await post(items, channel: channel, to: link.peer)) {
                        try? await Task.sleep(for: .milliseconds(200))
                    }
                }
            }
            if Task.isCancelled { return }
        }
    }

    private func post(_ items: [[UInt8]], channel: Channel, to peer: NodeConfiguration.Peer) async -> Bool {
        var request = HTTPClientRequest(url: peer.url + "/v1/peer/" + channel.rawValue)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        request.headers.add(name: "X-Trustband-Node", value: selfID)
        request.body = .bytes(ByteBuffer(bytes: PeerFraming.frame(items)))
        do {
            let response = try await client.execute(request, timeout: .seconds(5))
            _ = try await response.body.collect(upTo: 1 << 20)
            return response.status.code < 300
        } catch {
            logger.debug("peer send failed", metadata: ["peer": "\(peer.id)", "error": "\(error)"])
            return false
        }
    }
}

/// Length-prefixed items in one body: u32 big-endian length, bytes, repeated.
public enum PeerFraming {
    public static func frame(_ items: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(items.reduce(0) { $0 + $1.count + 4 })
        for item in items {
            withUnsafeBytes(of: UInt32(item.count).bigEndian) { out += $0 }
            out += item
        }
        return out
    }

    /// The items, or a description of what is wrong with the framing.
    public static func unframe(_ bytes: [UInt8], maxItems: Int = 100_000) -> Result<[[UInt8]], NodeError> {
        var items: [[UInt8]] = [], offset = 0
        while offset < bytes.count {
            guard bytes.count - offset >= 4 else { return .failure(.malformedBody("truncated length at byte \(offset)")) }
            let length = bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
            offset += 4
            guard length <= bytes.count - offset else { return .failure(.malformedBody("item of \(length) bytes overruns the body at \(offset)")) }
            items.append(Array(bytes[offset..<(offset + length)]))
            offset += length
            guard items.count <= maxItems else { return .failure(.malformedBody("more than \(maxItems) items")) }
        }
        return .success(items)
    }
}
