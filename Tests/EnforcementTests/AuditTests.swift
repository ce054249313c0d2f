import Foundation
import Testing
import TestSupport
@testable import Enforcement
@testable import Signal
@testable import Spectrum

/// One scenario per kind of violation, with known truth from the generator, and compliant
/// twins within 1 dB of the limits. dBFS read as dBm (calibration offset 0).
@Suite("Audit: synthetic scenarios")
struct AuditTests {
    static let centre = 3.6e9, rate = 2.5e6
    static let start = try! Timestamp(rfc3339: "2026-11-24T06:00:00Z")

    static func grant(windowEnd: Double = 10, occupancy: Double = 10, oob: Double = -55, nominal: Grant.Nominal? = nil) -> Grant {
        Grant(id: "g-A", holder: "pbs-a", mno: "mno-1", frequencyLow: centre - 1e6, frequencyHigh: centre, maxPsdDbmPerMhz: -30,
              outOfBandMaxPsdDbmPerMhz: oob,
              windows: [Grant.Window(start: start, end: start.advanced(byNanoseconds: Int64(windowEnd * 1e9)))],
              maxOccupancySeconds: occupancy, nominal: nominal)
    }

    /// A carrier (OFDM-like) at `offset` from the centre.
    static func scene(offset: Double = -500_000, bandwidth: Double = 800_000, psd: Double, from: Double? = nil, to: Double? = nil,
                      duration: Double = 0.6, seed: UInt64 = 1) -> SyntheticScene {
        SyntheticScene(sampleRate: rate, centerHz: centre, durationS: duration, seed: seed, startTime: "2026-11-24T06:00:00Z", noiseDbfs: -60,
                       emitters: [.init(kind: .carrier, offsetHz: offset, psdDbfsPerMhz: psd, bandwidthHz: bandwidth, subcarriers: 32,
                                        startS: from, endS: to)])
    }

    /// Generates the scene once into a recording, then audits the recording (two passes).
    static func audit(_ scene: SyntheticScene, _ grants: [Grant]) throws -> [Violation] {
        let meta = try Paths.scratch("audit").appendingPathComponent("scene.sigmf-meta").path
        try scene.write(to: meta, format: .cf32LE)
        let recording = try Recording.open(meta)
        return try Audit.run(grants: grants) { try RecordingSource(recording: recording) }.violations
    }

    static func seconds(_ t: Timestamp?) -> Double { Double((t?.nanosecondsSinceEpoch ?? 0) - start.nanosecondsSinceEpoch) / 1e9 }

    @Test("Power: a burst above the PSD limit is reported against the holder with its span; 1 dB under is not")
    func power() throws {
        let found = try Self.audit(Self.scene(psd: -25, from: 0.2, to: 0.4), [Self.grant()])
        #expect(found.map(\.kind) == [.power], "\(found)")
        let v = try #require(found.first)
        #expect(v.grantID == "g-A" && v.suspect == "pbs-a" && v.rule == "max_psd")
        #expect(abs(Self.seconds(v.startTime) - 0.2) < 0.1 && abs(Self.seconds(v.endTime) - 0.4) < 0.1)
        #expect(abs(v.measured - -25) < 1 && v.limit == -30 && abs(v.marginDB - 5) < 1)
        #expect(try Self.audit(Self.scene(psd: -31, from: 0.2, to: 0.4), [Self.grant()]).isEmpty)
    }

    @Test("Frequency: a carrier displaced across the band edge spills over the mask; a centred one does not")
    func frequency() throws {
        let found = try Self.audit(Self.scene(offset: -150_000, psd: -35), [Self.grant()])
        #expect(found.map(\.kind) == [.frequency], "\(found)")
        #expect(found.first?.rule == "oob_mask" && found.first?.suspect == "pbs-a")
        let centred = try Self.audit(Self.scene(psd: -31), [Self.grant()])
        #expect(centred.isEmpty, "\(centred)")
    }

    @Test("Time: transmitting after the window closes, and for longer than allowed, are reported from when they began")
    func time() throws {
        let outside = try Self.audit(Self.scene(psd: -35, from: 0.1, to: 0.5), [Self.grant(windowEnd: 0.3)])
        #expect(outside.map(\.rule) == ["outside_windows"], "\(outside)")
        #expect(abs(Self.seconds(outside.first?.startTime) - 0.3) < 0.1 && abs(Self.seconds(outside.first?.endTime) - 0.5) < 0.1)
        let long = try Self.audit(Self.scene(psd: -35, from: 0.1, to: 0.5), [Self.grant(occupancy: 0.15)])
        #expect(long.map(\.rule) == ["max_occupancy"], "\(long)")
        #expect(abs(Self.seconds(long.first?.startTime) - 0.25) < 0.1 && abs(Self.seconds(long.first?.endTime) - 0.5) < 0.1)
        #expect(try Self.audit(Self.scene(psd: -35, from: 0.1, to: 0.5), [Self.grant(windowEnd: 0.55, occupancy: 0.45)]).isEmpty)
    }

    @Test("Degradation: the MNO delivering under its nominal PSD or bandwidth is reported against the MNO")
    func degradation() throws {
        let nominal = Grant.Nominal(psdDbmPerMhz: -32, bandwidthHz: 800_000, toleranceDb: 3)
        let weak = try Self.audit(Self.scene(psd: -38), [Self.grant(nominal: nominal)])
        #expect(weak.map(\.rule) == ["nominal_psd"], "\(weak)")
        #expect(weak.first?.kind == .degradation && weak.first?.suspect == "mno-1")
        let narrow = try Self.audit(Self.scene(bandwidth: 300_000, psd: -32), [Self.grant(nominal: nominal)])
        #expect(narrow.map(\.rule) == ["nominal_bandwidth"], "\(narrow)")
        #expect(try Self.audit(Self.scene(psd: -34), [Self.grant(nominal: nominal)]).isEmpty)
    }

    @Test("A long compliant run raises no alarm", arguments: [UInt64(3), 4])
    func longCleanRun(seed: UInt64) throws {
        let nominal = Grant.Nominal(psdDbmPerMhz: -32, bandwidthHz: 800_000, toleranceDb: 3)
        let found = try Self.audit(Self.scene(psd: -31, duration: 2, seed: seed), [Self.grant(nominal: nominal)])
        #expect(found.isEmpty, "\(found)")
    }
}

@Suite("Audit: grants the sensor cannot see")
struct InvisibleGrantTests {
    @Test("A grant outside the recorded band is not judged (no degradation for a band the sensor cannot see)")
    func outsideBand() throws {
        let far = Grant(id: "far", holder: "x", mno: "mno-x", frequencyLow: AuditTests.centre + 5e6, frequencyHigh: AuditTests.centre + 6e6,
                        maxPsdDbmPerMhz: -30, outOfBandMaxPsdDbmPerMhz: -60,
                        windows: [Grant.Window(start: AuditTests.start, end: AuditTests.start.advanced(byNanoseconds: 10_000_000_000))],
                        maxOccupancySeconds: 10, nominal: Grant.Nominal(psdDbmPerMhz: -30, bandwidthHz: 500_000, toleranceDb: 3))
        let found = try AuditTests.audit(AuditTests.scene(psd: -31, duration: 0.3), [far])
        #expect(found.isEmpty, "\(found)")
    }
}
