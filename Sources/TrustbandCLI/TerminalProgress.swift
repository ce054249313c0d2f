import Foundation
import Signal

/// Progress of a long job on the terminal: done of total, rate and time left, redrawn at most
/// five times a second on standard error. Silent when standard error is not a terminal (logs,
/// pipes, CI) or when disabled (`--json`). Safe to call from several threads.
final class TerminalProgress: @unchecked Sendable {
    private let enabled: Bool
    private let started = Date()
    private let lock = NSLock()
    private var lastDraw = Date.distantPast
    private var drawn = false
    private var currentLabel = ""
    private lazy var labelStarted = started

    init(enabled: Bool) { self.enabled = enabled && isatty(STDERR_FILENO) == 1 }

    func update(done: Int, of total: Int, unit: String, label: String = "") {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) >= 0.2 || done == total else { return }
        lastDraw = now
        if label != currentLabel {
            currentLabel = label
            labelStarted = now
        }
        let elapsed = now.timeIntervalSince(labelStarted), rate = elapsed > 0 ? Double(done) / elapsed : 0
        let left = rate > 0 ? Double(total - done) / rate : 0
        let prefix = label.isEmpty ? "" : label + ": "
        let line = unit == "samples"
            ? String(format: "%@%.1f of %.1f Msamples (%.0f MS/s, about %.0f s left)", prefix, Double(done) / 1e6, Double(total) / 1e6, rate / 1e6, left)
            : String(format: "%@%d/%d %@ (%.1f %@/s, about %.0f s left)", prefix, done, total, unit, rate, unit, left)
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
        drawn = true
    }

    /// Clears the line.
    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}

/// A recording source that reports how far each pass over the file has got (detect and audit
/// read a recording several times: background, detection, refinement).
final class ProgressRecordingSource: SeekableIQSource {
    private let inner: RecordingSource
    private let progress: TerminalProgress
    private let label: String
    private let total: Int

    init(_ inner: RecordingSource, progress: TerminalProgress, pass: Int) {
        self.inner = inner
        self.progress = progress
        self.label = "pass \(pass)"
        self.total = Int(inner.recording.sampleCount)
    }

    var stream: StreamDescription { inner.stream }

    func read(into buffer: IQBuffer) throws(SignalError) -> BlockInfo? {
        let info = try inner.read(into: buffer)
        progress.update(done: Int(inner.nextSample), of: total, unit: "samples", label: label)
        return info
    }

    func seek(toSample sample: Int64) { inner.seek(toSample: sample) }
}
