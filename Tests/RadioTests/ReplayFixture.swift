import Foundation
import Logging
import Radio
import Signal
import Synchronization
import TestSupport

/// A small recording served by `driver=replay`, with the reference samples read straight from
/// the file to compare against.
struct ReplayFixture {
    static let rate = 1_000_000.0
    static let centre = 100e6
    let meta: String
    let recording: Recording
    let reference: [IQ]
    let rawBytes: Data
    /// A serial unique to this fixture: replay devices keep global state per file and serial.
    let serial = UUID().uuidString.prefix(8)

    init(format: SampleFormat = .ci16LE, seconds: Double = 0.05) throws {
        SoapyRuntime.useBuiltInDriversOnly()
        let scene = SyntheticScene(sampleRate: Self.rate, centerHz: Self.centre, durationS: seconds, seed: 21, noiseDbfs: -30,
                                   emitters: [.init(kind: .tone, offsetHz: 100_000, powerDbfs: -10, startS: seconds / 4, endS: seconds / 2)])
        meta = try Paths.scratch("replay").appendingPathComponent("fixture.sigmf-meta").path
        try scene.write(to: meta, format: format)
        recording = try Recording.open(meta)
        let source = try RecordingSource(recording: recording)
        let buffer = IQBuffer(capacity: 1 << 16)
        var all: [IQ] = []
        while try source.read(into: buffer) != nil { all += buffer.copySamples() }
        reference = all
        rawBytes = try Data(contentsOf: URL(fileURLWithPath: recording.dataPath))
    }

    /// Device args for this recording, with extra `key=value` pairs (faults, pacing).
    func args(_ extra: String = "") -> String {
        "driver=replay,file=\(meta),serial=\(serial)" + (extra.isEmpty ? "" : "," + extra)
    }

    var settings: DeviceSettings { DeviceSettings(frequency: Self.centre, sampleRate: Self.rate, gain: 20) }

    /// Reads until the stream ends; returns every block with its samples.
    static func drain(_ source: SoapyDeviceSource, capacity: Int = 4096) throws -> [(info: BlockInfo, samples: [IQ], raw: Data)] {
        let buffer = IQBuffer(capacity: capacity)
        var blocks: [(BlockInfo, [IQ], Data)] = []
        while let info = try source.read(into: buffer) {
            blocks.append((info, buffer.copySamples(), Data(source.lastRawBlock)))
        }
        return blocks
    }
}

/// A clock whose time moves forward by `step` every time it is read, as time passes while a
/// driver keeps timing out; sleeps jump to their deadline and are recorded.
final class SteppingClock: PacingClock {
    private let state = Mutex<(now: Int64, sleeps: [Int64])>((0, []))
    let step: Int64
    init(step: Int64) { self.step = step }
    func now() -> Int64 { state.withLock { $0.now += step; return $0.now } }
    func sleep(until deadline: Int64) {
        state.withLock {
            if deadline > $0.now { $0.sleeps.append(deadline - $0.now); $0.now = deadline }
        }
    }
    var sleeps: [Int64] { state.withLock { $0.sleeps } }
}

extension Logger {
    /// A logger that drops everything, so that expected faults do not fill the test output.
    static let quiet = Logger(label: "trustband.tests", factory: { _ in SwiftLogNoOpLogHandler() })
}
