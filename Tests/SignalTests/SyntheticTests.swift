import Foundation
import Testing
import TestSupport
@testable import Signal

/// The generator is the truth behind later detector tests, so its own truth is checked here
/// against closed forms and against scipy.
@Suite("Synthetic signal generator")
struct SyntheticTests {
    static func samples(_ scene: SyntheticScene, blockSize: Int = 4096) throws -> [IQ] {
        let source = try SyntheticSource(scene: scene)
        let buffer = IQBuffer(capacity: blockSize)
        var all: [IQ] = []
        all.reserveCapacity(Int(scene.sampleCount))
        while try source.read(into: buffer) != nil { all += buffer.copySamples() }
        return all
    }

    static func dB(_ x: Double) -> Double { 10 * log10(x) }

    static func meanPower(_ x: ArraySlice<IQ>) -> Double { x.reduce(0.0) { $0 + Double($1.power) } / Double(x.count) }

    /// Power of the component of `x` at `frequency` (a matched-filter projection).
    static func tonePower(_ x: [IQ], frequency: Double, sampleRate: Double) -> Double {
        var re = 0.0, im = 0.0
        for (n, s) in x.enumerated() {
            let phase = -2 * Double.pi * frequency * Double(n) / sampleRate
            re += Double(s.i) * cos(phase) - Double(s.q) * sin(phase)
            im += Double(s.i) * sin(phase) + Double(s.q) * cos(phase)
        }
        return (re * re + im * im) / Double(x.count * x.count)
    }

    @Test("Noise has the requested total power", arguments: [-60.0, -30.0, -3.0])
    func noisePower(dbfs: Double) throws {
        let x = try Self.samples(SyntheticScene(sampleRate: 1e6, durationS: 0.2, seed: 1, noiseDbfs: dbfs))
        // 200 000 samples: the estimate's standard deviation is about 0.01 dB.
        #expect(abs(Self.dB(Self.meanPower(x[...])) - dbfs) < 0.05)
    }

    @Test("A tone sits at its offset with its power, and nowhere else")
    func tone() throws {
        let scene = SyntheticScene(sampleRate: 1e6, durationS: 0.05, seed: 2,
                                   emitters: [.init(kind: .tone, offsetHz: 123_456, powerDbfs: -20)])
        let x = try Self.samples(scene)
        #expect(abs(Self.dB(Self.tonePower(x, frequency: 123_456, sampleRate: 1e6)) - -20) < 0.01)
        #expect(Self.dB(Self.tonePower(x, frequency: 124_456, sampleRate: 1e6)) < -80)
    }

    @Test("A burst starts and stops on the exact samples it was given")
    func burstEdges() throws {
        let scene = SyntheticScene(sampleRate: 1e6, durationS: 0.01, seed: 3,
                                   emitters: [.init(kind: .tone, offsetHz: 10_000, powerDbfs: -10, startS: 0.002, endS: 0.0065)])
        let x = try Self.samples(scene, blockSize: 777)
        let on = x.indices.filter { x[$0].power > 0 }
        #expect(on.first == 2000)
        #expect(on.last == 6499)
        #expect(on.count == 4500)
        #expect(scene.span(of: scene.emitters[0]) == 2000..<6500)
    }

    @Test("Output does not depend on the block size, and repeats for one seed")
    func determinism() throws {
        let scene = SyntheticScene(sampleRate: 2e6, durationS: 0.01, seed: 4, noiseDbfs: -40,
                                   emitters: [.init(kind: .carrier, offsetHz: -300_000, psdDbfsPerMhz: -20, bandwidthHz: 400_000,
                                                    subcarriers: 32, startS: 0.001, endS: 0.009),
                                              .init(kind: .tone, offsetHz: 500_000, powerDbfs: -25)])
        let a = try Self.samples(scene, blockSize: 4096)
        let b = try Self.samples(scene, blockSize: 1000)
        let c = try Self.samples(scene, blockSize: 4096)
        #expect(a == c)
        // Oscillators restart their phasors at block edges; the rounding differs in the last bits only.
        let worst = zip(a, b).map { max(abs($0.i - $1.i), abs($0.q - $1.q)) }.max() ?? 0
        #expect(worst < 1e-5)
        var other = scene
        other.seed = 5
        #expect(try Self.samples(other) != a)
    }

    @Test("A carrier fills its bandwidth at the requested PSD and stays inside it (scipy Welch)",
          .enabled(if: Oracle.sigmf))
    func carrierSpectrum() throws {
        let scene = SyntheticScene(sampleRate: 2e6, centerHz: 2.4e9, durationS: 0.5, seed: 6, noiseDbfs: -70,
                                   emitters: [.init(kind: .carrier, label: "user A", offsetHz: 250_000, psdDbfsPerMhz: -30,
                                                    bandwidthHz: 500_000, subcarriers: 128)])
        let meta = try Paths.scratch().appendingPathComponent("carrier.sigmf-meta").path
        try scene.write(to: meta)
        let out = try Oracle.script("""
            import sys, numpy as np, scipy.signal as ss
            x = np.fromfile(sys.argv[1].replace('-meta', '-data'), dtype=np.complex64)
            f, p = ss.welch(x, fs=2e6, nperseg=4096, return_onesided=False, scaling='density')
            inner = (f > 250e3 - 200e3) & (f < 250e3 + 200e3)
            band = (f > 0) & (f < 500e3)
            total = p.sum()
            print(10 * np.log10(p[inner].mean() * 1e6), p[band].sum() / total)
            """, [meta])
        let values = out.split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(abs(values[0] - -30) < 0.5, "in-band PSD \(values[0]) dBFS/MHz")
        #expect(values[1] > 0.99, "only \(values[1]) of the power inside the carrier's band")
    }

