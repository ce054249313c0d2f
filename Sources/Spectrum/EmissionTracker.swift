import Foundation
import Signal

/// How detections are grouped into emissions.
public struct SegmentationConfiguration: Sendable, Equatable {
    /// Detected bins this many apart or closer belong to one emission (FSK tones, OFDM
    /// subcarriers with nulls).
    public var gapBins: Int
    /// An emission survives this many spectra without a detection (OOK gaps within a packet).
    public var hangSpectra: Int
    /// Per-segment false-alarm probability used to place an emission's start and end on the
    /// segments (finer than whole spectra).
    public var segmentPfa: Double

    /// Bins summed per subband for the short-burst test (0: fftSize/16). A burst much shorter
    /// than a segment spreads its energy over many bins and lasts one segment: single bins
    /// averaged over K segments miss it, the band power of one segment does not.
    public var subbandBins: Int

    /// Spectra averaged by the long-integration test (0: off). A weak emission that lasts many
    /// spectra, below the single spectrum's threshold, stands above the threshold of their mean.
    public var integrationSpectra: Int

    public init(gapBins: Int = 3, hangSpectra: Int = 4, segmentPfa: Double = 1e-3, subbandBins: Int = 0,
                integrationSpectra: Int = 16) {
        self.subbandBins = subbandBins
        self.integrationSpectra = integrationSpectra
        self.gapBins = gapBins
        self.hangSpectra = hangSpectra
        self.segmentPfa = segmentPfa
    }
}

/// Groups per-bin detections, spectrum after spectrum, into emissions: connected regions of
/// the time–frequency plane (with small gaps bridged). An emission's start and end are placed
/// on the individual segments inside the spectra where it begins and ends. Pure: spectra in,
/// emissions out.
public final class EmissionTracker {
    private struct Active {
        var low: Int, high: Int
        var startSample: Int64
        var startTime: Timestamp?
        var lastOnEnd: Int64
        var lastSeen: Int
        /// Signal power per bin summed over the spectra it was seen in (peak = its largest bin).
        var binEnergy: [Double]
        var signal = 0.0, noise = 0.0
        /// Spectra it was seen in, and the index of the last one counted (several runs of
        /// one spectrum may join the same emission: FSK tones).
        var spectra = 0
        var countedAt = -1
        /// Seen only by the short-burst test: its band is its subbands'.
        var wideband = false
        /// Opened by the long-integration test: a weak emission, which that test keeps open
        /// through spectra where it is there but below the single spectrum's threshold.
        var integrated = false
    }

    /// The long-integration test's state: the last `length` spectra as they entered the test
    /// (a ring), their per-bin sums, and the level the sums must exceed (infinite in persistent
    /// signals' bins). Allocated once; nothing per spectrum.
    private final class Integration {
        let length: Int
        let bins: Int
        let ring: UnsafeMutablePointer<Float>
        let sums: UnsafeMutablePointer<Double>
        /// The spectrum being added, with what single spectra explain taken out.
        let incoming: UnsafeMutablePointer<Float>
        let level: [Double]
        var starts: [Int64]
        /// Per spectrum of the window, the strongest emission's power over the background.
        var strongest: [Double]
        var count = 0, next = 0, sinceRecount = 0
        /// Bands of emissions that ended while still inside the window: their tails, not new emissions.
        var recent: [(low: Int, high: Int, until: Int)] = []

        init(length: Int, bins: Int, level: [Double]) {
            self.length = length
            self.bins = bins
            self.level = level
            ring = .allocate(capacity: length * bins)
            ring.initialize(repeating: 0, count: length * bins)
            sums = .allocate(capacity: bins)
            sums.initialize(repeating: 0, count: bins)
            incoming = .allocate(capacity: bins)
            incoming.initialize(repeating: 0, count: bins)
            starts = Array(repeating: 0, count: length)
            strongest = Array(repeating: 0, count: length)
        }

        deinit {
            ring.deallocate()
            sums.deallocate()
            incoming.deallocate()
        }

        /// Empties the window (a gap in the stream: no mean spans it).
        func reset() {
            count = 0
            next = 0
            sinceRecount = 0
            sums.update(repeating: 0, count: bins)
            recent.removeAll()
        }

