import Foundation
import NIOCore
import NIOPosix

/// How a `trustband node` process runs its tasks: on SwiftNIO's event loops, which serve its
/// HTTP and peer links, instead of Swift Concurrency's own thread pool. A node's work is short
/// handlers and its consensus actor, each between two network events; running them where the
/// I/O happens removes a thread hop each way (`bench ledger`, 4 nodes on 2 cores, offered
/// 2500 tx/s: 2070–2300 tx/s committed on the default pool, 2240–2500 on the loops; docs/node.md).
public enum NodeProcess {
    /// Event loop threads: `TRUSTBAND_NODE_THREADS`, else one per core. `devnet` and `bench`
    /// give each of their nodes an equal share of the machine's cores.
    public static let threadsVariable = "TRUSTBAND_NODE_THREADS"

    /// Whether these arguments start a node (the only command that runs this way).
    public static func isNode(_ arguments: [String]) -> Bool { arguments.dropFirst().first == "node" }

    /// Sets the event loop count and makes the loops the global executor. Call first thing in
    /// `main`, before any task starts; throws (naming the variable) on a bad thread count.
    public static func prepare(environment: [String: String] = ProcessInfo.processInfo.environment) throws(NodeProcess.BadThreads) {
        if let n = try threads(environment) { NIOSingletons.groupLoopCountSuggestion = n }
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }

    /// The thread count `environment` asks for (nil: not set).
    static func threads(_ environment: [String: String]) throws(NodeProcess.BadThreads) -> Int? {
        guard let text = environment[threadsVariable] else { return nil }
        guard let n = Int(text), (1...256).contains(n) else {
            throw BadThreads(description: "\(threadsVariable)=\(text): must be a whole number of threads, 1–256")
        }
        return n
    }

    /// A thread count that is not one.
    public struct BadThreads: Error, CustomStringConvertible {
        public let description: String
    }

    /// Each of `nodes` processes' share of this machine's cores (at least one thread).
    static func threadsPerNode(_ nodes: Int) -> Int { max(1, ProcessInfo.processInfo.activeProcessorCount / max(1, nodes)) }
}
