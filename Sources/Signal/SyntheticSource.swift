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
    private var keyed: [(schedule: KeyedSchedule, amplitude: Double, nextPiece: Int)]
    private let startTime: Timestamp?

    public init(scene: SyntheticScene) throws(SignalError) {
        try scene.validate()
        self.scene = scene
        stream = StreamDescription(sampleRate: scene.sampleRate, centerFrequency: scene.centerHz, label: "synthetic(seed \(scene.seed))")
        noise = SeededRandom(seed: scene.seed)
        oscillators = scene.emitters.enumerated().filter { !$0.element.isKeyed }.map { n, emitter in
            Oscillator(emitter: emitter, scene: scene, seed: SyntheticScene.emitterSeed(scene.seed, n))
        }
        keyed = scene.emitters.indices.filter { scene.emitters[$0].isKeyed }.map { n in
            (scene.schedule(ofEmitter: n), pow(10, scene.emitters[n].totalPowerDbfs / 10).squareRoot(), 0)
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
        for n in keyed.indices {
            keyed[n].schedule.add(into: out, firstSample: position, amplitude: keyed[n].amplitude, sampleRate: scene.sampleRate,
                                  from: &keyed[n].nextPiece)
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
/// symbols change every 1/Δf seconds. Symbols change over a raised-cosine crossfade of a quarter
/// symbol (windowed OFDM), so a carrier's spectrum falls off outside its band as a real
/// transmitter's does (measured: 30 dB down 3 subcarrier spacings past the edge, 52 dB at 6) instead of with the
/// slow sinc skirts of abrupt symbol changes; the amplitude makes up for the crossfade's loss
/// so the power is what the scene says.
struct Oscillator {
    let span: Range<Int64>
    let frequencies: [Double]
    let amplitude: Double
    let symbolLength: Int64
    let sampleRate: Double
    /// Crossfade weights of the new symbol over the first samples of each symbol.
    let ramp: [Double]
    var symbols: [(Double, Double)]
    var previous: [(Double, Double)]
    var random: SeededRandom
    var symbolIndex: Int64 = -1

    init(emitter: SyntheticScene.Emitter, scene: SyntheticScene, seed: UInt64) {
        span = scene.span(of: emitter)
        sampleRate = scene.sampleRate
        let centre = scene.apparentOffset(of: emitter)
        let power = pow(10, emitter.totalPowerDbfs / 10)
        random = SeededRandom(seed: seed)
        switch emitter.kind {
        case .tone, .ook, .fsk:  // keyed emitters are generated from their KeyedSchedule instead
            frequencies = [centre]
            amplitude = power.squareRoot()
            symbolLength = .max
            ramp = []
            symbols = [(1, 0)]
        case .carrier:
            let n = emitter.subcarriers ?? 64
            let bandwidth = emitter.bandwidthHz ?? 0
            let spacing = bandwidth / Double(n)
            frequencies = (0..<n).map { centre + (Double($0) - Double(n - 1) / 2) * spacing }
            symbolLength = max(1, Int64((scene.sampleRate / spacing).rounded()))
            let taper = Int(symbolLength / 4)
            ramp = (0..<taper).map { 0.5 - 0.5 * cos(Double.pi * (Double($0) + 0.5) / Double(taper)) }
            // Mean power of a crossfaded symbol relative to a whole one (independent unit symbols).
            let kept = (Double(symbolLength) - Double(taper) + ramp.reduce(0) { $0 + (1 - $1) * (1 - $1) + $1 * $1 }) / Double(symbolLength)
            amplitude = (power / Double(n) / kept).squareRoot()
            symbols = Array(repeating: (0, 0), count: n)
        }
        previous = symbols
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
        guard symbolLength != .max else { symbolIndex = symbol; return }
        // Symbols drawn in order: a block that starts mid-stream has seen every earlier one.
        previous = symbol == symbolIndex + 1 ? symbols : Array(repeating: (0, 0), count: symbols.count)
        symbolIndex = symbol
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
        // Samples of [from, to) still inside this symbol's crossfade.
        let positionInSymbol = symbolLength == .max ? Int64.max : (from - span.lowerBound) % symbolLength
        let fading = positionInSymbol < Int64(ramp.count) ? min(count, ramp.count - Int(positionInSymbol)) : 0
        for (k, f) in frequencies.enumerated() {
            let startPhase = (2 * Double.pi * f * t0).truncatingRemainder(dividingBy: 2 * Double.pi)
            var (pr, pi) = (cos(startPhase) * amplitude, sin(startPhase) * amplitude)
            let step = 2 * Double.pi * f / sampleRate
            let (rr, ri) = (cos(step), sin(step))
            let (sr, si) = symbols[k], (or, oi) = previous[k]
            for m in 0..<count {
                var (ar, ai) = (sr, si)
                if m < fading {
                    let w = ramp[Int(positionInSymbol) + m]
                    (ar, ai) = (or + (sr - or) * w, oi + (si - oi) * w)
                }
                accI[m] += pr * ar - pi * ai
                accQ[m] += pr * ai + pi * ar
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
