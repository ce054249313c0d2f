#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A page open in headless Chromium that reports what it sees: the pages' `?report=` hook sends
/// JSON twice a second to a loopback receiver (a few lines of Python) that appends each report
/// to a file. Tests read the latest report and wait for what they expect.
public final class LivePage: @unchecked Sendable {
    private let browser = Process()
    private let receiver = Process()
    private let reports: URL

    /// Opens `url` (the report parameter is added).
    public init(url: String) throws {
        guard let executable = Browser.executable else { throw OracleFailure(message: "chromium is not installed (apt-get install chromium)") }
        let dir = try Paths.scratch("live-page")
        reports = dir.appendingPathComponent("reports.jsonl")
        _ = FileManager.default.createFile(atPath: reports.path, contents: nil)
        let port = Self.freePort()
        receiver.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        receiver.arguments = ["python3", "-c", """
            import http.server, sys, urllib.parse
            out = open(sys.argv[2], 'a', buffering=1)
            class H(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    d = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query).get('d', [''])[0]
                    if d: out.write(d.replace('\\n', ' ') + '\\n')
                    self.send_response(204); self.end_headers()
                def log_message(self, *a): pass
            http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
            """, String(port), reports.path]
        receiver.standardOutput = FileHandle.nullDevice
        receiver.standardError = FileHandle.nullDevice
        try receiver.run()
        usleep(300_000)
        let separator = url.contains("?") ? "&" : "?"
        browser.executableURL = URL(fileURLWithPath: executable)
        browser.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(dir.path)/profile", "--window-size=1280,1024",
                             url + separator + "report=" + "http://127.0.0.1:\(port)/r"]
        browser.standardOutput = FileHandle.nullDevice
        browser.standardError = FileHandle.nullDevice
        try browser.run()
    }

    deinit { close() }

    public func close() {
        for p in [browser, receiver] where p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
        }
    }

    /// The latest report, if any.
    public func latest() -> [String: Any]? {
        guard let text = try? String(contentsOf: reports, encoding: .utf8),
              let line = text.split(separator: "\n").last else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
    }

    /// The first report that satisfies `condition` within `seconds`, or the last one seen.
    public func wait(seconds: Double, until condition: ([String: Any]) -> Bool) -> (met: Bool, report: [String: Any]?) {
        let deadline = Date().addingTimeInterval(seconds)
        var last: [String: Any]?
        while Date() < deadline {
            if let r = latest() {
                last = r
                if condition(r) { return (true, r) }
            }
            usleep(200_000)
        }
        return (false, last)
    }

    public static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { Glibc.close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
