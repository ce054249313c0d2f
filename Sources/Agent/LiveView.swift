import Foundation
import Synchronization

/// What the agent's web page is sent over its WebSocket: spectrum frames (only while someone
/// watches) and events (violations found, outbox changes), the last 100 events replayed to each
/// new viewer. A viewer that reads slowly loses frames, never memory: each keeps at most the
/// newest 8 messages waiting.
public final class LiveView: Sendable {
    private struct State {
        var subscribers: [Int: AsyncStream<String>.Continuation] = [:]
        var nextID = 0
        var events: [String] = []
    }

    private let state = Mutex(State())
    private let viewerCount = Atomic<Int>(0)
    /// Frames published (for tests and the status page).
    private let frameCount = Atomic<Int>(0)
    static let remembered = 100

    public init() {}

    /// Viewers connected now: producers do nothing while it is 0.
    public var viewers: Int { viewerCount.load(ordering: .relaxed) }
    public var framesPublished: Int { frameCount.load(ordering: .relaxed) }

    /// A new viewer: its id (for `unsubscribe`) and its messages, starting with the remembered events.
    public func subscribe() -> (id: Int, messages: AsyncStream<String>) {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(Self.remembered + 8))
        let id = state.withLock { s in
            let id = s.nextID
            s.nextID += 1
            for event in s.events { continuation.yield(event) }
            s.subscribers[id] = continuation
            return id
        }
        viewerCount.add(1, ordering: .relaxed)
        return (id, stream)
    }

    public func unsubscribe(_ id: Int) {
        let gone = state.withLock { $0.subscribers.removeValue(forKey: id) }
        if let gone {
            gone.finish()
            viewerCount.subtract(1, ordering: .relaxed)
        }
    }

    /// Sends a spectrum frame to every viewer (dropped for those still behind).
    public func publishFrame(_ message: String) {
        frameCount.add(1, ordering: .relaxed)
        state.withLock { s in for c in s.subscribers.values { c.yield(message) } }
    }

    /// Sends an event to every viewer and remembers it for the next ones.
    public func publishEvent(_ message: String) {
        state.withLock { s in
            s.events.append(message)
            if s.events.count > Self.remembered { s.events.removeFirst(s.events.count - Self.remembered) }
            for c in s.subscribers.values { c.yield(message) }
        }
    }
}
