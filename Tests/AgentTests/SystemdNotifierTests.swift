#if canImport(Glibc)
import Glibc
#endif
import Agent
import Foundation
import TestSupport
import Testing

@Suite("sd_notify")
struct SystemdNotifierTests {
    @Test("READY=1 and WATCHDOG=1 arrive on the socket systemd names; the watchdog interval is half of WATCHDOG_USEC")
    func notifies() throws {
        let path = try Paths.scratch().appendingPathComponent("notify.sock").path
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        #expect(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(path.utf8)
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        #expect(bound == 0)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": path, "WATCHDOG_USEC": "20000000"])
        #expect(notifier.watchdogInterval == .seconds(10))
        #expect(notifier.notify("READY=1"))
        #expect(notifier.notify("WATCHDOG=1"))
        var buffer = [UInt8](repeating: 0, count: 256)
        var received: [String] = []
        for _ in 0..<2 {
            let n = recv(fd, &buffer, buffer.count, 0)
            received.append(String(decoding: buffer[0..<max(0, n)], as: UTF8.self))
        }
        #expect(received == ["READY=1", "WATCHDOG=1"])
        // Not under systemd: nothing is sent, nothing fails.
        #expect(!SystemdNotifier(environment: [:]).notify("READY=1"))
    }
}