        /// Adds `incoming` as the newest spectrum of the window, dropping the oldest once full.
        func push(start: Int64, strongest value: Double) {
            let row = ring + next * bins
            if count == length {
                for k in 0..<bins { sums[k] += Double(incoming[k]) - Double(row[k]) }
            } else {
                for k in 0..<bins { sums[k] += Double(incoming[k]) }
            }
            row.update(from: incoming, count: bins)
            // Now and then the sums start afresh from the ring, so rounding cannot drift.
            sinceRecount += 1
            if sinceRecount >= 4096 {
                sinceRecount = 0
                sums.update(repeating: 0, count: bins)
                for r in 0..<count { for k in 0..<bins { sums[k] += Double(ring[r * bins + k]) } }
            }
            starts[next] = start
            strongest[next] = value
            next = (next + 1) % length
            count = min(length, count + 1)
        }
    }

    public let background: Background
    public let threshold: DetectionThreshold
    public let configuration: SegmentationConfiguration
    private let fftSize: Int
    private var active: [Active] = []
    private var spectrumIndex = 0
    /// threshold × background per bin: a bin is detected when its power exceeds this.
    private let detectionLevel: [Float]
    private var segmentFactors: [Int: Double] = [:]
    private var centre: Double = 0
    private var binWidth: Double = 1

