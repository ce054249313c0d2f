import Foundation

/// What a keyed emitter (`ook`, `fsk`) sends and when: its packets, which are the truth a
/// detector is graded against, and the constant-frequency pieces that make them up. The same
/// payload is sent in every repeat, as real remotes repeat their packet.
public struct KeyedSchedule: Sendable, Equatable {
    /// One constant-frequency stretch of carrier, [start, end) in samples, and the phase the
    /// carrier has at its first sample (continuous within an FSK packet).
    public struct Piece: Sendable, Equatable {
        public var range: Range<Int64>
        public var offsetHz: Double
        public var startPhase: Double
    }

    /// Each packet's [first on-sample, last on-sample + 1).
    public var packets: [Range<Int64>]
    public var pieces: [Piece]

    public init(emitter: SyntheticScene.Emitter, scene: SyntheticScene, seed: UInt64) {
        let unit = scene.sampleRate / (emitter.symbolRate ?? 1)
        let offset = scene.apparentOffset(of: emitter)
        var random = SeededRandom(seed: seed)
        let payload = (0..<(emitter.bits ?? 0)).map { _ in random.next() & 1 == 1 }
        var packets: [Range<Int64>] = []
        var pieces: [Piece] = []
        var t = (emitter.startS ?? 0) * scene.sampleRate
        let gap = (emitter.repeatGapS ?? 0) * scene.sampleRate
        func sample(_ x: Double) -> Int64 { Int64(x.rounded()) }
        for _ in 0..<(emitter.repeats ?? 1) {
            let start = t
            var phase = 0.0
            for (n, bit) in payload.enumerated() {
                switch emitter.kind {
                case .ook:
                    let on = bit ? 2.0 : 1.0
                    let range = sample(t)..<sample(t + on * unit)
                    pieces.append(Piece(range: range, offsetHz: offset, startPhase: 2 * .pi * offset * Double(range.lowerBound) / scene.sampleRate))
                    // The packet ends with its last pulse; a repeat's gap counts from there.
                    t += n == payload.count - 1 ? on * unit : 3 * unit
                default:
                    let f = offset + (bit ? 1 : -1) * (emitter.deviationHz ?? 0)
                    let range = sample(t)..<sample(t + unit)
                    pieces.append(Piece(range: range, offsetHz: f, startPhase: phase))
                    phase = (phase + 2 * .pi * f * Double(range.count) / scene.sampleRate).truncatingRemainder(dividingBy: 2 * .pi)
                    t += unit
                }
            }
            packets.append(sample(start)..<sample(t))
            t += gap
        }
        let end = scene.sampleCount
        self.packets = packets.compactMap { $0.lowerBound < end ? $0.lowerBound..<min($0.upperBound, end) : nil }
        self.pieces = pieces.filter { $0.range.lowerBound < end && !$0.range.isEmpty }
    }

    /// Adds the pieces that fall in [firstSample, firstSample + out.count) at `amplitude`.
    func add(into out: UnsafeMutableBufferPointer<IQ>, firstSample: Int64, amplitude: Double, sampleRate: Double,
             from pieceIndex: inout Int) {
        let blockEnd = firstSample + Int64(out.count)
        while pieceIndex < pieces.count, pieces[pieceIndex].range.upperBound <= firstSample { pieceIndex += 1 }
        var k = pieceIndex
        while k < pieces.count, pieces[k].range.lowerBound < blockEnd {
            let piece = pieces[k]
            let from = max(firstSample, piece.range.lowerBound), to = min(blockEnd, piece.range.upperBound)
            let step = 2 * Double.pi * piece.offsetHz / sampleRate
            let phase0 = piece.startPhase + step * Double(from - piece.range.lowerBound)
            var (pr, pi) = (cos(phase0) * amplitude, sin(phase0) * amplitude)
            let (rr, ri) = (cos(step), sin(step))
            for n in from..<to {
                let index = Int(n - firstSample)
                out[index].i += Float(pr)
                out[index].q += Float(pi)
                (pr, pi) = (pr * rr - pi * ri, pr * ri + pi * rr)
            }
            k += 1
        }
    }
}
