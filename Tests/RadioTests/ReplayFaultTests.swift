import Foundation
import Testing
import TestSupport
@testable import Radio
@testable import Signal

/// What real SDRs do, through the replay driver: silent packet loss (with and without hardware
/// timestamps that reveal it), a sample clock off by some ppm, gain steps, DC offset spikes.
@Suite("Replay driver: the faults of real radios")
struct ReplayFaultTests {
    @Test("Packets lost without an overflow but with timestamps: the source sees the gap in the timestamps and keeps indices true")
    func dropsWithTimestamps() throws {
        let fixture = try ReplayFixture()
        let source = try SoapyDeviceSource(args: fixture.args("drop_every=5,drop_samples=700,mtu=2000"), settings: fixture.settings, logger: .quiet)
        let blocks = try ReplayFixture.drain(source)
        #expect(source.statistics.overflows == 0)
        #expect(source.statistics.droppedSamples >= 700 * 4 && source.statistics.droppedSamples % 700 == 0, "\(source.statistics)")
        for block in blocks {
            let start = Int(block.info.sampleIndex)
            #expect(block.samples == Array(fixture.reference[start..<(start + block.info.count)]), "block at \(start) is the recording's samples there")
        }
        #expect(blocks.filter { $0.info.droppedBefore > 0 }.allSatisfy { $0.info.discontinuity })
    }

    @Test("Packets lost with timestamps that hide it: nothing downstream can know; the stream is simply shorter")
    func dropsWithoutTimestamps() throws {
        let fixture = try ReplayFixture()
        let source = try SoapyDeviceSource(args: fixture.args("drop_every=5,drop_samples=700,drop_timestamps=0,mtu=2000"), settings: fixture.settings, logger: .quiet)
        let blocks = try ReplayFixture.drain(source)
        let delivered = blocks.reduce(0) { $0 + $1.info.count }
        #expect(source.statistics.droppedSamples == 0 && delivered < fixture.reference.count && (fixture.reference.count - delivered) % 700 == 0)
    }

    @Test("A sample clock up to 1000 ppm off either way is drift, not loss: every sample delivered, none counted dropped", arguments: [-1000.0, -50, 50, 1000])
    func drift(ppm: Double) throws {
        let fixture = try ReplayFixture()
        let source = try SoapyDeviceSource(args: fixture.args("drift_ppm=\(ppm),mtu=5000"), settings: fixture.settings, logger: .quiet)
        let blocks = try ReplayFixture.drain(source)
        #expect(blocks.flatMap(\.samples) == fixture.reference)
        #expect(source.statistics.droppedSamples == 0 && blocks.allSatisfy { !$0.info.discontinuity }, "\(source.statistics)")
    }

    @Test("A gain step of 6 dB scales every sample of the reads it covers by 10^(6/20); the next step restores them")
    func gainSteps() throws {
        let fixture = try ReplayFixture(format: .cf32LE)
        var settings = fixture.settings
        settings.preferNativeFormat = false
        let source = try SoapyDeviceSource(args: fixture.args("gain_step_every=3,mtu=1000"), settings: settings, logger: .quiet)
        let blocks = try ReplayFixture.drain(source, capacity: 1000)
        let factor = Float(pow(10, 6.0 / 20))
        var stepped = 0
        for block in blocks {
            let start = Int(block.info.sampleIndex), reference = Array(fixture.reference[start..<(start + block.info.count)])
            if block.samples == reference { continue }
            stepped += 1
            for (a, b) in zip(block.samples, reference) { #expect(abs(a.i - b.i * factor) < 1e-4 && abs(a.q - b.q * factor) < 1e-4) }
        }
        #expect(stepped > 0 && stepped < blocks.count)
    }

    @Test("A DC spike adds a constant of the given fraction of full scale to I and Q of the reads it hits")
    func dcSpikes() throws {
        let fixture = try ReplayFixture(format: .cf32LE)
        var settings = fixture.settings
        settings.preferNativeFormat = false
        let source = try SoapyDeviceSource(args: fixture.args("dc_spike_every=4,dc_spike_level=0.3,mtu=1000"), settings: settings, logger: .quiet)
        let blocks = try ReplayFixture.drain(source, capacity: 1000)
        var hit = 0
        for block in blocks {
            let start = Int(block.info.sampleIndex), reference = Array(fixture.reference[start..<(start + block.info.count)])
            if block.samples == reference { continue }
            hit += 1
            for (a, b) in zip(block.samples, reference) { #expect(abs(a.i - b.i - 0.3) < 1e-5 && abs(a.q - b.q - 0.3) < 1e-5) }
        }
        #expect(hit > 0 && hit < blocks.count)
    }

    @Test("Bad fault arguments are refused with a message naming them")
    func badArguments() throws {
        let fixture = try ReplayFixture(seconds: 0.01)
        for (arg, name) in [("drift_ppm=fast", "drift_ppm"), ("drop_timestamps=maybe", "drop_timestamps"), ("gain_step_db=x", "gain_step_db")] {
            do {
                _ = try SoapyDeviceSource(args: fixture.args(arg), settings: fixture.settings, logger: .quiet)
                Issue.record("\(arg) was accepted")
            } catch {
                #expect("\(error)".contains(name), "\(error)")
            }
        }
    }
}