    /// - Parameter integrationThreshold: the threshold of a mean of `integrationSpectra`
    ///   spectra (nil: no long-integration test).
    /// - Parameter window: the spectra's window (the subband test's noise statistics).
    public init(background: Background, threshold: DetectionThreshold, fftSize: Int, window: WindowKind = .hann,
                configuration: SegmentationConfiguration = SegmentationConfiguration(),
                integrationThreshold: DetectionThreshold? = nil) {
        self.background = background
        self.threshold = threshold
        self.configuration = configuration
        self.fftSize = fftSize
        // A modulated persistent signal's bins do not average down like noise: an OFDM-like
        // carrier's symbols outlast a spectrum, so its per-bin power moves from spectrum to
        // spectrum as one exponential term, not K. The bins of a persistent signal wider than a
        // window's main lobe (`steadyBins`) are tested as K = 1 (12.4 dB over the signal's level
        // at the default pfa, against 8.1 dB over noise): an always-on carrier 8 dB over the
        // noise otherwise gave nine false emissions inside its band. A narrower one (a spur, a
        // DC spike, an unmodulated carrier) is steady and keeps the noise test. A persistent
        // signal is its run of bins, gaps bridged as for emissions: a bin inside it where the
        // carrier happens to be weaker fluctuates with it all the same.
        var persistentBin = [Bool](repeating: false, count: background.perBin.count)
        var modulatedBin = persistentBin
        // A modulated carrier at the margin (6–7 dB up) has its bins either side of the 4 ×
        // line, in pieces; tested as noise, those outside gave false emissions (up to four a
        // recording): it is taken whole (`Background.persistentSignalRuns`).
        for run in background.persistentSignalRuns(factor: 4, gapBins: configuration.gapBins) {
            for k in run { persistentBin[k] = true; modulatedBin[k] = run.count > Self.steadyBins }
        }
        // The window's main lobe spreads a modulated carrier's edges over the bins beside them
        // (an edge bin, steadily a little over the noise, was a whole-recording emission by the
        // long integration).
        let modulatedCore = modulatedBin
        for k in modulatedCore.indices where modulatedCore[k] {
            for j in max(0, k - Self.skirtBins)...min(modulatedCore.count - 1, k + Self.skirtBins) {
                persistentBin[j] = true
                modulatedBin[j] = true
            }
        }
        let singleFactor = -log(threshold.cellPfa)
        detectionLevel = background.perBin.indices.map { k in
            Float((modulatedBin[k] ? max(threshold.factor, singleFactor) : threshold.factor) * background.perBin[k])
        }
        // Subbands of G bins tested in every segment, at the same whole-analysis false-alarm
        // probability, by the law of G adjacent windowed bins' power (below). Counted as G/1.5
        // exponential terms (the noise bandwidth; G/1.94 for Hann), the threshold was low: 3 of
        // 100 noise-only recordings of 1.67 s gave a false burst, 30 times the false-alarm
        // probability.
        let shape = Window(window, length: fftSize)
        let g = configuration.subbandBins > 0 ? configuration.subbandBins : max(8, fftSize / 16)
        subband = min(g, fftSize)
        let spectra = max(1, threshold.cells / Double(fftSize))
        // Segments tested: the spectra × 4 (the default K; the threshold does not carry K, and a
        // factor of a few in the count moves the Šidák level by a fraction of a dB).
        let cells = spectra * 4 * Double(fftSize / subband)
        // Bins of persistent signals (6 dB over the floor) stay out of the sums: a carrier that
        // never stops fluctuates more than noise, and is not a burst.
        // (The run, gaps bridged: a bin inside a modulated carrier where it happens to be weaker
        // fluctuates with it; summed as noise, two such subbands gave false bursts.)
        let clean = persistentBin.map { !$0 }
        let width = subband
        var levels: [Double] = [], factors: [Double] = []
        // The factor from the exact law of G bins' power (`Window.bandWeights`): the Gamma of
        // the same variance let 1.9–3.6 × the false-alarm probability through at these cell
        // levels (100 noise-only recordings of 1.67 s at --pfa 0.01: 4 false subband bursts).
        let cellTail = min(0.49, -expm1(log1p(-threshold.pfa) / cells))
        var factorByCount: [Int: Double] = [:]
        for start in stride(from: 0, to: fftSize - width + 1, by: width) {
            let bins = (start..<(start + width)).filter { clean[$0] }
            guard bins.count * 4 >= width else { levels.append(.infinity); factors.append(1); continue }
            let factor = factorByCount[bins.count]
                ?? DetectionThreshold.meanQuantile(weights: shape.bandWeights(adjacentBins: bins.count), tail: cellTail)
            factorByCount[bins.count] = factor
            // The bins' background as measured, not raised to the floor: each bin's estimate
            // is noisy (a short recording has few spectra), and a sum of maxima with the floor
            // stands above the noise. In the catalogue's 12 ms short-burst scene at 2 MS/s the
            // subbands read 12–17 % high (32 % where the bursts were), and at 10 dB the test
            // found 6 of 80 bursts over eight seeds; as measured, 13.
            levels.append(bins.reduce(0) { $0 + min(background.perBin[$1], background.levels[$1]) } * factor)
            factors.append(factor)
        }
        subbandMask = clean.map { $0 ? 1 : 0 }
        subbandHit = Array(repeating: false, count: levels.count)
        subbandFactors = factors
        subbandLevel = levels
        let length = configuration.integrationSpectra
        if let integrationThreshold, length > 1 {
            let level = background.perBin.indices.map { clean[$0] ? integrationThreshold.factor * background.perBin[$0] * Double(length) : .infinity }
            integration = Integration(length: length, bins: fftSize, level: level)
        }
    }

    private var integration: Integration?

    /// A persistent signal this many bins wide or narrower is taken as steady (a Hann main lobe is 4).
    static let steadyBins = 4
    /// Bins either side of a modulated carrier that its edges spread into (half a Hann main lobe).
    static let skirtBins = 2

    private let subband: Int
    /// 1 for a bin that counts in the subband sums, 0 for a persistent signal's.
    private let subbandMask: [Float]
    private var subbandHit: [Bool]

    /// Σ p[k]·m[k] over `count` floats, sixteen at a time.
    @inline(__always)
    static func maskedSum(_ p: UnsafePointer<Float>, _ m: UnsafePointer<Float>, _ count: Int) -> Float {
        var acc = SIMD16<Float>()
        var k = 0
        while k + 16 <= count {
            acc += UnsafeRawPointer(p + k).loadUnaligned(as: SIMD16<Float>.self) * UnsafeRawPointer(m + k).loadUnaligned(as: SIMD16<Float>.self)
            k += 16
        }
        var sum = acc.sum()
        while k < count {
            sum += p[k] * m[k]
            k += 1
        }
        return sum
    }
    private let subbandFactors: [Double]
    private let subbandLevel: [Double]

