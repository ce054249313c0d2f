import Foundation
import Logging
import Radio
import Signal
import Synchronization

/// Captures a SoapySDR device into SigMF segments in the spool directory, on a thread of its
/// own (reads block), and hands each closed segment to the auditor through `segments`.
///
/// The device source reconnects by itself when the device goes away; if it gives up, or cannot
/// be opened at all, the device is opened again after a back-off, so the capture resumes when
/// the radio is back. The capture never waits for the auditor: past `maxSpooled` segments
/// waiting, the newest is deleted and counted, and the radio keeps its pace.
public final class LiveCapture: Sendable {
    public let source: AgentConfiguration.LiveSource
    public let spoolDir: String
    /// Closed segments (paths of `.sigmf-meta` files), in capture order.
    public let segments: AsyncStream<String>
    private let continuation: AsyncStream<String>.Continuation
    private let runtime: AgentRuntime
    private let logger: Logger
    private let stop = StopSignal()
    private let waiting = Atomic<Int>(0)

    public init(source: AgentConfiguration.LiveSource, spoolDir: String, runtime: AgentRuntime, logger: Logger) {
        self.source = source
        self.spoolDir = spoolDir
        self.runtime = runtime
        self.logger = logger
        (segments, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .unbounded)
    }

    /// Starts the capture thread.
    public func start() {
        try? FileManager.default.createDirectory(atPath: spoolDir, withIntermediateDirectories: true)
        let thread = Thread { [self] in capture() }
        thread.name = "trustband-capture"
        thread.start()
    }

    /// Makes the capture thread stop (a blocked read or reconnect wait returns) and ends `segments`.
    public func stopCapture() { stop.raise() }

    /// The auditor is done with `path`: its files are deleted.
    public func consumed(_ path: String) {
        Self.remove(path)
        waiting.subtract(1, ordering: .relaxed)
    }

    private func capture() {
        defer { continuation.finish() }
        let settings = DeviceSettings(frequency: source.frequency, sampleRate: source.sampleRate, gain: source.gainDB)
        let perSegment = Int64((source.segmentSeconds * source.sampleRate).rounded())
        let buffer = IQBuffer(capacity: 1 << 14)
        var device: SoapyDeviceSource?
        var counted = RadioStatistics()
        var reopenDelay = 0.5
        var sequence = 0
        while !stop.isRaised {
            if device == nil {
                do {
                    device = try SoapyDeviceSource(args: source.args, settings: settings, stop: stop, logger: logger)
                    counted = RadioStatistics()
                    reopenDelay = 0.5
                } catch {
                    logger.error("cannot open the device; will retry", metadata: ["args": "\(source.args)", "error": "\(error)", "retry_s": "\(reopenDelay)"])
                    Self.sleep(reopenDelay, unless: stop)
                    reopenDelay = min(reopenDelay * 2, 30)
                    continue
                }
            }
            guard let open = device else { continue }
            let path = "\(spoolDir)/segment-\(ProcessInfo.processInfo.processIdentifier)-\(sequence).sigmf-meta"
            sequence += 1
            do {
                runtime.noteDevice(connected: true)
                let monitor = runtime.monitor, rate = source.sampleRate
                let segment = try SegmentRecorder.record(from: open, args: source.args, samples: perSegment, to: path,
                                                         recorder: "trustband agent", overwrite: true, buffer: buffer) { samples, info in
                    monitor?.offer(samples, rate: rate, center: info.centerFrequency)
                }
                let s = open.statistics
                runtime.noteCapture(overflows: s.overflows - counted.overflows, reconnects: s.reconnects - counted.reconnects,
                                    segments: segment == nil ? 0 : 1, dropped: 0)
                counted = s
                guard segment != nil else {
                    logger.notice("the device stream ended")
                    return
                }
                if waiting.load(ordering: .relaxed) >= source.maxSpooled {
                    Self.remove(path)
                    runtime.noteCapture(overflows: 0, reconnects: 0, segments: 0, dropped: 1)
                    logger.warning("auditing falls behind the radio: a segment was dropped", metadata: ["waiting": "\(source.maxSpooled)"])
                    continue
                }
                waiting.add(1, ordering: .relaxed)
                continuation.yield(path)
            } catch {
                Self.remove(path)
                if stop.isRaised { return }
                // The source gave up on the device: open it afresh after a pause.
                logger.error("capture failed; reopening the device", metadata: ["error": "\(error)"])
                runtime.noteDevice(connected: false)
                device = nil
                Self.sleep(reopenDelay, unless: stop)
            }
        }
    }

    static func remove(_ metaPath: String) {
        let data = String(metaPath.dropLast(".sigmf-meta".count)) + ".sigmf-data"
        for file in [metaPath, data, data + ".partial", metaPath + ".partial"] { try? FileManager.default.removeItem(atPath: file) }
    }

    private static func sleep(_ seconds: Double, unless stop: StopSignal) {
        let end = Date().addingTimeInterval(seconds)
        while !stop.isRaised && Date() < end { usleep(50_000) }
    }
}
