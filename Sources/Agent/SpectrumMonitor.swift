import Foundation
import Signal
import Spectrum
import Synchronization

/// Makes the live view's spectrum frames: 20 a second, each the Welch mean of 8 half-overlapped
/// 1024-point segments (4608 samples), in dBFS per bin, lowest frequency first. While nobody
/// watches it reads and computes nothing.
///
/// Two feeds: a recording replayed in real time in a loop on a thread of its own (the agent
/// audits recordings, not a radio: the view shows the recording as if it were on the air now),
/// or a radio's blocks offered by the capture thread (`offer`), of which it copies what one
/// frame needs when a frame is due.
public final class SpectrumMonitor: Sendable {
    public static let framesPerSecond = 20.0
    static let fftSize = 1024, averages = 8
    static var samplesPerFrame: Int { fftSize * (averages + 1) / 2 }

    private let view: LiveView
    private let stopped = Atomic<Bool>(false)
    private let tap = Mutex(Tap())

    /// What `offer` gathers for the next frame.
    private struct Tap {
        var samples: [IQ] = []
        var due = ContinuousClock.now
        /// Made once per sample rate (an FFT plan is not made per frame).
        var maker: FrameMaker?
        var rate = 0.0
    }

    public init(view: LiveView) { self.view = view }

    public func stop() { stopped.store(true, ordering: .relaxed) }

    /// Replays `path` in real time, looping, on a new thread; frames only while viewed.
    public func startReplay(path: String, options: RecordingOptions) {
        let thread = Thread { [self] in
            do { try replay(path: path, options: options) } catch {
                view.publishEvent(Self.eventJSON(type: "monitor", fields: [("problem", "\(error)")]))
            }
        }
        thread.name = "trustband-monitor"
        thread.start()
    }

    private func replay(path: String, options: RecordingOptions) throws {
        let recording = try Recording.open(path, options: options)
        guard let rate = recording.metadata.global.sampleRate, recording.sampleCount > Int64(Self.samplesPerFrame) else { return }
        let center = recording.metadata.captures.first?.frequency
        let source = try RecordingSource(recording: recording)
        let buffer = IQBuffer(capacity: Self.samplesPerFrame)
        let frame = try FrameMaker(rate: rate)
        let start = ContinuousClock.now
        var next = start
        while !stopped.load(ordering: .relaxed) {
            guard view.viewers > 0 else {
                Thread.sleep(forTimeInterval: 0.1)
                next = .now
                continue
            }
            // Where the recording would be now, had it been playing since the agent started.
            let elapsed = (ContinuousClock.now - start) / .seconds(1)
            let span = recording.sampleCount - Int64(Self.samplesPerFrame)
            source.seek(toSample: Int64(elapsed * rate) % max(1, span))
            var filled = 0
            while filled < Self.samplesPerFrame, let info = try source.read(into: buffer) {
                let take = min(info.count, Self.samplesPerFrame - filled)
                frame.add(UnsafeBufferPointer(rebasing: buffer.samples[0..<take]))
                filled += take
            }
            if let message = frame.finish(center: center, rate: rate) { view.publishFrame(message) }
            next = next.advanced(by: .seconds(1 / Self.framesPerSecond))
            let wait = next - ContinuousClock.now
            if wait > .zero { Thread.sleep(forTimeInterval: Double(wait.components.attoseconds) / 1e18 + Double(wait.components.seconds)) } else { next = .now }
        }
    }

    /// From the capture thread: a block of the radio's samples. Cheap unless a frame is due and
    /// someone watches; the frame is computed on the caller's thread (about 0.1 ms), with a
    /// frame maker kept from frame to frame.
    public func offer(_ samples: UnsafeBufferPointer<IQ>, rate: Double, center: Double?) {
        guard view.viewers > 0, !samples.isEmpty else { return }
        let message: String? = tap.withLock { t in
            guard ContinuousClock.now >= t.due else { return nil }
            t.samples.append(contentsOf: samples.prefix(Self.samplesPerFrame - t.samples.count))
            guard t.samples.count >= Self.samplesPerFrame else { return nil }
            defer {
                t.samples.removeAll(keepingCapacity: true)
                t.due = .now + .seconds(1 / Self.framesPerSecond)
            }
            if t.maker == nil || t.rate != rate {
                t.maker = try? FrameMaker(rate: rate)
                t.rate = rate
            }
            guard let maker = t.maker else { return nil }
            t.samples.withUnsafeBufferPointer { maker.add($0) }
            return maker.finish(center: center, rate: rate)
        }
        if let message { view.publishFrame(message) }
    }

    static func eventJSON(type: String, fields: [(String, String)]) -> String {
        "{\"type\":\"\(type)\"" + fields.map { ",\"\($0.0)\":\(jsonString($0.1))" }.joined() + "}"
    }

    /// A JSON string literal (quotes, backslashes and control characters escaped).
    static func jsonString(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where c.value < 0x20: out += String(format: "\\u%04x", c.value)
            default: out.unicodeScalars.append(c)
            }
        }
        return out + "\""
    }
}

/// One frame: Welch over the samples given, then dB per bin as a JSON message.
final class FrameMaker {
    private let welch: WelchEstimator
    private var latest: [Float]?
    private var index: Int64 = 0

    init(rate: Double) throws {
        var configuration = WelchConfiguration(fftSize: SpectrumMonitor.fftSize, overlap: 0.5, averages: SpectrumMonitor.averages, statistics: false)
        configuration.segmentRows = false  // a frame shows the mean only
        welch = try WelchEstimator(configuration: configuration, sampleRate: rate)
    }

    func add(_ samples: UnsafeBufferPointer<IQ>) {
        welch.process(samples, info: BlockInfo(sampleIndex: index, count: samples.count, time: nil, centerFrequency: nil)) { spectrum in
            latest = Array(spectrum.mean)
        }
        index += Int64(samples.count)
    }

    /// The frame as `{"type":"frame","t":ms,"center_hz":…,"rate":…,"db10":[tenths of dB…]}`; nil if no spectrum completed.
    func finish(center: Double?, rate: Double) -> String? {
        defer {
            latest = nil
            welch.reset()
            index = 0
        }
        guard let bins = latest else { return nil }
        var out = "{\"type\":\"frame\",\"t\":\(Int64(Date().timeIntervalSince1970 * 1000)),\"center_hz\":\(center.map { String(Int64($0)) } ?? "null"),\"rate\":\(Int64(rate)),\"db10\":["
        out.reserveCapacity(out.utf8.count + bins.count * 5)
        for (k, p) in bins.enumerated() {
            if k > 0 { out += "," }
            out += String(Int((10 * 10 * log10(max(Double(p), 1e-20))).rounded()))
        }
        return out + "]}"
    }
}
