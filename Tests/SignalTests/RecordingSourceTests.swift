import Foundation
import Testing
import TestSupport
@testable import Signal

@Suite("Recording source")
struct RecordingSourceTests {
    @Test("Blocks are contiguous, split at capture boundaries, and carry each capture's time and frequency")
    func blocksFollowCaptures() throws {
        let (meta, _, input) = try SigMFTests.writeRich(in: try Paths.scratch())
        let source = try RecordingSource(recording: try Recording.open(meta))
        let buffer = IQBuffer(capacity: 300)
        var blocks: [BlockInfo] = []
        var samples: [IQ] = []
        while let block = try source.read(into: buffer) { blocks.append(block); samples += buffer.copySamples() }
        #expect(samples == input)
        #expect(blocks.map(\.count) == [300, 300, 300, 100, 300, 300, 300, 100])
        #expect(blocks.map(\.sampleIndex) == [0, 300, 600, 900, 1000, 1300, 1600, 1900])
        #expect(blocks.filter(\.discontinuity).map(\.sampleIndex) == [1000])
        #expect(blocks[3].centerFrequency == 433.92e6)
        #expect(blocks[4].centerFrequency == 434.5e6)
        // Time advances by samples within a capture, and restarts at the next capture's datetime.
        #expect(blocks[1].time?.rfc3339 == "2026-11-24T06:00:00.000146609Z")  // 300 / 2.048 MS/s + 125 ns
        #expect(blocks[4].time?.rfc3339 == "2026-11-24T06:00:01Z")
    }

    @Test("Real-time pacing sleeps until each block would have arrived from a device, at any speed",
          arguments: [1.0, 4.0])
    func pacing(speed: Double) throws {
        let (meta, _, _) = try SigMFTests.writeRich(in: try Paths.scratch())
        let clock = ManualPacingClock(start: 5_000)
        let source = try RecordingSource(recording: try Recording.open(meta), pacing: .realTime(clock: clock, speed: speed),
                                         sampleLimit: 768)
        let buffer = IQBuffer(capacity: 256)
        // 256 samples at 2.048 MS/s is 125 µs of signal.
        let step = Int64((125_000 / speed).rounded())
        _ = try source.read(into: buffer)
        #expect(clock.now() == 5_000 + step)
        clock.advance(by: step / 5)  // processing took a fifth of a block: the next wait is shorter
        while try source.read(into: buffer) != nil {}
        #expect(clock.sleeps == [step, step - step / 5, step])
        #expect(clock.now() == 5_000 + 3 * step)
    }

    @Test("Start sample and limit select a window")
    func window() throws {
        let (meta, _, input) = try SigMFTests.writeRich(in: try Paths.scratch())
        let source = try RecordingSource(recording: try Recording.open(meta), startSample: 1500, sampleLimit: 200)
        let buffer = IQBuffer(capacity: 4096)
        let block = try #require(try source.read(into: buffer))
        #expect(block.sampleIndex == 1500)
        #expect(buffer.copySamples() == Array(input[1500..<1700]))
        #expect(try source.read(into: buffer) == nil)
        #expect(throws: SignalError.self) { try RecordingSource(recording: try Recording.open(meta), startSample: 5000) }
    }
}

@Suite("Timestamps")
struct TimestampTests {
    @Test("RFC 3339 parses with fractions and offsets, and formats back in Z",
          arguments: [("2026-11-24T06:00:00Z", "2026-11-24T06:00:00Z"),
                      ("2026-11-24T06:00:00.5Z", "2026-11-24T06:00:00.500Z"),
                      ("2026-11-24T08:30:00.123456789+02:30", "2026-11-24T06:00:00.123456789Z"),
                      ("2024-02-29T23:59:59.000001-01:00", "2024-03-01T00:59:59.000001Z"),
                      ("1969-12-31T23:59:59.9Z", "1969-12-31T23:59:59.900Z")])
    func roundTrip(input: String, formatted: String) throws {
        #expect(try Timestamp(rfc3339: input).rfc3339 == formatted)
    }

    @Test("Epoch arithmetic agrees with Foundation")
    func agreesWithFoundation() throws {
        let t = try Timestamp(rfc3339: "2031-07-04T12:34:56Z")
        let reference = ISO8601DateFormatter().date(from: "2031-07-04T12:34:56Z")!
        #expect(t.nanosecondsSinceEpoch == Int64(reference.timeIntervalSince1970) * 1_000_000_000)
    }

    @Test("Malformed times are refused", arguments: ["2026-02-30T00:00:00Z", "2026-11-24 06:00:00", "2026-11-24T06:00:00", "2026-13-01T00:00:00Z", "2026-11-24T06:00:00.Z"])
    func refused(text: String) {
        #expect(throws: SignalError.self) { try Timestamp(rfc3339: text) }
    }

    /// Found by the fuzzer (Fuzz/regressions): a year past 2262 overflowed the nanoseconds and
    /// crashed whatever read the time (grant files, SigMF captures, scenarios, genesis files).
    @Test("Times outside what 64-bit nanoseconds since 1970 hold are refused, not a crash", arguments: ["4052-11-24T00:00:00Z", "2262-04-12T00:00:00Z", "1677-09-21T00:00:00Z", "9999-12-31T23:59:59.999999999-23:59"])
    func outOfRange(text: String) {
        #expect(throws: SignalError.self) { try Timestamp(rfc3339: text) }
        #expect(String(describing: (try? Timestamp(rfc3339: text)) as Any) == "nil")
    }

    @Test("The ends of the range still parse")
    func range() throws {
        #expect(try Timestamp(rfc3339: "2262-04-11T23:47:16Z").nanosecondsSinceEpoch == 9_223_372_036_000_000_000)
        #expect(try Timestamp(rfc3339: "1677-09-21T00:12:44Z").nanosecondsSinceEpoch == -9_223_372_036_000_000_000)
    }
}
