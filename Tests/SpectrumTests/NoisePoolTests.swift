import Foundation
import Testing
@testable import Signal
@testable import Spectrum

/// The pooled noise reference of a band's windows, against closed forms and simulated noise.
@Suite("Noise pool")
struct NoisePoolTests {
    /// A Gamma(k, 1) draw for k a multiple of ½: half a χ² of 2k degrees of freedom.
    func gamma(halfIntegerShape k: Double, _ random: inout SeededRandom) -> Double {
        (0..<Int(2 * k)).reduce(0.0) { total, _ in let g = random.nextGaussian(); return total + g * g } / 2
    }

    /// `count` block means of noise of mean `noise`, each of `dof` degrees of freedom.
    func blocks(_ count: Int, noise: Double, dof: Double, _ random: inout SeededRandom) -> [Double] {
        (0..<count).map { _ in gamma(halfIntegerShape: dof, &random) / dof * noise }
    }

    @Test("The binomial tail is the sum of its terms", arguments: [(5, 0.3, 3), (6, 0.95, 4), (12, 0.5, 7), (1, 0.2, 1), (40, 0.01, 2)])
    func binomialTail(n: Int, p: Double, k: Int) {
        // Exact binomial coefficients, summed directly.
        func choose(_ n: Int, _ j: Int) -> Double { (0..<j).reduce(1.0) { $0 * Double(n - $1) / Double($1 + 1) } }
        let direct = (k...n).reduce(0.0) { $0 + choose(n, $1) * pow(p, Double($1)) * pow(1 - p, Double(n - $1)) }
        #expect(abs(NoisePool.binomialTail(n: n, p: p, atLeast: k) - direct) < 1e-12)
        #expect(NoisePool.binomialTail(n: n, p: p, atLeast: 0) == 1 && NoisePool.binomialTail(n: n, p: p, atLeast: n + 1) == 0)
    }

    @Test("Blocks of the pool's own noise agree with it at the rate the test is set for; blocks at 3 × the noise do not")
    func agreement() {
        let dof = 3.5
        var random = SeededRandom(seed: 11)
        var pool = NoisePool(blockDof: dof)
        pool.add(NoisePool.Reading(noise: 1, blocks: blocks(128, noise: 1, dof: dof, &random)))
        // Two-sided at 1 %: about 2 % of windows of six noise blocks disagree, as the pool's own
        // median strays by a few percent.
        let trials = 4000, noise = pool.pooledNoise ?? 0
        let disagreeing = (0..<trials).filter { _ in !pool.agrees(blocks(6, noise: 1, dof: dof, &random), noise: noise) }.count
        #expect(Double(disagreeing) / Double(trials) < 0.05, "\(disagreeing) of \(trials)")
        let loud = (0..<trials).filter { _ in !pool.agrees(blocks(6, noise: 3, dof: dof, &random), noise: noise) }.count
        #expect(Double(loud) / Double(trials) > 0.9, "\(loud) of \(trials)")
        // Three times quieter is as clear.
        let quiet = (0..<trials).filter { _ in !pool.agrees(blocks(6, noise: 1.0 / 3, dof: dof, &random), noise: noise) }.count
        #expect(Double(quiet) / Double(trials) > 0.9, "\(quiet) of \(trials)")
    }

    @Test("The pooled reference is the noise's mean and strays far less than six blocks alone")
    func pooledSpread() throws {
        let dof = 3.5
        var random = SeededRandom(seed: 12)
        var pool = NoisePool(blockDof: dof)
        var alone: [Double] = [], pooled: [Double] = []
        for window in 0..<200 {
            let local = blocks(6, noise: 1, dof: dof, &random)
            let own = try #require(pool.noiseMean(local))
            if window >= 40 {
                alone.append(own)
                pooled.append(try #require(pool.reading(head: local, tail: []).noise))
            }
            pool.add(NoisePool.Reading(noise: own, blocks: local))
        }
        func spread(_ values: [Double]) -> (mean: Double, sdLog: Double) {
            let logs = values.map { log($0) }, m = logs.reduce(0, +) / Double(logs.count)
            return (values.reduce(0, +) / Double(values.count), (logs.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(logs.count)).squareRoot())
        }
        let a = spread(alone), p = spread(pooled)
        // Six blocks of 3.5 degrees of freedom: their median strays by about 0.3 in log (a factor
        // of 1.35); 128 pooled blocks by about 0.07.
        #expect(a.sdLog > 0.2, "alone \(a)")
        #expect(p.sdLog < 0.1, "pooled \(p)")
        #expect(abs(p.mean - 1) < 0.05, "pooled \(p)")
    }

    @Test("A band's windows in a long recording read the noise steadily; when the noise rises the windows follow it")
    func envelopeWindows() throws {
        // A 7.8 kHz band at 2 MS/s: L = 133 and blocks of 532 samples, three at each end of a
        // window of 2028 reference samples (what `detect` gives the band at its default FFT).
        let rate = 2e6, width = 7800.0, referenceSamples = 2028, windowLength = 8 * referenceSamples
        let quiet = -60.0, loud = quiet + 6
        var references: [(noise: Double, ratio: Double)] = []
        let envelope = BandEnvelope(offsetHz: 200_000, widthHz: width, sampleRate: rate, noisePerSample: pow(10, quiet / 10),
                                    referenceSamples: referenceSamples)
        let buffer = IQBuffer(capacity: 4096)
        for window in 0..<120 {
            let noise = window < 80 ? quiet : loud
            let source = try SyntheticSource(scene: SyntheticScene(sampleRate: rate, durationS: Double(windowLength) / rate, seed: UInt64(100 + window),
                                                                   noiseDbfs: noise, emitters: []))
            envelope.beginWindow(length: Int64(windowLength))
            let start = Int64(window) * 10 * Int64(windowLength)
            while let info = try source.read(into: buffer) {
                envelope.process(UnsafeBufferPointer(buffer.samples), first: start + info.sampleIndex)
            }
            envelope.finish()
            references.append((noise, envelope.reference / (envelope.noiseLevel * pow(10, (noise - quiet) / 10))))
        }
        // Windows 30-79 (the pool full): within 25 % of the noise each (measured 0.96-1.07),
        // where the ends alone stray by a factor of 1.7 either way (the 1 GiB file's windows:
        // 0.55-1.69, 5th-95th percentile).
        let steady = references[30..<80].map(\.ratio)
        #expect(steady.allSatisfy { abs($0 - 1) < 0.25 }, "\(steady)")
        // After a 6 dB rise no window reads the old noise (0.25 of the new): three windows in a
        // row read above the pool, which is then theirs. The last 20 read the new noise (their
        // median within 25 %; measured 1.16; the lowest window after the rise 0.52).
        let risen = references[80...].map(\.ratio)
        #expect(risen.allSatisfy { $0 > 0.45 }, "\(risen)")
        let last = risen.suffix(20).sorted()
        #expect(abs(last[10] - 1) < 0.25, "\(risen)")
    }
}
