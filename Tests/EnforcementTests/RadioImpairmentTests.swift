import Foundation
import Testing
import TestSupport
@testable import Enforcement
@testable import Signal
@testable import Spectrum

/// A synthetic scene passed through what a receiver does to it: an unannounced gain (dB, per
/// sample) and a DC offset added after it.
final class RadioFaultSource: IQSource {
    let inner: SyntheticSource
    let gainDB: (Int64) -> Double
    let dc: (Int64) -> IQ
    var stream: StreamDescription { inner.stream }

    init(_ scene: SyntheticScene, gainDB: @escaping (Int64) -> Double = { _ in 0 }, dc: @escaping (Int64) -> IQ = { _ in IQ(i: 0, q: 0) }) throws {
        inner = try SyntheticSource(scene: scene)
        self.gainDB = gainDB
        self.dc = dc
    }

    func read(into buffer: IQBuffer) throws(SignalError) -> BlockInfo? {
        guard let info = try inner.read(into: buffer) else { return nil }
        let samples = buffer.samples
        for k in 0..<info.count {
            let n = info.sampleIndex + Int64(k)
            let g = Float(pow(10, gainDB(n) / 20)), d = dc(n)
            samples[k] = IQ(i: samples[k].i * g + d.i, q: samples[k].q * g + d.q)
        }
        return info
    }
}

/// What real receivers do to a stream (DC offsets and their steps, unannounced gain changes)
/// against the audit: each fault is shown to accuse somebody when the audit reads the spectra
/// as `detect` does (the counterfactual), and not to once the screen is in.
@Suite("Audit: radio impairments")
struct RadioImpairmentTests {
    static let rate = AuditTests.rate

    /// The audit as it was before the screen: detect's spectra (DC kept), every one read.
    static func unscreened<S: IQSource>(_ grants: [Grant], _ makeSource: () throws -> S) throws -> [Violation] {
        let learned = try OccupancyAnalysis.learn(DetectionConfiguration(), source: try makeSource())
        let meter = GrantMeter(grants: grants, background: learned.background, threshold: learned.threshold, offsetDB: 0)
        let auditor = Auditor(meter: meter)
        var found: [Violation] = []
        var samples: Int64 = 0
        try OccupancyAnalysis.spectra(of: try makeSource(), welch: learned.welch, samples: &samples) { found += auditor.add($0) }
        return found + auditor.finish(timed: true)
    }

    static func seconds(_ s: Double) -> Int64 { Int64(s * rate) }

    /// The fault accuses somebody of `rule` when read unscreened, and nobody through the audit;
    /// returns the audit's report.
    static func accusesOnlyUnscreened<S: IQSource>(_ rule: String, _ grant: Grant, _ makeSource: () throws -> S) throws -> AuditReport {
        let before = try unscreened([grant], makeSource)
        #expect(before.contains { $0.rule == rule }, "\(before)")
        let report = try Audit.run(grants: [grant], source: makeSource)
        #expect(report.violations.isEmpty, "\(report.violations)")
        return report
    }

    @Test("Quickselect finds what sorting finds, ties and all")
    func selection() {
        var random = SeededRandom(seed: 9)
        for trial in 0..<200 {
            let count = 1 + trial % 70
            let values = (0..<count).map { _ in Float(random.next() % 16) }
            for k in [0, count / 4, count / 2, count - 1] {
                var work = values
                #expect(work.withUnsafeMutableBufferPointer { RadioImpairmentScreen.select($0, k) } == values.sorted()[k], "\(values) k=\(k)")
            }
        }
    }

    @Test("The histogram quantile lands within 1/64 of an octave of the sorted one")
    func histogramQuantile() {
        var random = SeededRandom(seed: 4)
        var counts: [UInt32] = []
        for trial in 0..<100 {
            let values = (0..<1024).map { _ in Float(-log(max(random.nextUnitInterval(), 1e-12))) * Float(trial + 1) * 1e-3 }
            for rank in [0, 256, 512, 921, 1023] {
                let found = values.withUnsafeBufferPointer { RadioImpairmentScreen.quantile($0, rank: rank, counts: &counts) }
                let truth = values.sorted()[rank]
                #expect(abs(log2(Double(found) / Double(truth))) <= 1.0 / 64, "rank \(rank): \(found) vs \(truth)")
            }
        }
    }

    @Test("A clean stream: no spectrum is flagged, and the audit finds what it found before")
    func cleanStream() throws {
        let scene = AuditTests.scene(psd: -31, duration: 2, seed: 5)
        let report = try Audit.run(grants: [AuditTests.grant()]) { try SyntheticSource(scene: scene) }
        #expect(report.violations.isEmpty && report.impairments.isEmpty, "\(report.violations) \(report.impairments)")
        // A strong burst's own skirts lift the floor across the band: its spectra are read with
        // the benefit of that doubt, and its 5 dB excess is still reported.
        let burst = AuditTests.scene(psd: -25, from: 0.2, to: 0.4)
        let found = try Audit.run(grants: [AuditTests.grant()]) { try SyntheticSource(scene: burst) }
        #expect(found.violations.map(\.rule) == ["max_psd"], "\(found.violations)")
        #expect(found.impairments.allSatisfy { $0.impairment == .floorShift && $0.worstDB < 3 }, "\(found.impairments)")
    }

