import Enforcement
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import NIOCore
import Signal
import Storage
import WebUI

/// The agent's live web view (`http.ui: true`), read-only, on the same port as `/metrics`:
/// `/` the page, `/api/status` source, device and grants, `/api/outbox` the evidence outbox,
/// `/evidence/BUNDLE/evidence.svg` a bundle's picture, `/ws` frames and events.
extension AgentServices {
    static func addWebUI(to router: Router<BasicRequestContext>, runtime: AgentRuntime) {
        WebPage.addCommonAssets(to: router)
        router.get("/") { _, _ in WebPage.response(AgentPage.html, contentType: "text/html; charset=utf-8") }
        router.get("/ui/agent.js") { _, _ in WebPage.response(AgentPage.js, contentType: "text/javascript; charset=utf-8") }
        router.get("/api/status") { _, _ -> Response in json(statusJSON(runtime)) }
        router.get("/api/outbox") { _, _ -> Response in
            let entries = ((try? runtime.outbox.all()) ?? []).suffix(200).reversed().map { e -> JSONValue in
                .object(JSONObject([("record", .string(e.recordID)), ("state", .string(e.state.rawValue)), ("height", e.height.map { .integer($0) } ?? .null),
                                    ("error", e.lastError.map { .string($0) } ?? .null), ("bundle", e.bundle.map { .string(bundleName($0)) } ?? .null),
                                    ("enqueued_ms", .integer(e.enqueuedNs / 1_000_000))]))
            }
            return json(.object(JSONObject([("entries", .array(Array(entries)))])))
        }
        router.get("/evidence/:bundle/evidence.svg") { _, context -> Response in
            // Only a bundle directory's own name: no path, nothing outside the evidence directory.
            guard let name = context.parameters.get("bundle"), !name.isEmpty, name.count <= 128,
                  name.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0) }), !name.hasPrefix("."),
                  let data = FileManager.default.contents(atPath: runtime.configuration.evidenceDir + "/" + name + "/evidence.svg") else {
                return Response(status: .notFound)
            }
            return Response(status: .ok, headers: [.contentType: "image/svg+xml", .init("Content-Security-Policy")!: "default-src 'none'; style-src 'unsafe-inline'; img-src data:"],
                            body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
    }

    /// A bundle path as the outbox stores it → the directory's name.
    static func bundleName(_ path: String) -> String { URL(fileURLWithPath: path).lastPathComponent }

    static func json(_ value: JSONValue) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(string: (try? JSONWriter.write(value, indent: 0)) ?? "{}")))
    }

    static func statusJSON(_ runtime: AgentRuntime) -> JSONValue {
        let s = runtime.viewStatus(), c = runtime.configuration
        // The limit in the view's units (dBFS per bin of its 1024-point spectra), if a calibration says how.
        func limitDBFS(_ dbmPerMHz: Double) -> JSONValue {
            guard let offset = s.calibrationOffsetDB, let rate = s.sampleRate else { return .null }
            return .number(dbmPerMHz + 10 * log10(rate / Double(SpectrumMonitor.fftSize) / 1e6) - offset)
        }
        let grants: [JSONValue] = s.grants.map { g in
            .object(JSONObject([("id", .string(g.id)), ("holder", .string(g.holder)), ("freq_low_hz", .number(g.frequencyLow)), ("freq_high_hz", .number(g.frequencyHigh)),
                                ("max_psd_dbm_per_mhz", .number(g.maxPsdDbmPerMhz)), ("oob_max_psd_dbm_per_mhz", .number(g.outOfBandMaxPsdDbmPerMhz)),
                                ("limit_dbfs_per_bin", limitDBFS(g.maxPsdDbmPerMhz)), ("windows", .array(g.windows.map { .string("\($0.start.rfc3339) … \($0.end.rfc3339)") }))]))
        }
        return .object(JSONObject([
            ("source", .string(c.sourceDescription)), ("viewers", .integer(Int64(runtime.liveView.viewers))),
            ("frames", .integer(Int64(runtime.liveView.framesPublished))),
            ("device", .object(JSONObject([("connected", .bool(s.deviceConnected ?? (c.device == nil))), ("live", .bool(c.device != nil)),
                                           ("overflows", .integer(s.overflows)), ("reconnects", .integer(s.reconnects)), ("segments", .integer(s.segments))]))),
            ("grants", .array(grants)),
        ]))
    }

    /// The HTTP server: with the web view on, `/ws` upgrades to a WebSocket that streams the
    /// view's messages until the viewer goes.
    public static func server(runtime: AgentRuntime) -> HTTPServerBuilder {
        guard runtime.configuration.ui else { return .http1() }
        let view = runtime.liveView
        return .http1WebSocketUpgrade(configuration: .init(ws: WebSocketServerConfiguration(maxFrameSize: 1 << 16, autoPing: .enabled(timePeriod: .seconds(15))))) {
            request, _, _ -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>> in
            guard request.path == "/ws" else { return .dontUpgrade }
            return .upgrade([:]) { inbound, outbound, _ in
                let (id, messages) = view.subscribe()
                defer { view.unsubscribe(id) }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for try await _ in inbound {}  // the viewer sends nothing; this ends when it goes
                    }
                    group.addTask {
                        for await message in messages { try await outbound.write(.text(message)) }
                    }
                    _ = try await group.next()
                    group.cancelAll()
                }
            }
        }
    }
}
