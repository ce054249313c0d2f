import Hummingbird

/// The operators' web pages (the agent's live view, the node's explorer): static assets that
/// ship inside the binary, served read-only. Every page builds its DOM with `textContent`, never
/// with HTML strings, so ledger- and radio-provided text (areas, rules, grant ids) shows as
/// text; the Content-Security-Policy allows no inline script and no other origin, but for an
/// optional test report to a loopback address (`?report=http://127.0.0.1:PORT/`).
public enum WebPage {
    /// A page or asset with the headers every one of them gets.
    public static func response(_ body: String, contentType: String) -> Response {
        Response(status: .ok, headers: [
            .contentType: contentType,
            .cacheControl: "no-store",
            .init("X-Content-Type-Options")!: "nosniff",
            .init("Content-Security-Policy")!: "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                + "connect-src 'self' ws: wss: http://127.0.0.1:*; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        ], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// Serves `/ui/style.css` and `/ui/common.js`, shared by the pages.
    public static func addCommonAssets<Context: RequestContext>(to router: Router<Context>) {
        router.get("/ui/style.css") { _, _ in response(WebAssets.css, contentType: "text/css; charset=utf-8") }
        router.get("/ui/common.js") { _, _ in response(WebAssets.commonJS, contentType: "text/javascript; charset=utf-8") }
    }
}
