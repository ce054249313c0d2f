import Foundation

/// A synthetic radio scene with known truth: noise, tones and OFDM-like carriers (each may be
/// a burst with a start and an end), and receiver impairments. Read from JSON (snake_case keys):
///
/// ```json
/// {"sample_rate": 1000000, "center_hz": 433920000, "duration_s": 0.5, "seed": 7,
///  "start_time": "2026-11-24T06:00:00Z", "noise_dbfs": -60,
///  "emitters": [{"kind": "carrier", "offset_hz": 100000, "bandwidth_hz": 200000,
///                "psd_dbfs_per_mhz": -30, "start_s": 0.1, "end_s": 0.3, "label": "user A"}],
///  "impairments": {"dc_offset_i": 0.01, "iq_gain_imbalance_db": 0.5, "frequency_error_hz": 120}}
/// ```
public struct SyntheticScene: Sendable, Equatable, Codable {
    public var sampleRate: Double
    public var centerHz: Double?
    public var durationS: Double
    public var seed: UInt64
    public var startTime: String?
    /// Total complex noise power over the whole band, in dBFS; nil for no noise.
    public var noiseDbfs: Double?
    public var emitters: [Emitter]
    public var impairments: Impairments?

    public init(sampleRate: Double, centerHz: Double? = nil, durationS: Double, seed: UInt64, startTime: String? = nil,
                noiseDbfs: Double? = nil, emitters: [Emitter] = [], impairments: Impairments? = nil) {
        self.sampleRate = sampleRate
        self.centerHz = centerHz
        self.durationS = durationS
        self.seed = seed
        self.startTime = startTime
        self.noiseDbfs = noiseDbfs
        self.emitters = emitters
        self.impairments = impairments
    }

    /// One transmitter.
    public struct Emitter: Sendable, Equatable, Codable {
        public enum Kind: String, Sendable, Codable {
            /// A continuous-wave carrier.
            case tone
            /// An OFDM-like carrier: `subcarriers` QPSK subcarriers filling `bandwidth_hz`.
            case carrier
            /// On-off keyed packets of `bits` pulse-width-coded bits at `symbol_rate` (a 0 is
            /// one unit on and two off, a 1 two on and one off), as ISM remotes and sensors send.
            case ook
            /// Continuous-phase 2-FSK packets of `bits` bits at `symbol_rate`, tones at
            /// `offset_hz ± deviation_hz`.
            case fsk
        }

        public var kind: Kind
        public var label: String?
        /// Centre frequency relative to the capture centre, in Hz.
        public var offsetHz: Double
        /// Total power in dBFS (give this or `psdDbfsPerMhz`).
        public var powerDbfs: Double?
        /// Power spectral density in dBFS per MHz (carriers only).
        public var psdDbfsPerMhz: Double?
        public var bandwidthHz: Double?
        public var subcarriers: Int?
        /// Burst start and end in seconds from the start of the scene (default: the whole scene).
        /// Keyed packets (`ook`, `fsk`) start at `start_s` and last as long as their bits.
        public var startS: Double?
        public var endS: Double?
        /// Keyed packets: symbols per second (a PWM unit for `ook`), bits per packet, FSK deviation.
        public var symbolRate: Double?
        public var bits: Int?
        public var deviationHz: Double?
        /// The packet is sent `repeats` times in all, `repeat_gap_s` apart (end to start).
        public var repeats: Int?
        public var repeatGapS: Double?

        public init(kind: Kind, label: String? = nil, offsetHz: Double, powerDbfs: Double? = nil, psdDbfsPerMhz: Double? = nil,
                    bandwidthHz: Double? = nil, subcarriers: Int? = nil, startS: Double? = nil, endS: Double? = nil,
                    symbolRate: Double? = nil, bits: Int? = nil, deviationHz: Double? = nil, repeats: Int? = nil,
                    repeatGapS: Double? = nil) {
            self.kind = kind
            self.label = label
            self.offsetHz = offsetHz
            self.powerDbfs = powerDbfs
            self.psdDbfsPerMhz = psdDbfsPerMhz
            self.bandwidthHz = bandwidthHz
            self.subcarriers = subcarriers
            self.startS = startS
            self.endS = endS
            self.symbolRate = symbolRate
            self.bits = bits
            self.deviationHz = deviationHz
            self.repeats = repeats
            self.repeatGapS = repeatGapS
        }

        /// True for the kinds sent as keyed packets.
        public var isKeyed: Bool { kind == .ook || kind == .fsk }

        /// Total power in dBFS, from `powerDbfs` or from the PSD and bandwidth.
        public var totalPowerDbfs: Double {
            if let powerDbfs { return powerDbfs }
            return (psdDbfsPerMhz ?? 0) + 10 * log10((bandwidthHz ?? 1e6) / 1e6)
        }
    }

    /// Receiver impairments applied to the whole received signal.
    public struct Impairments: Sendable, Equatable, Codable {
        public var dcOffsetI: Double?
        public var dcOffsetQ: Double?
        /// Q gain relative to I, in dB.
        public var iqGainImbalanceDb: Double?
        /// Q phase error, in degrees.
        public var iqPhaseImbalanceDeg: Double?
        /// Local-oscillator error: every emitter appears this far from where it transmits.
        public var frequencyErrorHz: Double?

