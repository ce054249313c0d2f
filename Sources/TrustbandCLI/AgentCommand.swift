import Agent
import ArgumentParser
import Foundation
import TransportSecurity
import Hummingbird
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import Storage

/// `trustband agent --config FILE`: the sensing agent as a service (systemd `Type=notify`):
/// audits its source against the grants, keeps signed evidence in a durable outbox and
/// delivers it to the ledger exactly once; `/metrics` and `/healthz` on `http.listen`.
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent", abstract: "Run the sensing agent: audit, sign evidence, deliver it to the ledger (docs/agent.md).")

    @Option(help: "Agent configuration file (JSON, see deploy/agent.example.json); TRUSTBAND_AGENT_* variables override it.")
    var config: String

    @Flag(help: "Audit once, deliver until the outbox is empty (or --timeout), then exit; no HTTP, no watchdog.")
    var once = false

    @Option(help: "With --once: seconds to keep delivering before giving up (the outbox keeps what is left).")
    var timeout = 120.0

    func run() async throws {
        let configuration: AgentConfiguration
        do { configuration = try AgentConfiguration.load(path: config) } catch { throw fail(error) }
        let logger = Logger(label: "trustband.agent.\(configuration.account)")
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let tls: ReloadingTLSContext?
        do { tls = try configuration.loadTLS(logger: logger) } catch { throw fail(error) }
        let gateway = NodeLedgerGateway(nodes: configuration.nodes, tls: tls)
        do {
            try await serve(configuration, gateway: gateway, registry: registry, logger: logger)
            try await gateway.shutdown()
        } catch {
            try? await gateway.shutdown()
            throw error
        }
    }

    private func serve(_ configuration: AgentConfiguration, gateway: NodeLedgerGateway, registry: PrometheusCollectorRegistry,
                       logger: Logger) async throws {
        let runtime: AgentRuntime
        do { runtime = try AgentRuntime(configuration: configuration, gateway: gateway, logger: logger) } catch { throw fail(error) }
        if once {
            try await runOnce(runtime)
            return
        }
        let heartbeat = AgentServices.Heartbeat()
        let parts = configuration.listen.split(separator: ":")
        let app = Application(router: AgentServices.router(runtime: runtime, metricsText: {
                                  var bytes: [UInt8] = []
                                  registry.emit(into: &bytes)
                                  return String(decoding: bytes, as: UTF8.self)
                              }),
                              server: AgentServices.server(runtime: runtime),
                              configuration: .init(address: .hostname(String(parts[0]), port: Int(parts[1]) ?? 9464), serverName: "trustband-agent"),
                              services: [AgentServices.Work(runtime: runtime, heartbeat: heartbeat, logger: logger),
                                         AgentServices.Watchdog(notifier: SystemdNotifier(), heartbeat: heartbeat, runtime: runtime)],
                              logger: logger)
        try await app.runService()
    }

    private func runOnce(_ runtime: AgentRuntime) async throws {
        let added: [String]
        do { added = try await runtime.audit() } catch { throw fail(error) }
        let deadline = ContinuousClock.now + .seconds(timeout)
        while ContinuousClock.now < deadline {
            let next: EvidenceDelivery.Next
            do { next = try await runtime.deliverStep() } catch { throw fail(error) }
            switch next {
            case .idle: break
            case .again: continue
            case .waitForCommit: try await Task.sleep(for: .milliseconds(runtime.configuration.pollMs))
            case .backOff(let ns): try await Task.sleep(for: .nanoseconds(min(ns, 5_000_000_000)))
            }
            if next == .idle { break }
        }
        do { try runtime.evict() } catch { throw fail(error) }
        let entries = (try? runtime.outbox.all()) ?? []
        print("new evidence: \(added.count); outbox: \(entries.count) records")
        for e in entries {
            let fate = e.state == .delivered ? "delivered" + (e.height.map { " at height \($0), commit verified" } ?? " (already on the ledger)")
                                             : e.state.rawValue + (e.lastError.map { ": \($0)" } ?? "")
            print("  \(e.recordID.prefix(16))…  \(fate)  \(e.bundle ?? "(bundle evicted)")")
        }
        if entries.contains(where: { $0.state == .pending || $0.state == .sent }) {
            throw ExitCode(3)
        }
    }

    func fail(_ error: any Error) -> ExitCode {
        FileHandle.standardError.write(Data("trustband: error: \(error)\n".utf8))
        return ExitCode(1)
    }
}
