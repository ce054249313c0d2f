import Foundation
import Signal

/// The synthetic scenes detect is graded on besides real recordings, each with its truth:
/// OOK and FSK packets repeated at gaps from 0.2 to 50 ms, short wideband bursts of 32 to 256
/// samples, a long carrier, and a train of 20 OOK packets, each at in-band SNRs from 3 to 30 dB.
///
/// SNR is in-band: the emitter's power over the noise in its true −10 dB band. Where a gap
/// between repeats must stay distinguishable from the keying inside a packet (no detector can
/// tell a 0.2 ms repeat gap from a 0.2 ms run of zeros), the symbol rate is chosen so that
/// the repeat gap is at least ten symbol units (five times the longest gap inside a packet),
/// as real protocols make it.
public enum SyntheticCatalogue {
    public struct Case: Sendable {
        public var name: String
        public var scene: SyntheticScene
        public var snrDB: Double

        /// The scene's packets as truth bursts (relative frequencies).
        public var truth: [TruthBurst] {
            scene.truthPackets().map { p in
                TruthBurst(startSample: p.span.lowerBound, endSample: p.span.upperBound, peakOffsetHz: p.peakHz,
                           band10DbHz: [p.lowHz, p.highHz], snrDb: snrDB)
            }
        }
    }

    public static let gapsSeconds = [0.0002, 0.001, 0.005, 0.02, 0.05]
    public static let snrsDB = [3.0, 10, 20, 30]
    static let noiseDBFS = -60.0

    /// Every case, at every SNR in `snrs`.
    public static func cases(snrs: [Double] = snrsDB, seed: UInt64 = 1) -> [Case] {
        var cases: [Case] = []
        for snr in snrs {
            for (g, gap) in gapsSeconds.enumerated() {
                let rate = min(100_000, max(2_000, 10 / gap))
                cases.append(keyed(.ook, gap: gap, symbolRate: rate, snr: snr, seed: seed &+ UInt64(10 * g)))
                cases.append(keyed(.fsk, gap: gap, symbolRate: rate, snr: snr, seed: seed &+ UInt64(10 * g + 1)))
            }
            cases.append(shortBursts(snr: snr, seed: seed &+ 100))
            cases.append(longCarrier(snr: snr, seed: seed &+ 200))
            cases.append(ookTrain(snr: snr, seed: seed &+ 300))
        }
        return cases
    }

    private static func power(snr: Double, bandwidth: Double, sampleRate: Double) -> Double {
        noiseDBFS + snr + 10 * log10(bandwidth / sampleRate)
    }

    static func keyed(_ kind: SyntheticScene.Emitter.Kind, gap: Double, symbolRate: Double, snr: Double, seed: UInt64,
                      repeats: Int = 3) -> Case {
        let sampleRate = 1_000_000.0
        let bits = 24
        let deviation = max(10_000, 2 * symbolRate)
        let unit = 1 / symbolRate
        let packet = kind == .ook ? Double(3 * bits - 1) * unit : Double(bits) * unit
        let duration = 0.004 + Double(repeats) * packet + Double(repeats - 1) * gap + 0.004
        let halfBand = kind == .ook ? symbolRate : deviation + symbolRate / 2
        let offset = kind == .ook ? 60_000.0 : -120_000.0
        var emitter = SyntheticScene.Emitter(kind: kind, label: "\(kind.rawValue) \(Int(symbolRate)) Bd",
                                             offsetHz: offset, powerDbfs: power(snr: snr, bandwidth: 2 * halfBand, sampleRate: sampleRate),
                                             startS: 0.004, symbolRate: symbolRate, bits: bits, repeats: repeats, repeatGapS: gap)
        if kind == .fsk { emitter.deviationHz = deviation }
        let scene = SyntheticScene(sampleRate: sampleRate, durationS: duration, seed: seed, noiseDbfs: noiseDBFS, emitters: [emitter])
        return Case(name: String(format: "%@-gap%gms-snr%.0f", kind.rawValue, gap * 1000, snr), scene: scene, snrDB: snr)
    }

    /// Wideband bursts of 32 to 256 samples at 2 MS/s, 0.2 to 2 ms apart (ADS-B replies are 128–240).
    static func shortBursts(snr: Double, seed: UInt64) -> Case {
        let sampleRate = 2_000_000.0
        var emitters: [SyntheticScene.Emitter] = []
        var t = 0.002
        let lengths = [32, 64, 128, 256, 32, 64, 128, 256, 48, 96]
        let gaps = [0.0002, 0.0005, 0.001, 0.002, 0.0003, 0.0007, 0.0015, 0.0002, 0.001, 0.0005]
        for (n, length) in lengths.enumerated() {
            let bandwidth = 4 * sampleRate / Double(length)
            let duration = Double(length) / sampleRate
            emitters.append(SyntheticScene.Emitter(kind: .carrier, label: "burst \(length)", offsetHz: 200_000,
                                                   powerDbfs: power(snr: snr, bandwidth: bandwidth, sampleRate: sampleRate),
                                                   bandwidthHz: bandwidth, subcarriers: 8, startS: t, endS: t + duration))
            t += duration + gaps[n]
        }
        let scene = SyntheticScene(sampleRate: sampleRate, durationS: t + 0.002, seed: seed, noiseDbfs: noiseDBFS, emitters: emitters)
        return Case(name: String(format: "short-bursts-snr%.0f", snr), scene: scene, snrDB: snr)
    }

    /// A sensor repeating its packet: 20 OOK packets of 2000 Bd, 50 ms apart (1.67 s). A
    /// channel with many windows, where one stray member or one long gap between windows used
    /// to decide for all of them (docs/spectrum.md, "Packets and transmissions").
    static func ookTrain(snr: Double, seed: UInt64) -> Case {
        var item = keyed(.ook, gap: 0.05, symbolRate: 2000, snr: snr, seed: seed, repeats: 20)
        item.name = String(format: "ook-train20-snr%.0f", snr)
        return item
    }

    /// A 100 kHz carrier on for 60 % of the recording.
    static func longCarrier(snr: Double, seed: UInt64) -> Case {
        let sampleRate = 1_000_000.0
        let emitter = SyntheticScene.Emitter(kind: .carrier, label: "long carrier", offsetHz: -250_000,
                                             powerDbfs: power(snr: snr, bandwidth: 100_000, sampleRate: sampleRate),
                                             bandwidthHz: 100_000, subcarriers: 32, startS: 0.03, endS: 0.15)
        let scene = SyntheticScene(sampleRate: sampleRate, durationS: 0.2, seed: seed, noiseDbfs: noiseDBFS, emitters: [emitter])
        return Case(name: String(format: "long-carrier-snr%.0f", snr), scene: scene, snrDB: snr)
    }
}
