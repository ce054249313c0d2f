import Foundation
import Testing
@testable import Signal
@testable import Spectrum

/// Welch over several threads gives the single-threaded result bit for bit.
@Suite("Parallel Welch")
struct ParallelWelchTests {
    struct Captured: Equatable {
        var start: Int64, end: Int64, discontinuity: Bool, time: Timestamp?
        var bits: [UInt32]
    }

    /// Streams `samples` in blocks of `block`, with a gap of 777 samples after `gapAfter`.
    func spectra(_ samples: [IQ], block: Int, gapAfter: Int, process: (UnsafeBufferPointer<IQ>, BlockInfo, (PowerSpectrum) -> Void) -> Void) -> [Captured] {
        var out: [Captured] = []
        var position = 0
        let start = try! Timestamp(rfc3339: "2026-12-04T00:00:00Z")
        samples.withUnsafeBufferPointer { all in
            while position < all.count {
                let count = min(block, all.count - position, position < gapAfter ? gapAfter - position : .max)
                let index = Int64(position) + (position >= gapAfter ? 777 : 0)
                let info = BlockInfo(sampleIndex: index, count: count, time: start.advanced(bySamples: index, sampleRate: 1e6),
                                     centerFrequency: 1e9)
                process(UnsafeBufferPointer(rebasing: all[position..<(position + count)]), info) { s in
                    let values = Array(s.mean) + Array(s.segments) + Array(s.maximum) + Array(s.median)
                    out.append(Captured(start: s.startSample, end: s.endSample, discontinuity: s.discontinuity, time: s.time,
                                        bits: values.map(\.bitPattern)))
                }
                position += count
            }
        }
        return out
    }

    @Test("Same spectra, bits, indices, times and gaps as one thread", arguments: [(2, 65_536), (2, 10_000), (3, 4_096), (4, 65_536)])
    func identical(threads: Int, block: Int) throws {
        var random = SeededRandom(seed: 11)
        let samples = (0..<400_000).map { n in
            IQ(i: Float(random.nextGaussian() * 0.1 + 0.3 * cos(Double(n) * 0.01)), q: Float(random.nextGaussian() * 0.1))
        }
        let configuration = WelchConfiguration(fftSize: 1024, window: .hann, overlap: 0.5, averages: 5, statistics: true)
        let single = try WelchEstimator(configuration: configuration, sampleRate: 1e6)
        let reference = spectra(samples, block: 65_536, gapAfter: 150_001) { single.process($0, info: $1, $2) }
        let parallel = try ParallelWelchEstimator(configuration: configuration, sampleRate: 1e6, threads: threads, blockCapacity: block)
        let got = spectra(samples, block: block, gapAfter: 150_001) { parallel.process($0, info: $1, $2) }
        #expect(reference.count > 100)
        #expect(got.count == reference.count)
        let firstDifference = zip(got, reference).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(firstDifference == nil, "spectrum \(firstDifference ?? -1) differs")
        #expect(reference.filter(\.discontinuity).count == 1)
    }

    @Test("run(source:), which reads while the threads transform, gives the same spectra as one thread", arguments: [2, 3])
    func pipelined(threads: Int) throws {
        let scene = SyntheticScene(sampleRate: 1e6, durationS: 0.7, seed: 5, noiseDbfs: -50,
                                   emitters: [.init(kind: .ook, offsetHz: 1e5, powerDbfs: -30, startS: 0.01, symbolRate: 5000, bits: 40, repeats: 5,
                                                    repeatGapS: 0.01)])
        let configuration = WelchConfiguration(fftSize: 512, window: .hann, overlap: 0.5, averages: 4, statistics: false)
        func capture(_ s: PowerSpectrum) -> Captured {
            Captured(start: s.startSample, end: s.endSample, discontinuity: s.discontinuity, time: s.time,
                     bits: (Array(s.mean) + Array(s.segments)).map(\.bitPattern))
        }
        var reference: [Captured] = []
        var samples: Int64 = 0
        var single = configuration
        single.threads = 1
        try OccupancyAnalysis.spectra(of: try SyntheticSource(scene: scene), welch: single, samples: &samples) { reference.append(capture($0)) }
        let parallel = try ParallelWelchEstimator(configuration: configuration, sampleRate: 1e6, threads: threads, blockCapacity: 50_000)
        var got: [Captured] = []
        let length = try parallel.run(source: try SyntheticSource(scene: scene)) { got.append(capture($0)) }
        #expect(length == samples)
        #expect(reference.count > 600)
        #expect(got.count == reference.count)
        let firstDifference = zip(got, reference).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(firstDifference == nil, "spectrum \(firstDifference ?? -1) differs")
    }

    @Test("A thread count outside 1…64 is refused naming --threads")
    func badThreads() {
        #expect(throws: SpectrumError.self) { try ParallelWelchEstimator(configuration: WelchConfiguration(), sampleRate: 1e6, threads: 0) }
        var c = WelchConfiguration()
        c.threads = 100
        #expect(throws: SpectrumError.self) { try c.validate() }
    }
}
