import Foundation
import Logging
import Testing
import TestSupport
@testable import Radio
@testable import Signal

@Suite("SoapySDR device source through the replay driver")
struct DeviceSourceTests {
    @Test("Native-format streaming delivers exactly the recording's samples and bytes, in order, then ends")
    func exactSamples() throws {
        let fixture = try ReplayFixture()
        let source = try SoapyDeviceSource(args: fixture.args(), settings: fixture.settings, logger: .quiet)
        #expect(source.applied.driver == "replay")
        #expect(source.applied.streamFormat == "CS16")
        #expect(source.deviceFormat == .ci16LE)
        #expect(source.applied.automaticGain == false)
        #expect(source.applied.gain == 20)
        let blocks = try ReplayFixture.drain(source)
        #expect(blocks.flatMap(\.samples) == fixture.reference)
        #expect(blocks.reduce(into: Data()) { $0 += $1.raw } == fixture.rawBytes)
        var expectedIndex: Int64 = 0
        for block in blocks {
            #expect(block.info.sampleIndex == expectedIndex)
            #expect(block.info.droppedBefore == 0 && !block.info.discontinuity)
            expectedIndex += Int64(block.info.count)
        }
        #expect(source.statistics.samples == Int64(fixture.reference.count))
        #expect(source.statistics.overflows == 0 && source.statistics.droppedSamples == 0)
    }

    @Test("Asking the driver for CF32 gives the same floats as our own conversion", arguments: [SampleFormat.cu8, .ci8, .ci16LE, .cf32LE])
    func cf32Stream(format: SampleFormat) throws {
        let fixture = try ReplayFixture(format: format, seconds: 0.01)
        var settings = fixture.settings
        settings.preferNativeFormat = false
        let source = try SoapyDeviceSource(args: fixture.args(), settings: settings, logger: .quiet)
        #expect(source.applied.streamFormat == "CF32")
        #expect(try ReplayFixture.drain(source).flatMap(\.samples) == fixture.reference)
    }

    @Test("Block times follow the sample index from one UTC anchor")
    func blockTimes() throws {
        let fixture = try ReplayFixture(seconds: 0.01)
        let anchor = try Timestamp(rfc3339: "2026-11-24T06:00:00Z")
        let source = try SoapyDeviceSource(args: fixture.args("mtu=1000"), settings: fixture.settings, utcNow: { anchor }, logger: .quiet)
        let blocks = try ReplayFixture.drain(source)
        // The first block is stamped as having just arrived: it began count/rate before "now".
        #expect(blocks[0].info.time?.rfc3339 == "2026-11-24T05:59:59.999Z")
        #expect(blocks[3].info.time?.rfc3339 == "2026-11-24T06:00:00.002Z")
    }

    @Test("Overflows are counted, their lost samples accounted from HAS_TIME, and indices stay true")
    func overflows() throws {
        let fixture = try ReplayFixture()
        let source = try SoapyDeviceSource(args: fixture.args("overflow_every=4,overflow_drop=1000,mtu=2000"), settings: fixture.settings, logger: .quiet)
        let blocks = try ReplayFixture.drain(source)
        #expect(source.statistics.overflows >= 5)
        #expect(source.statistics.droppedSamples == 1000 * source.statistics.overflows)
        for block in blocks {
            // Each block's samples are the recording's samples at the index the block claims.
            let start = Int(block.info.sampleIndex)
            #expect(block.samples == Array(fixture.reference[start..<(start + block.info.count)]))
        }
        let afterDrop = blocks.filter { $0.info.droppedBefore > 0 }
        #expect(afterDrop.count == Int(source.statistics.overflows))
        #expect(afterDrop.allSatisfy { $0.info.droppedBefore == 1000 && $0.info.discontinuity })
        #expect(source.statistics.samples + source.statistics.droppedSamples == Int64(fixture.reference.count))
    }

