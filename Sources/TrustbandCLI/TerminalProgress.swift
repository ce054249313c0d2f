import Foundation

/// Progress of a long job on the terminal: done of total, rate and time left, redrawn at most
/// five times a second on standard error. Silent when standard error is not a terminal (logs,
/// pipes, CI) or when disabled (`--json`). Safe to call from several threads.
final class TerminalProgress: @unchecked Sendable {
    private let enabled: Bool
    private let started = Date()
    private let lock = NSLock()
    private var lastDraw = Date.distantPast
    private var drawn = false

    init(enabled: Bool) { self.enabled = enabled && isatty(STDERR_FILENO) == 1 }

    func update(done: Int, of total: Int, unit: String) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) >= 0.2 || done == total else { return }
        lastDraw = now
        let elapsed = now.timeIntervalSince(started), rate = elapsed > 0 ? Double(done) / elapsed : 0
        let left = rate > 0 ? Double(total - done) / rate : 0
        FileHandle.standardError.write(Data(String(format: "\r\u{1B}[K%d/%d %@ (%.1f %@/s, about %.0f s left)", done, total, unit, rate, unit, left).utf8))
        drawn = true
    }

    /// Clears the line.
    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