    /// The noise the short-burst test expects in each subband (its level over its factor;
    /// infinite where persistent signals leave too few bins).
    var subbandNoise: [Double] { zip(subbandLevel, subbandFactors).map { $0 / $1 } }

    /// Subbands where a single segment's band power stands above its level, as runs of bins
    /// (adjacent subbands joined), for the ones no per-bin run already covers. A hit 20 dB or
    /// more below the strongest emission of the same spectrum is that emission's keying
    /// splatter (clicks spread over the whole band), not a burst.
    private func shortBursts(_ spectrum: PowerSpectrum, covered: [ClosedRange<Int>], strongest: Double) -> [ClosedRange<Int>] {
        let rows = spectrum.segments, n = spectrum.binCount
        var any = false
        subbandMask.withUnsafeBufferPointer { mask in
            for g in subbandLevel.indices where subbandLevel[g].isFinite {
                let noise = subbandLevel[g] / subbandFactors[g]
                subbandHit[g] = false
                for r in 0..<spectrum.averages {
                    let sum = Double(Self.maskedSum(rows.baseAddress! + r * n + g * subband, mask.baseAddress! + g * subband, subband))
                    if sum > subbandLevel[g] && (sum - noise) * 100 >= strongest * Double(spectrum.averages) {
                        subbandHit[g] = true
                        any = true
                        break
                    }
                }
            }
        }
        guard any else { return [] }
        let hit = subbandHit
        var result: [ClosedRange<Int>] = []
        var g = 0
        while g < hit.count {
            guard hit[g] else { g += 1; continue }
            var end = g
            while end + 1 < hit.count, hit[end + 1] { end += 1 }
            let run = (g * subband)...((end + 1) * subband - 1)
            if !covered.contains(where: { $0.overlaps(run) }) { result.append(run) }
            g = end + 1
        }
        return result
    }

    /// Takes the next spectrum; returns the emissions that ended before it.
    public func add(_ spectrum: PowerSpectrum) -> [Emission] {
        var finished: [Emission] = []
        if spectrum.discontinuity { finished += active.map(emission); active.removeAll() }
        centre = spectrum.centerFrequency ?? 0
        binWidth = spectrum.binWidth
        if spectrum.discontinuity { integration?.reset() }
        let found = runs(spectrum.mean)
        for run in found { absorb(run, spectrum) }
        // The strongest emission's power over the background in this spectrum (summed over its bins).
        var strongest = 0.0
        for run in found {
            var excess = 0.0
            for k in run { excess += Double(spectrum.mean[k]) - background.perBin[k] }
            strongest = max(strongest, excess)
        }
        for run in shortBursts(spectrum, covered: found, strongest: strongest) { absorb(run, spectrum, wideband: true) }
        integrate(spectrum, strongest: strongest)
        if active.contains(where: { spectrumIndex - $0.lastSeen > configuration.hangSpectra }) {
            let (open, closed) = active.reduce(into: ([Active](), [Active]())) { split, e in
                if spectrumIndex - e.lastSeen > configuration.hangSpectra { split.1.append(e) } else { split.0.append(e) }
            }
            active = open
            finished += closed.map(emission)
            if let integration {
                integration.recent += closed.map { ($0.low, $0.high, spectrumIndex + integration.length) }
            }
        }
        spectrumIndex += 1
        return finished.count > 1 ? finished.sorted { $0.startSample < $1.startSample } : finished
    }

    /// Ends every open emission (end of stream).
    public func finish() -> [Emission] {
        defer { active.removeAll() }
        return active.map(emission).sorted { $0.startSample < $1.startSample }
    }