    @Test("Timeouts and short reads are counted and survived without losing a sample")
    func timeoutsAndShortReads() throws {
        let fixture = try ReplayFixture()
        let source = try SoapyDeviceSource(args: fixture.args("timeout_every=3,short_every=5"), settings: fixture.settings, logger: .quiet)
        let blocks = try ReplayFixture.drain(source)
        #expect(blocks.flatMap(\.samples) == fixture.reference)
        #expect(source.statistics.timeouts >= 4)
        #expect(source.statistics.shortReads >= 2)
        #expect(source.statistics.droppedSamples == 0 && source.statistics.deviceLosses == 0)
    }

    @Test("A device that vanishes is reopened with exponential back-off and the time away is counted as lost")
    func reconnects() throws {
        let fixture = try ReplayFixture()
        let clock = ManualPacingClock()
        let policy = ReconnectPolicy(initialDelay: 100_000_000, maxDelay: 1_000_000_000)
        let source = try SoapyDeviceSource(args: fixture.args("gone_after=20000,gone_for=4"), settings: fixture.settings,
                                           policy: policy, clock: clock, logger: .quiet)
        let blocks = try ReplayFixture.drain(source)
        #expect(source.statistics.deviceLosses == 1)
        #expect(source.statistics.reconnects == 1)
        #expect(source.statistics.failedReconnects >= 1)
        let attempts = Int(source.statistics.failedReconnects) + 1
        #expect(clock.sleeps == (1...attempts).map { policy.delay(beforeAttempt: $0) })
        #expect(clock.sleeps.prefix(4) == [100_000_000, 200_000_000, 400_000_000, 800_000_000].prefix(attempts))
        // The replayed recording pauses while unplugged, so every sample still arrives, but the
        // stream index jumps by the time the device was away.
        #expect(blocks.flatMap(\.samples) == fixture.reference)
        let resumed = try #require(blocks.first { $0.info.droppedBefore > 0 })
        let away = clock.sleeps.reduce(0, +)
        #expect(resumed.info.droppedBefore == Int64((Double(away) * ReplayFixture.rate / 1e9).rounded()))
        #expect(resumed.info.discontinuity)
        #expect(resumed.info.sampleIndex == 20_000 + resumed.info.droppedBefore)
    }

    @Test("A device that stalls in endless timeouts is declared lost and reopened")
    func stalls() throws {
        let fixture = try ReplayFixture()
        let clock = SteppingClock(step: 50_000_000)
        let policy = ReconnectPolicy(stallTimeout: 1_000_000_000, readTimeoutMicroseconds: 1000)
        let source = try SoapyDeviceSource(args: fixture.args("gone_after=10000,gone_for=1,gone_mode=timeout"), settings: fixture.settings,
                                           policy: policy, clock: clock, logger: .quiet)
        let blocks = try ReplayFixture.drain(source)
        #expect(source.statistics.deviceLosses == 1)
        #expect(source.statistics.reconnects == 1)
        #expect(source.statistics.timeouts >= 20)  // 1 s of stall at 50 ms per look
        #expect(blocks.flatMap(\.samples) == fixture.reference)
    }

    @Test("When the device stays away past the policy's attempts, the error says so")
    func givesUp() throws {
        let fixture = try ReplayFixture()
        let clock = ManualPacingClock()
        let source = try SoapyDeviceSource(args: fixture.args("gone_after=5000,gone_for=1000"), settings: fixture.settings,
                                           policy: ReconnectPolicy(maxAttempts: 3), clock: clock, logger: .quiet)
        let error = #expect(throws: RadioError.self) { try ReplayFixture.drain(source) }
        guard case .deviceLost(_, let attempts, let message) = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(attempts == 3)
        #expect(message.contains("unplugged") || message.contains("no SoapySDR device"))
        #expect(clock.sleeps.count == 3)
    }

