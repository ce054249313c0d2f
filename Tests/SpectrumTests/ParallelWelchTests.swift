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

    @Test("run(source:), which reads while the threads transform, gives the same spectra as one thread, with rows or the mean alone",
          arguments: [(2, true), (3, true), (2, false)])
    func pipelined(threads: Int, rows: Bool) throws {
        let scene = SyntheticScene(sampleRate: 1e6, durationS: 0.7, seed: 5, noiseDbfs: -50,
                                   emitters: [.init(kind: .ook, offsetHz: 1e5, powerDbfs: -30, startS: 0.01, symbolRate: 5000, bits: 40, repeats: 5,
                                                    repeatGapS: 0.01)])
        var configuration = WelchConfiguration(fftSize: 512, window: .hann, overlap: 0.5, averages: 4, statistics: false)
        configuration.segmentRows = rows
        func capture(_ s: PowerSpectrum) -> Captured {
            Captured(start: s.startSample, end: s.endSample, discontinuity: s.discontinuity, time: s.time,
                     bits: (Array(s.mean) + (rows ? Array(s.segments) : [])).map(\.bitPattern))
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

    @Test("run(recording:), each thread reading its own blocks of a file, gives one thread's spectra and times bit for bit",
          arguments: [2, 3])
    func independentReads(threads: Int) throws {
        // 2.4 MS/s: 416.67 ns a sample, so a time anchored anywhere but where a sequential read
        // anchors it would round differently.
        var scene = SyntheticScene(sampleRate: 2.4e6, centerHz: 4.3e8, durationS: 0.5, seed: 8, noiseDbfs: -50,
                                   emitters: [.init(kind: .tone, offsetHz: 2e5, powerDbfs: -30, startS: 0.1, endS: 0.3)])
        scene.startTime = "2026-12-05T10:00:00.123456789Z"
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("parallel-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let meta = directory.appendingPathComponent("scene.sigmf-meta").path
        try scene.write(to: meta)
        let recording = try Recording.open(meta)
        let configuration = WelchConfiguration(fftSize: 1024, window: .hann, overlap: 0.5, averages: 7, statistics: false)
        func capture(_ s: PowerSpectrum) -> Captured {
            Captured(start: s.startSample, end: s.endSample, discontinuity: s.discontinuity, time: s.time,
                     bits: (Array(s.mean) + Array(s.segments)).map(\.bitPattern))
        }
        for start: Int64 in [0, 5] {
            // From sample 5 the blocks no longer read independently: the pipelined path, same result.
            var reference: [Captured] = []
            var samples: Int64 = 0
            var single = configuration
            single.threads = 1
            try OccupancyAnalysis.spectra(of: try RecordingSource(recording: recording, startSample: start), welch: single,
                                          samples: &samples) { reference.append(capture($0)) }
            let source = try RecordingSource(recording: recording, startSample: start)
            #expect(source.readsIndependently == (start == 0))
            let parallel = try ParallelWelchEstimator(configuration: configuration, sampleRate: 2.4e6, threads: threads,
                                                      blockCapacity: ParallelWelchEstimator.preferredBlock)
            var got: [Captured] = []
            let length = try parallel.run(recording: source) { got.append(capture($0)) }
            #expect(length == samples)
            #expect(reference.count > 300 && reference.allSatisfy { $0.time != nil })
            #expect(got.count == reference.count)
            let firstDifference = zip(got, reference).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            #expect(firstDifference == nil, "from \(start): spectrum \(firstDifference ?? -1) differs")
        }
    }

    @Test("run(recording:) on a file cut short while open: the read error is thrown, the spectra before it handed on in order, nothing hangs",
          arguments: [2, 3])
    func truncatedWhileOpen(threads: Int) throws {
        let scene = SyntheticScene(sampleRate: 1e6, centerHz: 4.3e8, durationS: 0.4, seed: 3, noiseDbfs: -50, emitters: [])
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("parallel-cut-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let meta = directory.appendingPathComponent("scene.sigmf-meta").path
        try scene.write(to: meta)
        let recording = try Recording.open(meta)
        let source = try RecordingSource(recording: recording)
        #expect(source.readsIndependently)
        // Cut the data to 2.5 blocks after the recording was opened (its length already read).
        let block = ParallelWelchEstimator.preferredBlock
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: recording.dataPath))
        try handle.truncate(atOffset: UInt64(recording.dataOffset) + UInt64(block * 5 / 2 * 8))
        try handle.close()
        let configuration = WelchConfiguration(fftSize: 1024, window: .hann, overlap: 0.5, averages: 4, statistics: false)
        let parallel = try ParallelWelchEstimator(configuration: configuration, sampleRate: 1e6, threads: threads, blockCapacity: block)
        var starts: [Int64] = []
        #expect(throws: SignalError.self) {
            _ = try parallel.run(recording: source) { starts.append($0.startSample) }
        }
        // Whatever was handed on came in order, on the spectrum grid, before the cut.
        #expect(starts == starts.sorted())
        #expect(starts.enumerated().allSatisfy { Int64($0.offset * configuration.spectrumHop) == $0.element })
        #expect(starts.allSatisfy { $0 + Int64(configuration.spectrumSpan) <= Int64(block * 5 / 2) })
        // The estimator still works afterwards, on a whole recording.
        let whole = directory.appendingPathComponent("whole.sigmf-meta").path
        try scene.write(to: whole)
        var count = 0
        _ = try parallel.run(recording: try RecordingSource(recording: try Recording.open(whole))) { _ in count += 1 }
        #expect(count == (400_000 - configuration.spectrumSpan) / configuration.spectrumHop + 1)
    }

    @Test("A thread count outside 1…64 is refused naming --threads")
    func badThreads() {
        #expect(throws: SpectrumError.self) { try ParallelWelchEstimator(configuration: WelchConfiguration(), sampleRate: 1e6, threads: 0) }
        var c = WelchConfiguration()
        c.threads = 100
        #expect(throws: SpectrumError.self) { try c.validate() }
    }
}
