import Foundation

/// Generates a `SyntheticScene` block by block: an `IQSource` with known truth. Output is the
/// same whatever the block size (all state carries across blocks), and the same on every run
/// for one seed.
public final class SyntheticSource: IQSource {
    public let scene: SyntheticScene
    public let stream: StreamDescription
    private var position: Int64 = 0
    private var noise: SeededRandom
    private var oscillators: [Oscillator]
    private let startTime: Timestamp?

    public init(scene: SyntheticScene) throws(SignalError) {
        try scene.validate()
        self.scene = scene
        stream = StreamDescription(sampleRate: scene.sampleRate, centerFrequency: scene.centerHz, label: "synthetic(seed \(scene.seed))")
        noise = SeededRandom(seed: scene.seed)
        oscillators = scene.emitters.enumerated().map { n, emitter in
            Oscillator(emitter: emitter, scene: scene, seed: scene.seed &+ 0x9E37_79B9 &* UInt64(n + 1))
        }
        startTime = try scene.startTime.map { (text) throws(SignalError) in try Timestamp(rfc3339: text) }
    }

    public func read(into buffer: IQBuffer) throws(SignalError) -> BlockInfo? {
        guard position < scene.sampleCount else { return nil }
        let count = Int(min(Int64(buffer.capacity), scene.sampleCount - position))
        buffer.count = count
        let out = buffer.samples
        let noiseSigma = scene.noiseDbfs.map { (pow(10, $0 / 10) / 2).squareRoot() } ?? 0
        for k in 0..<count {
            var i = 0.0, q = 0.0
            if noiseSigma > 0 {
                i = noise.nextGaussian() * noiseSigma
                q = noise.nextGaussian() * noiseSigma
            }
            out[k] = IQ(i: Float(i), q: Float(q))
        }
        for n in oscillators.indices {
            oscillators[n].add(into: out, firstSample: position)
        }
        if let impairments = scene.impairments { apply(impairments, to: out) }
        let info = BlockInfo(sampleIndex: position, count: count,
                             time: startTime?.advanced(bySamples: position, sampleRate: scene.sampleRate),
                             centerFrequency: scene.centerHz)
        position += Int64(count)
        return info
    }

    private func apply(_ impairments: SyntheticScene.Impairments, to out: UnsafeMutableBufferPointer<IQ>) {
        let gain = pow(10, (impairments.iqGainImbalanceDb ?? 0) / 20)
        let phase = (impairments.iqPhaseImbalanceDeg ?? 0) * Double.pi / 180
        let (c, s) = (Float(gain * cos(phase)), Float(gain * sin(phase)))
        let (dcI, dcQ) = (Float(impairments.dcOffsetI ?? 0), Float(impairments.dcOffsetQ ?? 0))
        for k in out.indices {
            let x = out[k]
            // Q' = g·(Q·cos φ − I·sin φ): a receiver whose Q branch has gain g and phase error φ.
            out[k] = IQ(i: x.i + dcI, q: c * x.q - s * x.i + dcQ)
        }
    }
}

/// One emitter's signal generator: a tone, or an OFDM-like sum of QPSK subcarriers whose
/// symbols change every 1/Δf seconds.
struct Oscillator {
    let span: Range<Int64>
    let frequencies: [Double]
    let amplitude: Double
    let symbolLength: Int64
    let sampleRate: Double
    var symbols: [(Double, Double)]
    var random: SeededRandom
    var symbolIndex: Int64 = -1

    init(emitter: SyntheticScene.Emitter, scene: SyntheticScene, seed: UInt64) {
        span = scene.span(of: emitter)
        sampleRate = scene.sampleRate
        let centre = scene.apparentOffset(of: emitter)
        let power = pow(10, emitter.totalPowerDbfs / 10)
        random = SeededRandom(seed: seed)
        switch emitter.kind {
        case .tone:
            frequencies = [centre]
            amplitude = power.squareRoot()
            symbolLength = .max
            symbols = [(1, 0)]
        case .carrier:
            let n = emitter.subcarriers ?? 64
            let bandwidth = emitter.bandwidthHz ?? 0
            let spacing = bandwidth / Double(n)
            frequencies = (0..<n).map { centre + (Double($0) - Double(n - 1) / 2) * spacing }
            amplitude = (power / Double(n)).squareRoot()
            symbolLength = max(1, Int64((scene.sampleRate / spacing).rounded()))
            symbols = Array(repeating: (0, 0), count: n)
        }
    }

    mutating func add(into out: UnsafeMutableBufferPointer<IQ>, firstSample: Int64) {
        let blockEnd = firstSample + Int64(out.count)
        var n = max(firstSample, span.lowerBound)
        let end = min(blockEnd, span.upperBound)
        while n < end {
            let symbol = symbolLength == .max ? 0 : (n - span.lowerBound) / symbolLength
            if symbol != symbolIndex { drawSymbols(symbol) }
            let symbolEnd = symbolLength == .max ? end : min(end, span.lowerBound + (symbol + 1) * symbolLength)
            synthesise(from: n, to: symbolEnd, into: out, firstSample: firstSample)
            n = symbolEnd
        }
    }

    private mutating func drawSymbols(_ symbol: Int64) {
        symbolIndex = symbol
        guard symbolLength != .max else { return }
        let r = 0.5.squareRoot()
        for k in symbols.indices {
            let bits = random.next()
            symbols[k] = (bits & 1 == 0 ? r : -r, bits & 2 == 0 ? r : -r)
        }
    }

    /// Adds samples [from, to) with phasors started exactly at `from` and rotated per sample.
    private func synthesise(from: Int64, to: Int64, into out: UnsafeMutableBufferPointer<IQ>, firstSample: Int64) {
        let count = Int(to - from)
        var accI = [Double](repeating: 0, count: count)
        var accQ = [Double](repeating: 0, count: count)
        let t0 = Double(from) / sampleRate
        for (k, f) in frequencies.enumerated() {
            let startPhase = (2 * Double.pi * f * t0).truncatingRemainder(dividingBy: 2 * Double.pi)
            var (pr, pi) = (cos(startPhase) * amplitude, sin(startPhase) * amplitude)
            let step = 2 * Double.pi * f / sampleRate
            let (rr, ri) = (cos(step), sin(step))
            let (sr, si) = symbols[k]
            for m in 0..<count {
                accI[m] += pr * sr - pi * si
                accQ[m] += pr * si + pi * sr
                (pr, pi) = (pr * rr - pi * ri, pr * ri + pi * rr)
            }
        }
        let offset = Int(from - firstSample)
        for m in 0..<count {
            out[offset + m].i += Float(accI[m])
            out[offset + m].q += Float(accQ[m])
        }
    }
}