    @Test("A steady DC offset (LO leakage) is no transmission: each segment's mean is taken out")
    func steadyOffset() throws {
        var scene = AuditTests.scene(psd: -31)
        scene.impairments = SyntheticScene.Impairments(dcOffsetI: 0.05, dcOffsetQ: -0.03)
        let grant = AuditTests.grant()
        // The centre is the edge of the grant's band: its mask starts there.
        let report = try Self.accusesOnlyUnscreened("oob_mask", grant) { try SyntheticSource(scene: scene) }
        #expect(report.impairments.isEmpty, "\(report.impairments)")
    }

    @Test("Steps of the DC splatter over the mask; the spectra holding them are kept out and nobody is accused")
    func dcSteps() throws {
        let scene = AuditTests.scene(psd: -31)
        // A quarter of full scale on for 20 ms of every 50 ms, as a receiver re-settling its offset would.
        let dc: (Int64) -> IQ = { n in (n % Self.seconds(0.05)) < Self.seconds(0.02) ? IQ(i: 0.25, q: 0.25) : IQ(i: 0, q: 0) }
        let grant = AuditTests.grant()
        let report = try Self.accusesOnlyUnscreened("oob_mask", grant) { try RadioFaultSource(scene, dc: dc) }
        // 24 steps in 0.6 s; each spoils the spectra whose segments straddle it (1–2 of them),
        // and stands 30 dB and more over the density around the centre.
        let spans = report.impairments.filter { $0.impairment == .dcStep }
        #expect((20...26).contains(spans.count), "\(spans.count) stretches")
        #expect(spans.allSatisfy { $0.spectra <= 2 && $0.worstDB > 30 }, "\(spans.map { ($0.startSample, $0.spectra, $0.worstDB) })")
        #expect(report.impairedSpectra[.floorShift] == nil)
    }

    @Test("A strong keyed carrier 40 bins off the centre is not taken for a DC step")
    func keyedCarrierOffCentre() throws {
        var scene = AuditTests.scene(psd: -31)
        scene.emitters.append(.init(kind: .ook, offsetHz: 100_000, powerDbfs: -15, startS: 0.05, symbolRate: 2_000, bits: 64, repeats: 4, repeatGapS: 0.02))
        let report = try Audit.run(grants: [AuditTests.grant()]) { try SyntheticSource(scene: scene) }
        #expect(report.impairedSpectra[.dcStep] == nil, "\(report.impairments)")
    }

    @Test("An unannounced gain step: its spectra are read with the limits widened by the step, so the carrier's 6 dB are not its own")
    func gainRise() throws {
        let scene = AuditTests.scene(psd: -33)
        let gain: (Int64) -> Double = { n in n >= Self.seconds(0.2) && n < Self.seconds(0.4) ? 6 : 0 }
        let grant = AuditTests.grant()
        let report = try Self.accusesOnlyUnscreened("max_psd", grant) { try RadioFaultSource(scene, gainDB: gain) }
        let shifted = report.impairments.filter { $0.impairment == .floorShift }
        // 0.2 s at 0.82 ms a spectrum (244 of them), one stretch, measured as the step it is.
        #expect(shifted.count == 1 && (242...247).contains(shifted[0].spectra), "\(shifted.map { ($0.startSample, $0.endSample, $0.spectra, $0.worstDB) })")
        #expect(abs(shifted[0].worstDB - 6) < 0.6, "\(shifted)")
        #expect(abs(Double(shifted[0].startSample) / Self.rate - 0.2) < 0.005, "\(shifted)")
        // A real excess beyond the step is still reported: +9 dB over the limit read through +6 dB of gain.
        let loud = AuditTests.scene(psd: -21)
        let stillLoud = try Audit.run(grants: [grant]) { try RadioFaultSource(loud, gainDB: gain) }
        #expect(stillLoud.violations.map(\.rule) == ["max_psd"], "\(stillLoud.violations)")
    }

    @Test("A gain drop does not make the operator's service look degraded")
    func gainDrop() throws {
        let nominal = Grant.Nominal(psdDbmPerMhz: -32, bandwidthHz: 800_000, toleranceDb: 3)
        let grant = AuditTests.grant(nominal: nominal)
        let scene = AuditTests.scene(psd: -31)
        let gain: (Int64) -> Double = { n in n >= Self.seconds(0.2) && n < Self.seconds(0.45) ? -6 : 0 }
        let report = try Self.accusesOnlyUnscreened("nominal_psd", grant) { try RadioFaultSource(scene, gainDB: gain) }
        #expect(report.impairments.contains { $0.impairment == .floorShift && abs($0.worstDB + 6) < 0.6 }, "\(report.impairments)")
    }

    @Test("A transmission outside its window is still reported through a gain step")
    func timeViolationKept() throws {
        let scene = AuditTests.scene(psd: -35, from: 0.1, to: 0.5)
        let gain: (Int64) -> Double = { n in n >= Self.seconds(0.2) && n < Self.seconds(0.4) ? 6 : 0 }
        let report = try Audit.run(grants: [AuditTests.grant(windowEnd: 0.3)]) { try RadioFaultSource(scene, gainDB: gain) }
        #expect(report.violations.map(\.rule) == ["outside_windows"], "\(report.violations)")
        #expect(abs(AuditTests.seconds(report.violations.first?.startTime) - 0.3) < 0.1)
    }
}