    @Test("Raising the stop signal ends a read loop that is waiting for a device")
    func stopWhileReconnecting() throws {
        let fixture = try ReplayFixture()
        let stop = StopSignal()
        let clock = StoppingClock(stop: stop, afterSleeps: 2)
        let source = try SoapyDeviceSource(args: fixture.args("gone_after=5000,gone_for=1000"), settings: fixture.settings,
                                           clock: clock, stop: stop, logger: .quiet)
        _ = try ReplayFixture.drain(source)
        #expect(source.statistics.samples == 5000)
        #expect(source.statistics.reconnects == 0)
    }

    @Test("realtime=1 paces the driver at the sample rate")
    func realtimePacing() throws {
        let fixture = try ReplayFixture(seconds: 0.1)
        let source = try SoapyDeviceSource(args: fixture.args("realtime=1"), settings: fixture.settings, logger: .quiet)
        let start = ContinuousClock.now
        let blocks = try ReplayFixture.drain(source)
        let elapsed = ContinuousClock.now - start
        #expect(blocks.reduce(0) { $0 + $1.info.count } == 100_000)
        #expect(elapsed >= .milliseconds(95), "100 000 samples at 1 MS/s took only \(elapsed)")
    }
}

/// Raises a stop signal after a number of sleeps, as a service shutting down would.
final class StoppingClock: PacingClock {
    let inner = ManualPacingClock()
    let stop: StopSignal
    let afterSleeps: Int
    init(stop: StopSignal, afterSleeps: Int) { self.stop = stop; self.afterSleeps = afterSleeps }
    func now() -> Int64 { inner.now() }
    func sleep(until deadline: Int64) {
        inner.sleep(until: deadline)
        if inner.sleeps.count >= afterSleeps { stop.raise() }
    }
}

@Suite("Opening devices: clear errors")
struct DeviceErrorTests {
    @Test("An unknown driver is reported with what was asked for")
    func unknownDevice() throws {
        SoapyRuntime.useBuiltInDriversOnly()
        let error = #expect(throws: RadioError.self) {
            try SoapyDeviceSource(args: "driver=nonexistent", settings: DeviceSettings(frequency: 1e9, sampleRate: 1e6), logger: .quiet)
        }
        guard case .deviceNotFound(let args, _, _) = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(args == "driver=nonexistent")
        #expect(error?.description.contains("no SoapySDR device matches 'driver=nonexistent'") == true)
    }

    @Test("A sample rate or frequency the device cannot do is refused, naming the setting",
          arguments: [(2e6, 100e6, "sample rate"), (1e6, 433e6, "frequency")])
    func rejectedSetting(rate: Double, frequency: Double, setting: String) throws {
        let fixture = try ReplayFixture(seconds: 0.01)
        let error = #expect(throws: RadioError.self) {
            try SoapyDeviceSource(args: fixture.args(), settings: DeviceSettings(frequency: frequency, sampleRate: rate), logger: .quiet)
        }
        guard case .settingRejected(let named, _, let message) = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(named == setting)
        #expect(message.contains("replay: the recording is"))
    }

    @Test("A gain outside the device's range is refused before it is applied")
    func gainOutOfRange() throws {
        let fixture = try ReplayFixture(seconds: 0.01)
        var settings = fixture.settings
        settings.gain = 80
        let error = #expect(throws: RadioError.self) { try SoapyDeviceSource(args: fixture.args(), settings: settings, logger: .quiet) }
        #expect(error?.description.contains("range is 0.0…50.0 dB") == true)
    }

    @Test("Missing files and bad arguments from the replay driver come through as messages")
    func replayArgumentErrors() throws {
        SoapyRuntime.useBuiltInDriversOnly()
        let error = #expect(throws: RadioError.self) {
            try SoapyDeviceSource(args: "driver=replay,file=/nonexistent/x.cf32,rate=1e6", settings: DeviceSettings(frequency: 0, sampleRate: 1e6), logger: .quiet)
        }
        #expect(error?.description.contains("/nonexistent/x.cf32") == true)
    }
}
