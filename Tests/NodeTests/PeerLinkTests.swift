import Consensus
import Crypto
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTesting
import HummingbirdWebSocket
import HummingbirdWSClient
import Ledger
import Logging
import Node
import NIOCore
import NIOWebSocket
import Synchronization
import Testing

/// Peer links: the WebSocket upgrade a node serves (`PeerLinkServer`) and the sender that
/// keeps links to peers up (`PeerTransport`).
@Suite("Peer links")
struct PeerLinkTests {
    /// A one-validator node served live (real sockets), with the peer link upgrade.
    static func withLiveNode(extraAccounts: [Devnet.DevAccount] = [], logs: LogCapture? = nil,
                             _ body: @Sendable (any TestClientProtocol, Int, LedgerNode) async throws -> Void) async throws {
        let logger = logs.map { capture in Logger(label: "test.peer-link") { _ in capture } } ?? Logger(label: "test.peer-link")
        let (node, dir) = try NodeAPITests.makeNode(extraAccounts: extraAccounts, logger: logger)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let app = Application(router: NodeAPI.router(node: node, registry: nil, logger: logger), server: PeerLinkServer.server(node: node, logger: logger),
                              configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: logger)
        let consensus = Task { await node.run() }
        defer { consensus.cancel() }
        try await app.test(.live) { client in try await body(client, try #require(client.port), node) }
    }

    /// Keeps the messages logged at notice or above.
    struct LogCapture: LogHandler {
        let box: Box
        final class Box: Sendable { let messages = Mutex<[String]>([]) }
        init() { box = Box() }
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .notice
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let fields = (metadata.merging(event.metadata ?? [:]) { $1 }).map { "\($0)=\($1)" }.sorted().joined(separator: " ")
            box.messages.withLock { $0.append("\(event.message) \(fields)") }
        }
        func contains(_ text: String) -> Bool { box.messages.withLock { $0.contains { $0.contains(text) } } }
    }

    /// Sends each of `messages` as one binary WebSocket message on a link; returns the close
    /// frame the node sent, if it closed the link.
    static func sendOnLink(port: Int, channel: String, _ messages: [[UInt8]], holdMs: Int = 200) async throws -> WebSocketCloseFrame? {
        try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/v1/peer/link?channel=\(channel)&from=test", logger: Logger(label: "test.ws")) { inbound, outbound, _ in
            for m in messages { try await outbound.write(.binary(ByteBuffer(bytes: m))) }
            // Wait for the node to close (a refused message) or give it time to take them.
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { for try await _ in inbound {} }
                group.addTask { try await Task.sleep(for: .milliseconds(holdMs)) }
                try await group.next()
                group.cancelAll()
            }
        }
    }

    static func json(_ client: any TestClientProtocol, _ path: String) async throws -> [String: Any] {
        let body = try await client.execute(uri: path, method: .get) { String(buffer: $0.body) }
        return try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] ?? [:]
    }

    @Test("consensus messages sent on a link reach the core: two conflicting votes by a validator get it slashed")
    func messagesReachConsensus() async throws {
        try await Self.withLiveNode(extraAccounts: [.init(id: "val-2", role: .validator, deposit: 60, balance: 0)]) { client, port, _ in
            let height = try #require((try await Self.json(client, "/v1/status")["height"] as? NSNumber)?.int64Value)
            var votes: [[UInt8]] = []
            for h in (height + 1)...(height + 3) {
                for hash in [Array(repeating: UInt8(1), count: 32), Array(repeating: UInt8(2), count: 32)] {
                    let vote = ConsensusVote(step: .prevote, height: h, round: 0, blockHash: hash, validator: "val-2")
                    votes.append(ConsensusMessage.vote(SignedVote(vote: vote, signature: Array(try DevKeys.signing("val-2").signature(for: vote.canonicalBytes)))).wireBytes)
                }
            }
            // One batch per pair, as a sender would write them.
            let batches = stride(from: 0, to: votes.count, by: 2).map { PeerFraming.frame(Array(votes[$0..<($0 + 2)])) }
            let close = try await Self.sendOnLink(port: port, channel: "messages", batches)
            #expect(close == nil, "the node closed a link that carried only well-formed messages: \(String(describing: close))")
            var deposit = 60
            for _ in 0..<200 where deposit == 60 {
                deposit = try await Self.json(client, "/v1/accounts/val-2")["deposit"] as? Int ?? -1
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(deposit == 0, "val-2 was not slashed")
        }
    }

    @Test("transactions sent on a link are admitted and committed")
    func transactionsAreAdmitted() async throws {
        try await Self.withLiveNode { client, port, _ in
            let tx = try NodeAPITests.demand(1)
            let close = try await Self.sendOnLink(port: port, channel: "transactions", [PeerFraming.frame([tx.wireBytes])])
            #expect(close == nil)
            var status = ""
            for _ in 0..<200 where status != "committed" {
                status = try await Self.json(client, "/v1/tx/\(tx.id)")["status"] as? String ?? ""
                try await Task.sleep(for: .milliseconds(25))
            }
            #expect(status == "committed")
        }
    }

    @Test("a malformed message closes the link with the reason (1003), an oversized frame with 1009; text is refused; the node stays up and keeps committing")
    func malformedClosesLink() async throws {
        let logs = LogCapture()
        try await Self.withLiveNode(logs: logs) { client, port, _ in
            let before = try #require((try await Self.json(client, "/v1/status")["height"] as? NSNumber)?.int64Value)
            // A length that overruns the message.
            let overrun = try await Self.sendOnLink(port: port, channel: "messages", [[0, 0, 0, 9, 1, 2]], holdMs: 5_000)
            #expect(overrun?.closeCode == .unacceptableData)
            #expect(overrun?.reason?.contains("overruns") == true, "reason: \(String(describing: overrun?.reason))")
            // Well framed, but not a consensus message.
            let garbage = try await Self.sendOnLink(port: port, channel: "messages", [PeerFraming.frame([[0xFF, 0x00, 0x13]])], holdMs: 5_000)
            #expect(garbage?.closeCode == .unacceptableData)
            #expect(garbage?.reason?.contains("malformed") == true, "reason: \(String(describing: garbage?.reason))")
            // One frame over the 1 MiB frame limit: closed by the WebSocket layer as too large.
            let huge = try await Self.sendOnLink(port: port, channel: "transactions", [Array(repeating: 0, count: 2 << 20)], holdMs: 5_000)
            #expect(huge?.closeCode == .messageTooLarge)
            // The refusals of malformed messages are logged with their reason (the oversized
            // frame is refused below the handler, by NIO's frame decoder, which logs nothing).
            #expect(logs.contains("peer link closed: malformed message") && logs.contains("overruns") && logs.contains("malformed consensus data"),
                    "\(logs.box.messages.withLock { $0 })")
            // Text on a binary link.
            let text = try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/v1/peer/link?channel=transactions&from=test", logger: Logger(label: "test.ws")) { inbound, outbound, _ in
                try await outbound.write(.text("hello"))
                for try await _ in inbound {}
            }
            #expect(text?.closeCode == .unacceptableData)
            // An unknown channel is not upgraded; a plain GET is told what the path is for.
            await #expect(throws: (any Error).self) {
                try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)/v1/peer/link?channel=blocks", logger: Logger(label: "test.ws")) { _, _, _ in }
            }
            let (code, reason) = try await client.execute(uri: "/v1/peer/link", method: .get) { ($0.status, String(buffer: $0.body)) }
            #expect(code == .upgradeRequired && reason.contains("WebSocket"))
            var after = before
            for _ in 0..<200 where after <= before + 2 {
                after = (try await Self.json(client, "/v1/status")["height"] as? NSNumber)?.int64Value ?? before
                try await Task.sleep(for: .milliseconds(25))
            }
            #expect(after > before + 2, "the node stopped committing")
        }
    }

    /// A stand-in peer: records every binary message its link receives.
    final class Recorder: Sendable {
        let received = Mutex<[[UInt8]]>([])
        var items: [[UInt8]] {
            received.withLock { list in list.flatMap { (try? PeerFraming.unframe($0).get()) ?? [] } }
        }

        func app(port: Int) -> Application<RouterResponder<BasicRequestContext>> {
            let server: HTTPServerBuilder = .http1WebSocketUpgrade { _, _, _ -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>> in
                .upgrade([:]) { [self] inbound, _, _ in
                    for try await message in inbound.messages(maxSize: 1 << 24) {
                        if case .binary(let buffer) = message { received.withLock { $0.append(Array(buffer: buffer)) } }
                    }
                }
            }
            return Application(router: Router(), server: server, configuration: .init(address: .hostname("127.0.0.1", port: port)),
                               logger: Logger(label: "test.peer"))
        }
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        try #require(bound == 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Polls `condition` up to 1000 times, 20 ms apart. Counted, not timed: when the whole suite
    /// runs on two cores the tasks may wait long for a thread, and a wall-clock deadline would
    /// fail a test whose code was never slow.
    static func waitFor(_ what: String, _ condition: () -> Bool) async throws {
        for _ in 0..<1_000 {
            if condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("gave up waiting for \(what)")
    }

    @Test("the sender queues while a peer is down, delivers in order once it is up, and reconnects after the peer restarts")
    func transportQueuesAndReconnects() async throws {
        let port = try Self.freePort()
        let transport = PeerTransport(selfID: "v1", peers: [.init(id: "v2", url: "http://127.0.0.1:\(port)")], logger: Logger(label: "test.transport"))
        let sender = Task { await transport.run() }
        defer { sender.cancel() }
        // Peer down: queued, not lost.
        let early = (0..<50).map { n in [UInt8(n), 0xAA] }
        for m in early { transport.send(.messages, m, to: "v2") }
        try await Task.sleep(for: .milliseconds(300))
        #expect(!transport.isConnected("v2", .messages))

        let first = Recorder()
        let firstRun = Task { try await first.app(port: port).runService() }
        try await Self.waitFor("the queued messages") { first.items.count >= early.count }
        #expect(first.items == early, "queued messages arrived out of order or incomplete")
        firstRun.cancel()
        _ = await firstRun.result
        try await Self.waitFor("the link to notice the peer is gone") { !transport.isConnected("v2", .messages) }

        // The peer restarts on the same address: the link comes back by itself.
        let second = Recorder()
        let secondRun = Task { try await second.app(port: port).runService() }
        defer { secondRun.cancel() }
        try await Self.waitFor("the link to reconnect") { transport.isConnected("v2", .messages) }
        let late = (0..<20).map { n in [UInt8(n), 0xBB] }
        for m in late { transport.broadcast(.messages, m) }
        try await Self.waitFor("messages after the restart") { second.items.count >= late.count }
        #expect(second.items == late)
        #expect(first.items == early, "the stopped peer got messages sent after it stopped")
    }
}
