import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Metrics
import Node
import Prometheus
import ServiceLifecycle

/// `trustband node --config FILE`: one validator node (HTTP API, peers, consensus, store);
/// SIGTERM or SIGINT stops it cleanly.
struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "node", abstract: "Run a ledger validator node.")

    @Option(help: "Node configuration file (JSON); TRUSTBAND_NODE_* variables override it.")
    var config: String

    func run() async throws {
        let configuration: NodeConfiguration
        do { configuration = try NodeConfiguration.load(path: config) } catch { throw fail(error) }
        let logger = Logger(label: "trustband.node.\(configuration.id)")
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let node: LedgerNode
        let faults = NodeFaults.from(environment: ProcessInfo.processInfo.environment)
        if faults.any { logger.warning("fault injection on (TRUSTBAND_FAULT_*): this node misbehaves on purpose") }
        do { node = try LedgerNode(configuration: configuration, logger: logger, clock: faults.clock(), faults: faults) } catch { throw fail(error) }
        try await NodeServer.run(node: node, registry: registry, logger: logger)
    }

    func fail(_ error: any Error) -> ExitCode {
        FileHandle.standardError.write(Data("trustband: error: \(error)\n".utf8))
        return ExitCode(1)
    }
}

/// Serves a node: the HTTP application and the consensus service in one service group.
enum NodeServer {
    struct ConsensusService: Service {
        let node: LedgerNode
        func run() async throws {
            await cancelWhenGracefulShutdown { await node.run() }
        }
    }

    /// A node started by `devnet`, `bench` or `demo` stops when its parent is gone (so that a
    /// killed supervisor leaves no nodes behind): it ends the service group like SIGTERM would.
    struct ParentWatch: Service {
        let parent: Int32
        func run() async throws {
            // A service must end on graceful shutdown (SIGTERM, Ctrl-C), or the group waits for it.
            try await cancelWhenGracefulShutdown {
                while !Task.isCancelled, getppid() == parent {
                    try? await Task.sleep(for: .seconds(1))
                }
                if !Task.isCancelled { throw ParentGone() }
            }
        }
        struct ParentGone: Error, CustomStringConvertible { var description: String { "the devnet supervisor is gone; stopping" } }
    }

    static func run(node: LedgerNode, registry: PrometheusCollectorRegistry?, logger: Logger) async throws {
        let address = node.configuration.address
        let parentWatch: [any Service] = ProcessInfo.processInfo.environment["TRUSTBAND_DEVNET_PARENT"].flatMap { Int32($0) }.map { [ParentWatch(parent: $0)] } ?? []
        let app = Application(router: NodeAPI.router(node: node, registry: registry, logger: logger), server: PeerLinkServer.server(node: node, logger: logger),
                              configuration: .init(address: .hostname(address.host, port: address.port), serverName: "trustband-node"),
                              services: [ConsensusService(node: node)] + parentWatch, logger: logger)
        try await app.runService()
    }
}