    @Test("Impairments: DC offset, IQ gain imbalance and LO error appear as specified")
    func impairments() throws {
        let scene = SyntheticScene(sampleRate: 1e6, durationS: 0.1, seed: 7, noiseDbfs: -20,
                                   emitters: [.init(kind: .tone, offsetHz: 50_000, powerDbfs: -30)],
                                   impairments: .init(dcOffsetI: 0.02, dcOffsetQ: -0.01, iqGainImbalanceDb: 3, frequencyErrorHz: 1_500))
        let x = try Self.samples(scene)
        let meanI = x.reduce(0.0) { $0 + Double($1.i) } / Double(x.count)
        let meanQ = x.reduce(0.0) { $0 + Double($1.q) } / Double(x.count)
        #expect(abs(meanI - 0.02) < 0.001 && abs(meanQ - -0.01) < 0.001)
        let varI = x.reduce(0.0) { $0 + pow(Double($1.i) - meanI, 2) } / Double(x.count)
        let varQ = x.reduce(0.0) { $0 + pow(Double($1.q) - meanQ, 2) } / Double(x.count)
        #expect(abs(Self.dB(varQ / varI) - 3) < 0.1)
        // The tone appears shifted by the LO error (the gain imbalance also leaves an image at −f).
        #expect(Self.dB(Self.tonePower(x, frequency: 51_500, sampleRate: 1e6)) > -32)
        #expect(Self.dB(Self.tonePower(x, frequency: 50_000, sampleRate: 1e6)) < -55)
        #expect(scene.truthAnnotations()[0].freqLowerEdge == 51_500)
    }

    @Test("Written scenes carry their truth as SigMF annotations and pass sigmf_validate", .enabled(if: Oracle.sigmf))
    func truthAnnotations() throws {
        let scene = SyntheticScene(sampleRate: 1e6, centerHz: 915e6, durationS: 0.02, seed: 8, startTime: "2026-11-24T06:00:00Z",
                                   noiseDbfs: -50,
                                   emitters: [.init(kind: .tone, label: "beacon", offsetHz: -200_000, powerDbfs: -20),
                                              .init(kind: .carrier, label: "intruder", offsetHz: 100_000, psdDbfsPerMhz: -25,
                                                    bandwidthHz: 200_000, startS: 0.005, endS: 0.015)])
        let meta = try Paths.scratch().appendingPathComponent("scene.sigmf-meta").path
        try scene.write(to: meta, format: .ci16LE)
        let recording = try Recording.open(meta)
        let notes = recording.metadata.annotations
        #expect(notes.map(\.label) == ["beacon", "intruder"])
        #expect(notes[1].sampleStart == 5_000 && notes[1].sampleCount == 10_000)
        #expect(notes[1].freqLowerEdge == 915.0e6 && notes[1].freqUpperEdge == 915.2e6)
        #expect(notes[1].extra["trustband:power_dbfs"] == .number(-25 + 10 * log10(0.2)))
        #expect(recording.metadata.captures[0].datetime?.rfc3339 == "2026-11-24T06:00:00Z")
        let validation = try Oracle.validate(meta)
        #expect(validation.ok, "\(validation.output)")
    }

    @Test("Impossible scenes are refused with the field named",
          arguments: [(#"{"sample_rate": 1e6, "duration_s": 1, "seed": 1, "emitters": [{"kind": "tone", "offset_hz": 600000, "power_dbfs": -10}]}"#, "emitters[0].offset_hz"),
                      (#"{"sample_rate": 1e6, "duration_s": 1, "seed": 1, "emitters": [{"kind": "carrier", "offset_hz": 0, "power_dbfs": -10}]}"#, "emitters[0].bandwidth_hz"),
                      (#"{"sample_rate": -1, "duration_s": 1, "seed": 1, "emitters": []}"#, "sample_rate"),
                      (#"{"sample_rate": 1e6, "seed": 1, "emitters": []}"#, "duration_s"),
                      (#"{"sample_rate": 1e6, "duration_s": 1, "seed": 1, "emitters": [{"kind": "laser", "offset_hz": 0}]}"#, "emitters[0].kind")])
    func invalidScenes(json: String, field: String) {
        let error = #expect(throws: SignalError.self) { try SyntheticScene.decode(json: Data(json.utf8), path: "scene.json") }
        #expect(error?.description.contains(field) == true, "\(String(describing: error))")
    }
}