    /// The long-integration test: the mean of the last `integrationSpectra` spectra against its
    /// own (lower) threshold. Where it finds a band that no open emission touches and no emission
    /// just ended in, it opens an emission spanning the window, which the second stage places to
    /// the sample; an emission it opened stays open, and reaches the window's end, while the test
    /// still finds it (a weak keyed packet that single spectra see only in pieces stays one). Its
    /// coarse span is then up to a window too long at either end.
    private func integrate(_ spectrum: PowerSpectrum, strongest: Double) {
        guard let state = integration, let mean = spectrum.mean.baseAddress else { return }
        let n = fftSize, gap = configuration.gapBins
        // What single spectra already explain stays out: the bands (and skirts) of the emissions
        // seen in this spectrum count as their background, so a strong emission's energy neither
        // lingers in the window after it ends nor reaches the weak test through its skirts.
        state.incoming.update(from: mean, count: n)
        for e in active where e.lastSeen == spectrumIndex && !e.integrated {
            for k in max(0, e.low - gap)...min(n - 1, e.high + gap) { state.incoming[k] = Float(background.perBin[k]) }
        }
        state.push(start: spectrum.startSample, strongest: strongest)
        state.recent.removeAll { $0.until < spectrumIndex }
        guard state.count == state.length else { return }
        let sums = state.sums, frames = Double(state.length)
        let found = state.level.withUnsafeBufferPointer { level in runs(count: n) { sums[$0] > level[$0] } }
        let strongestInWindow = state.strongest.max() ?? 0
        for run in found {
            let touching = active.indices.filter { run.lowerBound <= active[$0].high + gap + 1 && run.upperBound >= active[$0].low - gap - 1 }
            if !touching.isEmpty {
                for index in touching {
                    active[index].lastSeen = spectrumIndex
                    if active[index].integrated { active[index].lastOnEnd = max(active[index].lastOnEnd, spectrum.endSample) }
                }
                continue
            }
            if state.recent.contains(where: { run.lowerBound <= $0.high + gap + 1 && run.upperBound >= $0.low - gap - 1 }) { continue }
            // 20 dB or more below an emission seen within the window: its splatter (keying clicks
            // spread over the band), as the short-burst test reads it.
            let excess = run.reduce(0.0) { $0 + max(0, sums[$1] / frames - background.perBin[$1]) }
            if excess * 100 < strongestInWindow { continue }
            let start = state.starts[state.next]
            var opened = Active(low: run.lowerBound, high: run.upperBound, startSample: start,
                                startTime: spectrum.time.map { $0.advanced(bySamples: start - spectrum.startSample, sampleRate: spectrum.sampleRate) },
                                lastOnEnd: spectrum.endSample, lastSeen: spectrumIndex,
                                binEnergy: [Double](repeating: 0, count: n), integrated: true)
            for k in run {
                let excess = max(0, sums[k] / frames - background.perBin[k])
                opened.binEnergy[k] = excess
                opened.signal += excess
                opened.noise += background.perBin[k]
            }
            opened.spectra = 1
            opened.countedAt = spectrumIndex
            active.append(opened)
        }
    }

    /// Runs of bins above their detection level, bridging gaps of up to `gapBins`.
    private func runs(_ mean: UnsafeBufferPointer<Float>) -> [ClosedRange<Int>] {
        detectionLevel.withUnsafeBufferPointer { level in runs(count: level.count) { mean[$0] > level[$0] } }
    }

    /// Runs of bins where `isAbove` holds, bridging gaps of up to `gapBins`.
    private func runs(count: Int, isAbove: (Int) -> Bool) -> [ClosedRange<Int>] {
        var result: [ClosedRange<Int>] = []
        var start = -1, last = -1
        let bridge = configuration.gapBins + 1
        for k in 0..<count where isAbove(k) {
            if start >= 0 && k - last <= bridge {
                last = k
            } else {
                if start >= 0 { result.append(start...last) }
                start = k
                last = k
            }
        }
        if start >= 0 { result.append(start...last) }
        return result
    }