        public init(dcOffsetI: Double? = nil, dcOffsetQ: Double? = nil, iqGainImbalanceDb: Double? = nil,
                    iqPhaseImbalanceDeg: Double? = nil, frequencyErrorHz: Double? = nil) {
            self.dcOffsetI = dcOffsetI
            self.dcOffsetQ = dcOffsetQ
            self.iqGainImbalanceDb = iqGainImbalanceDb
            self.iqPhaseImbalanceDeg = iqPhaseImbalanceDeg
            self.frequencyErrorHz = frequencyErrorHz
        }
    }

    /// Number of samples in the scene.
    public var sampleCount: Int64 { Int64((durationS * sampleRate).rounded()) }

    /// The random seed of emitter `n`'s own signal (symbols, payload).
    static func emitterSeed(_ seed: UInt64, _ n: Int) -> UInt64 { seed &+ 0x9E37_79B9 &* UInt64(n + 1) }

    /// What keyed emitter `n` sends and when (its packets are its truth).
    public func schedule(ofEmitter n: Int) -> KeyedSchedule {
        KeyedSchedule(emitter: emitters[n], scene: self, seed: Self.emitterSeed(seed, n))
    }

    /// The sample span `[start, end)` of an emitter (for a keyed one, its first packet's
    /// start to its last packet's end).
    public func span(of emitter: Emitter) -> Range<Int64> {
        if emitter.isKeyed, let n = emitters.firstIndex(of: emitter) {
            let packets = schedule(ofEmitter: n).packets
            guard let first = packets.first, let last = packets.last else { return 0..<0 }
            return first.lowerBound..<last.upperBound
        }
        let start = Int64(((emitter.startS ?? 0) * sampleRate).rounded())
        let end = Int64(((emitter.endS ?? durationS) * sampleRate).rounded())
        return max(0, start)..<min(sampleCount, max(start, end))
    }

    /// The frequency (relative to the centre) at which an emitter appears, LO error included.
    public func apparentOffset(of emitter: Emitter) -> Double {
        emitter.offsetHz + (impairments?.frequencyErrorHz ?? 0)
    }

    /// Reads a scene from JSON, rejecting impossible values with the field named.
    public static func decode(json data: Data, path: String) throws(SignalError) -> SyntheticScene {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let scene: SyntheticScene
        do {
            scene = try decoder.decode(SyntheticScene.self, from: data)
        } catch let error as DecodingError {
            throw .invalidArgument(name: path, problem: Self.describe(error))
        } catch {
            throw .invalidArgument(name: path, problem: "\(error)")
        }
        try scene.validate(path: path)
        return scene
    }

    /// Checks every value is physically meaningful.
    public func validate(path: String = "scene") throws(SignalError) {
        func fail(_ field: String, _ problem: String) -> SignalError { .invalidArgument(name: "\(path): \(field)", problem: problem) }
        guard sampleRate.isFinite, sampleRate > 0 else { throw fail("sample_rate", "\(sampleRate) must be > 0") }
        guard durationS.isFinite, durationS > 0, sampleCount <= 4_000_000_000 else { throw fail("duration_s", "\(durationS) must be > 0 and at most 4e9 samples") }
        if let startTime {
            do { _ = try Timestamp(rfc3339: startTime) } catch { throw fail("start_time", error.description) }
        }
        for (n, e) in emitters.enumerated() {
            let field = "emitters[\(n)]"
            if abs(apparentOffset(of: e)) >= sampleRate / 2 { throw fail("\(field).offset_hz", "\(e.offsetHz) Hz is outside ±\(sampleRate / 2) Hz") }
            if e.powerDbfs == nil && e.psdDbfsPerMhz == nil { throw fail(field, "give power_dbfs or psd_dbfs_per_mhz") }
            if e.kind == .carrier {
                guard let bw = e.bandwidthHz, bw > 0, bw < sampleRate else { throw fail("\(field).bandwidth_hz", "a carrier needs 0 < bandwidth_hz < sample_rate") }
                if let n = e.subcarriers, !(1...4096).contains(n) { throw fail("\(field).subcarriers", "\(n) must be 1…4096") }
            }
            if let s = e.startS, let end = e.endS, end <= s { throw fail("\(field).end_s", "\(end) is not after start_s \(s)") }
            if e.isKeyed {
                guard let rate = e.symbolRate, rate > 0, rate <= sampleRate / 2 else { throw fail("\(field).symbol_rate", "a keyed emitter needs 0 < symbol_rate ≤ sample_rate/2") }
                guard let bits = e.bits, (1...100_000).contains(bits) else { throw fail("\(field).bits", "a keyed emitter needs 1…100000 bits") }
                if e.kind == .fsk, !((e.deviationHz ?? 0) > 0) { throw fail("\(field).deviation_hz", "an fsk emitter needs deviation_hz > 0") }
            }
            if let r = e.repeats, !(1...10_000).contains(r) { throw fail("\(field).repeats", "\(r) must be 1…10000") }
            if let g = e.repeatGapS, !(g.isFinite && g >= 0) { throw fail("\(field).repeat_gap_s", "\(g) must be ≥ 0") }
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        // Keys are reported as they are spelt in the JSON (snake_case), not as Swift names them.
        func snake(_ key: String) -> String {
            key.reduce(into: "") { text, c in text += c.isUppercase ? "_" + c.lowercased() : String(c) }
        }
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\(snake($0.stringValue))" }.joined()
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context)).\(snake(key.stringValue)): is required"
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return "\(path(context)): \(context.debugDescription)"
        case .dataCorrupted(let context): return "\(path(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
