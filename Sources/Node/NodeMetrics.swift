import CoreMetrics
import Metrics

/// The node's Prometheus series (through swift-metrics; `/metrics` renders them).
struct NodeMetrics: Sendable {
    let height = Gauge(label: "trustband_node_height")
    let round = Gauge(label: "trustband_node_round")
    let mempool = Gauge(label: "trustband_node_mempool_transactions")
    let committedTransactions = Counter(label: "trustband_node_committed_transactions_total")
    let blocks = Counter(label: "trustband_node_blocks_total")
    let accepted = Counter(label: "trustband_node_submitted_transactions_total", dimensions: [("result", "accepted")])
    let peerMessages = Counter(label: "trustband_node_peer_messages_total")
    let catchUpBlocks = Counter(label: "trustband_node_catch_up_blocks_total")
    let rateLimited = Counter(label: "trustband_node_rate_limited_total")
    let connectionsRefused = Counter(label: "trustband_node_connections_refused_total")
    let tlsExpiry = Gauge(label: "trustband_node_tls_certificate_expiry_seconds")

    func unauthenticated(_ what: String) { Counter(label: "trustband_node_unauthenticated_total", dimensions: [("what", what)]).increment() }

    func refused(_ reason: String) { Counter(label: "trustband_node_submitted_transactions_total", dimensions: [("result", reason)]).increment() }
    func badRequest(_ route: String) { Counter(label: "trustband_node_bad_requests_total", dimensions: [("route", route)]).increment() }
}