    private func absorb(_ run: ClosedRange<Int>, _ spectrum: PowerSpectrum, wideband: Bool = false) {
        let gap = configuration.gapBins
        let touching = active.indices.filter { run.lowerBound <= active[$0].high + gap + 1 && run.upperBound >= active[$0].low - gap - 1 }
        let mean = spectrum.mean, floor = background.perBin
        var signal = 0.0, noise = 0.0
        for k in run {
            signal += Double(mean[k]) - floor[k]
            noise += floor[k]
        }
        let (firstOn, lastOn) = segmentsOn(run, spectrum)
        // The short-burst test's band is a whole subband (64 bins); bins that crossed alone say
        // where a weak keyed packet is. Where both saw it and the subband's excess lies in the
        // bins' bands (`explained`), the bins give the band and the subband hits only their
        // times. Merged, a 4 kHz OOK packet's subband hit (its first spectrum, or one where no
        // bin of it crossed) gave it a 20 dB width of 40-62 kHz, and the channel's filter that
        // width: its packets came out as 30-100-sample blips. A short wideband burst's excess
        // lies outside the few bins of it that crossed: its subbands stay its band.
        let binTouching = touching.filter { !active[$0].wideband }
        let binBands = binTouching.map { active[$0].low...active[$0].high }
        if wideband, !binTouching.isEmpty,
           explained(run, excess: { Double(mean[$0]) - floor[$0] }, spectra: 1, averages: spectrum.averages, by: binBands) {
            for index in touching {
                active[index].lastSeen = spectrumIndex
                if let lastOn { active[index].lastOnEnd = max(active[index].lastOnEnd, lastOn) }
            }
            return
        }
        let bandHolders = wideband ? touching : touching.filter { index in
            let other = active[index]
            return !other.wideband || !explained(other.low...other.high, excess: { other.binEnergy[$0] }, spectra: max(1, other.spectra),
                                                 averages: spectrum.averages, by: binBands + [run])
        }
        var merged: Active
        if bandHolders.isEmpty {
            let start = firstOn ?? spectrum.startSample
            merged = Active(low: run.lowerBound, high: run.upperBound, startSample: start,
                            startTime: spectrum.time.map { $0.advanced(bySamples: start - spectrum.startSample, sampleRate: spectrum.sampleRate) },
                            lastOnEnd: lastOn ?? spectrum.endSample, lastSeen: spectrumIndex,
                            binEnergy: [Double](repeating: 0, count: spectrum.binCount), wideband: wideband)
        } else {
            merged = active[bandHolders[0]]
            for index in bandHolders.dropFirst() {
                let other = active[index]
                merged.low = min(merged.low, other.low)
                merged.high = max(merged.high, other.high)
                for k in other.low...other.high { merged.binEnergy[k] += other.binEnergy[k] }
                merged.signal += other.signal
                merged.noise += other.noise
                merged.spectra = max(merged.spectra, other.spectra)
                merged.countedAt = max(merged.countedAt, other.countedAt)
                merged.wideband = merged.wideband && other.wideband
            }
            merged.low = min(merged.low, run.lowerBound)
            merged.high = max(merged.high, run.upperBound)
            merged.wideband = merged.wideband && wideband
            if let lastOn { merged.lastOnEnd = max(merged.lastOnEnd, lastOn) }
            merged.lastSeen = spectrumIndex
        }
        // Every emission touched lends its times (a subband hit's start is a weak packet's).
        for index in touching where index != bandHolders.first {
            let other = active[index]
            if other.startSample < merged.startSample { merged.startSample = other.startSample; merged.startTime = other.startTime }
            merged.lastOnEnd = max(merged.lastOnEnd, other.lastOnEnd)
            merged.integrated = merged.integrated || other.integrated
        }
        for index in touching.reversed() { active.remove(at: index) }
        merged.signal += signal
        merged.noise += noise
        for k in run { merged.binEnergy[k] += Double(mean[k]) - floor[k] }
        if merged.countedAt != spectrumIndex {
            merged.spectra += 1
            merged.countedAt = spectrumIndex
        }
        active.append(merged)
    }

    /// Whether excess seen by the short-burst test over `range` (per bin, summed over `spectra`
    /// spectra) is the emissions of `bands` (seen bin by bin): its excess outside them (and the
    /// `gapBins` beside them) is no more than inside, or within three standard deviations of
    /// the noise there (a bin of a mean of K segments of noise has the standard deviation of its
    /// floor over √K; summed over S spectra, √S times that). A weak keyed packet's sidebands
    /// carry part of its power outside the few bins that crossed. A burst of its own,
    /// wider than them, has most of its excess outside (a short wideband burst beside the
    /// last one's bins).
    private func explained(_ range: ClosedRange<Int>, excess: (Int) -> Double, spectra: Int, averages: Int,
                           by bands: [ClosedRange<Int>]) -> Bool {
        let floor = background.perBin, gap = configuration.gapBins
        var inside = 0.0, outside = 0.0, variance = 0.0
        for k in range {
            if bands.contains(where: { $0.lowerBound - gap <= k && k <= $0.upperBound + gap }) {
                inside += excess(k)
            } else {
                outside += excess(k)
                variance += floor[k] * floor[k]
            }
        }
        return outside <= max(inside, 3 * (variance * Double(spectra) / Double(averages)).squareRoot())
    }

