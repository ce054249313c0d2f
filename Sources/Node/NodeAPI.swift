import Consensus
import CoreMetrics
import Evidence
import Storage
import Foundation
import Hummingbird
import WebUI
import Ledger
import Logging
import NIOCore
import Prometheus
import Signal
import TransportSecurity

/// The node's HTTP API (`docs/openapi.yaml`): transaction submission, reads of the contract
/// state and the chain, status, Prometheus metrics, and the peer endpoints. Every request
/// body is bounded; anything malformed gets a 4xx with the reason as JSON `{"error": …}` and a
/// log line, never a crash.
public enum NodeAPI {
    public static func router(node: LedgerNode, registry: PrometheusCollectorRegistry?, logger: Logger) -> Router<NodeRequestContext> {
        let router = Router(context: NodeRequestContext.self)
        let limits = node.configuration.limits
        router.add(middleware: RateLimitMiddleware(limiter: ClientRateLimiter(rate: limits.requestsPerSecond, burst: limits.burst),
                                                   onLimited: { node.metrics.rateLimited.increment() }))
        let limit = node.configuration.maxBodyBytes
        let app = node.application
        // A peer's batch is under 16 MiB plus one last message, at most a proposal of the largest
        // block (32 MiB of transactions, PeerTransport/makeBlock); anything bigger is refused unread (413).
        let peerLimit = 64 << 20

        router.add(middleware: PeerAuthenticationMiddleware(node: node, logger: logger))

        router.post("/v1/tx") { request, context -> Response in
            let body = try await collect(request, limit: limit, logger: logger, route: "/v1/tx", node: node)
            guard let wire = SubmissionBody.wireBytes(body, json: request.headers[.contentType]?.hasPrefix("application/json") == true) else {
                return refuse(.badRequest, SubmissionBody.jsonShape, logger, node, "/v1/tx")
            }
            if let refusal = await submissionRefusal([wire], context: context, node: node).first.flatMap({ $0 }) {
                node.metrics.unauthenticated("tx")
                return refuse(.forbidden, refusal, logger, node, "/v1/tx", code: "certificate_mismatch")
            }
            do throws(AdmissionError) {
                let id = try node.submit(wire)
                return json(.accepted, .object(JSONObject([("id", .string(id)), ("status", .string("pending"))])))
            } catch {
                let status: HTTPResponse.Status
                switch error {
                case .malformed, .rejected, .nonceTooFar: status = .badRequest
                case .duplicate, .replay: status = .conflict
                case .full: status = .tooManyRequests
                }
                return refuse(status, error.description, logger, node, "/v1/tx", code: error.code)
            }
        }

        // Many transactions in one request (gateways that collect many sensors' evidence, load
        // generators): the same framing as peer gossip, one result per transaction, in order.
        router.post("/v1/txs") { request, context -> Response in
            let body = try await collect(request, limit: limit, logger: logger, route: "/v1/txs", node: node)
            let items: [[UInt8]]
            switch PeerFraming.unframe(body, maxItems: 10_000) {
            case .failure(let error): return refuse(.badRequest, "\(error.description) (a batch is 4-byte big-endian lengths, each followed by a transaction's wire bytes)", logger, node, "/v1/txs")
            case .success(let list): items = list
            }
            let refusals = await submissionRefusal(items, context: context, node: node)
            let results: [JSONValue] = zip(items, refusals).map { wire, refusal in
                if let refusal {
                    node.metrics.unauthenticated("tx")
                    return .object(JSONObject([("status", .string("refused")), ("code", .string("certificate_mismatch")), ("error", .string(refusal))]))
                }
                do throws(AdmissionError) {
                    return .object(JSONObject([("id", .string(try node.submit(wire))), ("status", .string("pending"))]))
                } catch {
                    return .object(JSONObject([("status", .string("refused")), ("code", .string(error.code)), ("error", .string(error.description))]))
                }
            }
            return json(.ok, .object(JSONObject([("results", .array(results))])))
        }

        router.get("/v1/tx/:id") { _, context -> Response in
            let id = context.parameters.get("id") ?? ""
            if let stored = try? node.store.transaction(id: id) {
                return json(.ok, .object(JSONObject([("id", .string(id)), ("status", .string("committed")), ("height", .integer(stored.height)),
                                                     ("position", .integer(Int64(stored.position))), ("type", .string(stored.kind)),
                                                     ("signer", .string(stored.signer)), ("events", .array(stored.events.map { .string($0) }))])))
            }
            if app.isPending(id) { return json(.ok, .object(JSONObject([("id", .string(id)), ("status", .string("pending"))]))) }
            if let rejection = app.rejection(of: id) {
                return json(.ok, .object(JSONObject([("id", .string(id)), ("status", .string("rejected")), ("code", .string(rejection.code)),
                                                     ("reason", .string(rejection.reason))])))
            }
            return json(.notFound, .object(JSONObject([("id", .string(id)), ("status", .string("unknown"))])))
        }

        router.get("/v1/status") { _, _ -> Response in
            let s = await node.status()
            return json(.ok, .object(JSONObject([
                ("id", .string(s.id)), ("height", .integer(s.height)), ("round", .integer(s.round)),
                ("last_block_hash", .string(hex(s.lastBlockHash))), ("state_hash", .string(s.stateHash)),
                ("validators", .array(s.validators.members.map { .object(JSONObject([("id", .string($0.id)), ("power", .integer($0.power))])) })),
                ("mempool", .integer(Int64(s.mempool))), ("peers", .array(s.peers.map { .string($0) })), ("uptime_s", .number(s.uptimeSeconds)),
                ("time_ns", .integer(app.clock())),
            ])))
        }

        // Reads of the contract state: sections of its JSON form.
        for (path, key) in [("/v1/state", ""), ("/v1/accounts", "accounts"), ("/v1/offers", "offers"), ("/v1/grants", "grants"),
                            ("/v1/cases", "cases"), ("/v1/rounds", "rounds"), ("/v1/validators", "validators"), ("/v1/supply", "supply"),
                            ("/v1/tokens", "tokens"), ("/v1/bids", "bids"), ("/v1/trades", "trades")] {
            router.get(RouterPath(path)) { _, _ -> Response in
                let state = app.read(\.jsonValue)
                guard !key.isEmpty else { return json(.ok, state) }
                guard case .object(let o) = state, let section = o[key] else { return json(.ok, .null) }
                return json(.ok, .object(JSONObject([("height", o["height"] ?? .null), (key, section)])))
            }
        }
        for (path, key, projection) in [("/v1/trust", "trust", ["trust_milli", "trust", "validator"]), ("/v1/deposits", "deposits", ["deposit", "locked", "registration_deposit"])] {
            router.get(RouterPath(path)) { _, _ -> Response in
                guard case .object(let o) = app.read(\.jsonValue), case .array(let accounts)? = o["accounts"] else { return json(.ok, .null) }
                let rows: [JSONValue] = accounts.compactMap { a in
                    guard case .object(let account) = a else { return nil }
                    return .object(JSONObject([("id", account["id"] ?? .null)] + projection.map { ($0, account[$0] ?? .null) }))
                }
                return json(.ok, .object(JSONObject([("height", o["height"] ?? .null), (key, .array(rows))])))
            }
        }
        for (path, key) in [("/v1/accounts/:id", "accounts"), ("/v1/cases/:id", "cases"), ("/v1/grants/:id", "grants"), ("/v1/offers/:id", "offers"),
                            ("/v1/tokens/:id", "tokens")] {
            router.get(RouterPath(path)) { _, context -> Response in
                let id = context.parameters.get("id") ?? ""
                guard case .object(let o) = app.read(\.jsonValue), case .array(let items)? = o[key],
                      let item = items.first(where: { if case .object(let x) = $0 { return x["id"] == .string(id) } else { return false } }) else {
                    return json(.notFound, .object(JSONObject([("error", .string("no \(key.dropLast()) \(id)"))])))
                }
                return json(.ok, item)
            }
        }

        router.get("/v1/blocks/:height") { _, context -> Response in
            guard let height = context.parameters.get("height", as: Int64.self), let commit = try? node.store.commit(at: height) else {
                return json(.notFound, .object(JSONObject([("error", .string("no such block"))])))
            }
            return json(.ok, blockJSON(commit, stored: (try? node.store.block(at: height)) ?? nil))
        }
        router.get("/v1/blocks/:height/commit") { _, context -> Response in
            guard let height = context.parameters.get("height", as: Int64.self), let wire = try? node.store.commitWire(at: height) else {
                return json(.notFound, .object(JSONObject([("error", .string("no such block"))])))
            }
            return Response(status: .ok, headers: [.contentType: "application/octet-stream"], body: .init(byteBuffer: ByteBuffer(bytes: wire)))
        }

        router.get("/v1/validators/:height") { _, context -> Response in
            guard let height = context.parameters.get("height", as: Int64.self), let set = try? node.store.validators(at: height) else {
                return json(.notFound, .object(JSONObject([("error", .string("no validator set recorded for that height"))])))
            }
            return json(.ok, validatorSetJSON(set, height: height))
        }

        router.post("/v1/peer/messages") { request, _ -> Response in
            let body = try await collect(request, limit: peerLimit, logger: logger, route: "/v1/peer/messages", node: node)
            switch PeerFraming.unframe(body) {
            case .failure(let error): return refuse(.badRequest, error.description, logger, node, "/v1/peer/messages")
            case .success(let items):
                let result = await node.receive(items)
                if !result.malformed.isEmpty { return refuse(.badRequest, result.malformed[0], logger, node, "/v1/peer/messages") }
                return Response(status: .noContent)
            }
        }
        router.post("/v1/peer/transactions") { request, _ -> Response in
            let body = try await collect(request, limit: peerLimit, logger: logger, route: "/v1/peer/transactions", node: node)
            switch PeerFraming.unframe(body) {
            case .failure(let error): return refuse(.badRequest, error.description, logger, node, "/v1/peer/transactions")
            case .success(let items):
                _ = node.gossiped(items)
                return Response(status: .noContent)
            }
        }

        // Peers link with a WebSocket upgrade of this path (PeerLinkServer); a request that reaches
        // the router here is not one.
        router.get("/v1/peer/link") { _, _ -> Response in
            refuse(.upgradeRequired, "a peer link is a WebSocket upgrade of /v1/peer/link?channel=messages|transactions&from=ID", logger, node, "/v1/peer/link")
        }

        router.get("/metrics") { _, _ -> Response in
            var text: [UInt8] = []
            registry?.emit(into: &text)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(bytes: text)))
        }
        // The explorer: a read-only page over the routes above.
        WebPage.addCommonAssets(to: router)
        router.get("/ui") { _, _ in WebPage.response(ExplorerPage.html, contentType: "text/html; charset=utf-8") }
        router.get("/ui/explorer.js") { _, _ in WebPage.response(ExplorerPage.js, contentType: "text/javascript; charset=utf-8") }
        router.get("/healthz") { _, _ -> Response in json(.ok, .object(JSONObject([("ok", .bool(true))]))) }
        return router
    }

    static func collect(_ request: Request, limit: Int, logger: Logger, route: String, node: LedgerNode) async throws -> [UInt8] {
        do {
            return Array(buffer: try await request.body.collect(upTo: limit))
        } catch {
            node.metrics.badRequest(route)
            logger.notice("request refused", metadata: ["route": "\(route)", "reason": "body larger than \(limit) bytes"])
            throw HTTPError(.contentTooLarge, message: "body larger than \(limit) bytes")
        }
    }

    /// For each transaction, why the client's certificate may not post it (nil: it may; always
    /// nil without TLS or without a client certificate). Undecodable ones pass, to be refused
    /// with the decoder's reason.
    static func submissionRefusal(_ wires: [[UInt8]], context: NodeRequestContext, node: LedgerNode) async -> [String?] {
        guard node.tls != nil else { return wires.map { _ in nil } }
        let peer = await context.peerCertificate()
        guard case .identified = peer else { return wires.map { _ in nil } }
        return wires.map { wire in
            guard let signer = try? SignedTransaction(wire: wire).transaction.signer else { return nil }
            return node.submissionRefusal(signer: signer, peer: peer)
        }
    }

    static func refuse(_ status: HTTPResponse.Status, _ reason: String, _ logger: Logger, _ node: LedgerNode, _ route: String,
                       code: String? = nil) -> Response {
        node.metrics.badRequest(route)
        logger.notice("request refused", metadata: ["route": "\(route)", "status": "\(status.code)", "reason": "\(reason)"])
        var fields: [(String, JSONValue)] = [("error", .string(reason))]
        if let code { fields.append(("code", .string(code))) }
        return json(status, .object(JSONObject(fields)))
    }

    static func json(_ status: HTTPResponse.Status, _ value: JSONValue) -> Response {
        let text = (try? JSONWriter.write(value, indent: 0)) ?? "{}"
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func blockJSON(_ c: Commit, stored: StoredBlock?) -> JSONValue {
        let txs: [JSONValue] = c.block.transactions.map { wire in
            guard let signed = try? SignedTransaction(wire: wire) else { return .null }
            return .object(JSONObject([("id", .string(signed.id)), ("type", .string(signed.transaction.kind)), ("signer", .string(signed.transaction.signer)),
                                       ("nonce", .integer(Int64(signed.transaction.nonce)))]))
        }
        return .object(JSONObject([
            ("height", .integer(c.block.height)), ("hash", .string(hex(c.block.hash))), ("previous_hash", .string(hex(c.block.previousHash))),
            ("proposer", .string(c.block.proposer)), ("time_ns", .integer(c.block.timeNs)), ("round", .integer(c.round)),
            ("validators_hash", .string(hex(c.block.validatorsHash))), ("state_hash", stored.map { .string($0.stateHash) } ?? .null),
            ("transactions", .array(txs)), ("end_events", .array((stored?.endEvents ?? []).map { .string($0) })),
            ("precommits", .array(c.precommits.map { .object(JSONObject([("validator", .string($0.vote.validator)), ("signature", .string(hex($0.signature)))])) })),
        ]))
    }

    /// A validator set as `/v1/validators/{height}` serves it; `hash` is what blocks name.
    static func validatorSetJSON(_ set: ValidatorSet, height: Int64) -> JSONValue {
        .object(JSONObject([
            ("height", .integer(height)), ("hash", .string(hex(set.hash))),
            ("validators", .array(set.members.map { .object(JSONObject([("id", .string($0.id)), ("power", .integer($0.power)), ("key", .string(hex($0.key)))])) })),
        ]))
    }
}

/// With TLS, the peer routes (`/v1/peer/…`) answer only registered validators' certificates (403 otherwise).
struct PeerAuthenticationMiddleware: RouterMiddleware {
    typealias Context = NodeRequestContext
    let node: LedgerNode
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard node.tls != nil, request.uri.path.hasPrefix("/v1/peer/"), request.uri.path != "/v1/peer/link",
              let refusal = node.peerRefusal(await context.peerCertificate(), claiming: nil) else {
            return try await next(request, context)
        }
        node.metrics.unauthenticated("peer_route")
        return NodeAPI.refuse(.forbidden, refusal, logger, node, request.uri.path, code: "peer_not_authenticated")
    }
}
