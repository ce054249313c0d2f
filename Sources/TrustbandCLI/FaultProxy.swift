import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A TCP proxy in front of one node, for one peer's links to it (the fault campaign): it can
/// cut the path (a partition: open connections are closed and new ones refused), delay every
/// byte by a fixed time (order kept), or reset the connections it carries (a link drop: what
/// was in flight is lost). It works below TLS, so the peers' mutual authentication still holds
/// end to end.
final class FaultProxy: Sendable {
    struct Settings {
        var blocked = false
        var delay = TimeAmount.zero
    }
    let settings = Mutex(Settings())
    private let open = Mutex<[ObjectIdentifier: any Channel]>([:])
    private let server: any Channel
    let port: Int

    private init(server: any Channel, port: Int) {
        self.server = server
        self.port = port
    }

    /// A proxy on loopback port `port` forwarding to `127.0.0.1:target`.
    static func start(port: Int, target: Int) async throws -> FaultProxy {
        let box = Mutex<FaultProxy?>(nil)
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard let proxy = box.withLock({ $0 }) else { throw ChannelError.ioOnClosedChannel }
                    try channel.pipeline.syncOperations.addHandler(Front(proxy: proxy, target: target))
                }
            }
            .bind(host: "127.0.0.1", port: port).get()
        let proxy = FaultProxy(server: server, port: server.localAddress?.port ?? 0)
        box.withLock { $0 = proxy }
        return proxy
    }

    /// Cuts the path (closing what is open) or restores it.
    func block(_ on: Bool) {
        settings.withLock { $0.blocked = on }
        if on { reset() }
    }

    func delay(_ amount: TimeAmount) { settings.withLock { $0.delay = amount } }

    /// Closes every connection through the proxy (peers reconnect).
    func reset() {
        for channel in open.withLock({ list in defer { list = [:] }; return Array(list.values) }) { channel.close(promise: nil) }
    }

    func stop() async {
        reset()
        try? await server.close()
    }

    fileprivate func track(_ channel: any Channel) { open.withLock { $0[ObjectIdentifier(channel)] = channel } }
    fileprivate func untrack(_ channel: any Channel) { _ = open.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) } }

    /// Forwards bytes to `peer` after the proxy's delay, in order.
    final class Forwarder {
        let proxy: FaultProxy
        var peer: (any Channel)?
        var held: [ByteBuffer] = []
        var queue: [(due: NIODeadline, bytes: ByteBuffer)] = []
        var timer: Scheduled<Void>?

        init(proxy: FaultProxy) { self.proxy = proxy }

        func forward(_ bytes: ByteBuffer, on loop: any EventLoop) {
            guard let peer else { held.append(bytes); return }
            let delay = proxy.settings.withLock { $0.delay }
            if delay == .zero, queue.isEmpty { peer.writeAndFlush(bytes, promise: nil); return }
            queue.append((.now() + delay, bytes))
            schedule(on: loop)
        }

        func connected(_ peer: any Channel, on loop: any EventLoop) {
            self.peer = peer
            let waiting = held
            held = []
            for bytes in waiting { forward(bytes, on: loop) }
        }

        private func schedule(on loop: any EventLoop) {
            guard timer == nil, let first = queue.first else { return }
            let bound = NIOLoopBound(self, eventLoop: loop)
            timer = loop.scheduleTask(deadline: first.due) { bound.value.fire(on: loop) }
        }

        private func fire(on loop: any EventLoop) {
            timer = nil
            let now = NIODeadline.now()
            while let next = queue.first, next.due <= now {
                queue.removeFirst()
                peer?.write(next.bytes, promise: nil)
            }
            peer?.flush()
            schedule(on: loop)
        }
    }

    /// One side of a proxied connection: forwards what it reads to the other side, and closes
    /// the other side when it closes.
    class Side: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let proxy: FaultProxy
        let forwarder: Forwarder

        init(proxy: FaultProxy) {
            self.proxy = proxy
            forwarder = Forwarder(proxy: proxy)
        }

        func channelActive(context: ChannelHandlerContext) { context.fireChannelActive() }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            forwarder.forward(unwrapInboundIn(data), on: context.eventLoop)
        }

        func channelInactive(context: ChannelHandlerContext) {
            proxy.untrack(context.channel)
            forwarder.peer?.close(promise: nil)
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
    }

    /// The accepted side: connects to the target and glues the two.
    final class Front: Side {
        let target: Int

        init(proxy: FaultProxy, target: Int) {
            self.target = target
            super.init(proxy: proxy)
        }

        override func channelActive(context: ChannelHandlerContext) {
            let inbound = context.channel
            guard !proxy.settings.withLock({ $0.blocked }) else { context.close(promise: nil); return }
            proxy.track(inbound)
            let proxy = self.proxy, loop = context.eventLoop
            let forwarder = NIOLoopBound(self.forwarder, eventLoop: loop)
            ClientBootstrap(group: loop)
                .channelInitializer { outbound in
                    outbound.eventLoop.makeCompletedFuture {
                        try outbound.pipeline.syncOperations.addHandler(Back(proxy: proxy, inbound: inbound))
                    }
                }
                .connect(host: "127.0.0.1", port: target)
                .whenComplete { result in
                    switch result {
                    case .success(let outbound):
                        proxy.track(outbound)
                        forwarder.value.connected(outbound, on: loop)
                        outbound.closeFuture.whenComplete { _ in inbound.close(promise: nil) }
                    case .failure:
                        inbound.close(promise: nil)
                    }
                }
            context.fireChannelActive()
        }
    }

    /// The side towards the target: forwards what it reads back to the accepted connection.
    final class Back: Side {
        init(proxy: FaultProxy, inbound: any Channel) {
            super.init(proxy: proxy)
            forwarder.peer = inbound
        }
    }
}