    /// Where, within `spectrum`, the band `run` switches on and off, from its segments' band
    /// powers: a step at sample s gives a segment centred on s half its full power (the window
    /// is symmetric), so the on and off points are where the power crosses half its level,
    /// interpolated between segment centres. Nil when no segment stands above noise.
    private func segmentsOn(_ run: ClosedRange<Int>, _ spectrum: PowerSpectrum) -> (Int64?, Int64?) {
        let factor = segmentFactor(width: run.count)
        var noise = 0.0
        for k in run { noise += background.perBin[k] }
        let rows = spectrum.segments, n = spectrum.binCount, count = spectrum.averages
        var excess = [Double](repeating: 0, count: count)
        var anyOn = false
        for r in 0..<count {
            var power = 0.0
            for k in run { power += Double(rows[r * n + k]) }
            excess[r] = power - noise
            if power > factor * noise { anyOn = true }
        }
        guard anyOn, let level = excess.max(), level > 0 else { return (nil, nil) }
        let half = level / 2
        let hop = Double(spectrum.segmentHop)
        func centre(_ r: Int) -> Double { Double(spectrum.startSample) + Double(r) * hop + Double(fftSize) / 2 }
        let first = excess.firstIndex { $0 >= half }!, last = excess.lastIndex { $0 >= half }!
        var on = centre(first) - hop / 2
        if first > 0 { on = centre(first - 1) + (half - excess[first - 1]) / (excess[first] - excess[first - 1]) * hop }
        var off = centre(last) + hop / 2
        if last < count - 1 { off = centre(last) + (excess[last] - half) / (excess[last] - excess[last + 1]) * hop }
        return (Int64(on.rounded()), Int64(off.rounded()))
    }

    private func segmentFactor(width: Int) -> Double {
        if let cached = segmentFactors[width] { return cached }
        let value = GammaFunctions.inverseQ(Double(width), configuration.segmentPfa) / Double(width)
        segmentFactors[width] = value
        return value
    }

    private func emission(_ e: Active) -> Emission {
        let n = background.perBin.count
        func hz(_ bin: Double) -> Double { (bin - Double(n / 2)) * binWidth + centre }
        // The peak of the spectrum smoothed over three bins: of two near-equal FSK tones, the
        // one with more energy around it, not the one a single bin happens to favour.
        func smoothed(_ k: Int) -> Double { e.binEnergy[max(e.low, k - 1)...min(e.high, k + 1)].reduce(0, +) }
        let peakBin = (e.low...e.high).max { smoothed($0) < smoothed($1) } ?? e.low
        let frames = Double(max(1, e.spectra))
        let signal = max(e.signal / frames, 1e-30), noise = max(e.noise / frames, 1e-30)
        var emission = Emission(startSample: e.startSample, endSample: max(e.lastOnEnd, e.startSample + 1), startTime: e.startTime,
                                frequencyLow: hz(Double(e.low) - 0.5), frequencyHigh: hz(Double(e.high) + 0.5),
                                peakFrequency: hz(Double(peakBin)),
                                powerDBFS: decibels(signal), snrDB: decibels(signal / noise), spectra: e.spectra)
        let strongest = e.binEnergy[e.low...e.high].max() ?? 0
        let core = e.wideband ? Array(e.low...e.high) : (e.low...e.high).filter { e.binEnergy[$0] * 10 >= strongest }
        emission.band10Low = core.first.map { hz(Double($0) - 0.5) }
        emission.band10High = core.last.map { hz(Double($0) + 0.5) }
        let skirt = e.wideband ? Array(e.low...e.high) : (e.low...e.high).filter { e.binEnergy[$0] * 100 >= strongest }
        if let first = skirt.first, let last = skirt.last { emission.band20Width = Double(last - first + 1) * binWidth }
        return emission
    }
}
