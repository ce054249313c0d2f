import ArgumentParser
import Foundation
import Signal
import Spectrum
import Synchronization

/// Welch throughput against scipy.signal.welch on the same cf32 file, same parameters.
struct PSDBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "psd", abstract: "Welch PSD throughput (Msamples/s) beside scipy.signal.welch on the same cf32 file.")

    @Option(help: "Samples in the test file.")
    var samples = 32 * 1024 * 1024

    @Option(help: "FFT size.")
    var fft = 1024

    @Option(help: "Segments per spectrum.")
    var averages = 16

    @Option(help: "Threads for the parallel row (ParallelWelchEstimator).")
    var threads = 2

    @OptionGroup var options: BenchOptions

    @Option(help: "The scipy peer script.")
    var peer = RepositoryPaths.root + "/bench/peers/welch_scipy.py"

    func run() throws {
        try reportingErrors {
            #if DEBUG
            print("warning: debug build; run `scripts/bench.sh psd` for real figures\n")
            #endif
            // A whole number of spectra, so that the mean of ours is exactly scipy's mean of all segments.
            let hop = fft / 2
            let spectra = max(1, (self.samples / hop) / averages)
            let samples = (spectra * averages - 1) * hop + fft
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("trustband-bench-psd.cf32").path
            let x = UnsafeMutableBufferPointer<IQ>.allocate(capacity: samples)
            defer { x.deallocate() }
            var random = SeededRandom(seed: 7)
            for n in 0..<samples {
                let tone = 0.1 * Double(n).truncatingRemainder(dividingBy: 1000) / 1000
                x[n] = IQ(i: Float(random.nextGaussian() * 0.05 + tone), q: Float(random.nextGaussian() * 0.05))
            }
            try Data(buffer: UnsafeBufferPointer(x)).write(to: URL(fileURLWithPath: path))
            defer { try? FileManager.default.removeItem(atPath: path) }
            let recording = try Recording.open(path, options: RecordingOptions(format: .cf32LE, sampleRate: 1e6))

            say("Welch PSD, \(samples) cf32 samples (\((samples * 8) >> 20) MiB), \(fft)-point Hann, 50 % overlap, \(averages) averages, "
                + "single thread; FFTW \(FFTPlan.libraryVersion), kernels \(WelchEstimator.kernelInstructionSet)")
            // The mean only, as scipy makes (no per-segment rows), or with the statistics.
            let welch = { (statistics: Bool) in
                var configuration = WelchConfiguration(fftSize: fft, window: .hann, overlap: 0.5, averages: averages, statistics: statistics)
                configuration.segmentRows = false
                return configuration
            }
            // Only the estimator (and, streamed, the file reads) is timed; the result is checked in a run of its own.
            func streamed(_ statistics: Bool) throws -> () throws -> Void {
                let estimator = try WelchEstimator(configuration: welch(statistics), sampleRate: 1e6)
                let buffer = IQBuffer(capacity: 1 << 16)
                return {
                    estimator.reset()
                    let source = try RecordingSource(recording: recording)
                    while let info = try source.read(into: buffer) {
                        estimator.process(UnsafeBufferPointer(buffer.samples), info: info) { _ in }
                    }
                }
            }
            // The machine's limit for this work: FFTW alone, on the same segments read the same way
            // (the same blocks from the file, segments in place, straddling ones gathered).
            let scratch = UnsafeMutableRawPointer.allocate(byteCount: 2 * fft * 8, alignment: 64).bindMemory(to: IQ.self, capacity: 2 * fft)
            defer { scratch.deallocate() }
            func fftwAlone() throws -> () throws -> Void {
                let plan = try FFTPlan(size: fft)
                let buffer = IQBuffer(capacity: 1 << 16)
                func transform(_ segment: UnsafePointer<IQ>) {
                    plan.execute(from: UnsafeRawPointer(segment).assumingMemoryBound(to: Float.self))
                }
                return {
                    let source = try RecordingSource(recording: recording)
                    var carried = 0
                    while let info = try source.read(into: buffer) {
                        let base = UnsafePointer(buffer.samples.baseAddress!)
                        var position = 0
                        if carried > 0 {
                            // Segments that straddle the two blocks, gathered as ours are.
                            let take = min(fft, info.count)
                            (scratch + carried).update(from: base, count: take)
                            var start = 0
                            while start < carried, start + fft <= carried + take {
                                transform(scratch + start)
                                start += hop
                            }
                            position = start - carried
                        }
                        while info.count - position >= fft {
                            transform(base + position)
                            position += hop
                        }
                        let rest = info.count - position
                        scratch.update(from: base + position, count: rest)
                        carried = rest
                    }
                }
            }
            // The machine's limit for the same work on `threads` cores: FFTW alone, each thread
            // reading its own blocks as `run(recording:)` does (the next block not yet taken,
            // read as far as the segments that start in it reach, every one of them).
            let ceilingWork = try ParallelFFTWork(recording: recording, threads: threads, fft: fft,
                                                  block: ParallelWelchEstimator.preferredBlock, samples: samples)
            let inMemoryEstimator = try WelchEstimator(configuration: welch(false), sampleRate: 1e6)
            let whole = BlockInfo(sampleIndex: 0, count: samples, time: nil, centerFrequency: nil)
            let parallelEstimator = try ParallelWelchEstimator(configuration: welch(false), sampleRate: 1e6, threads: threads,
                                                               blockCapacity: ParallelWelchEstimator.preferredBlock)
            // Round by round, every row once: each sees the machine as the others did (its
            // speed moves between runs here), and the ratios are taken within a round too.
            let names = ["trustband, from the file", "trustband +max/min/median, file", "trustband, array in memory"]
            let timed = try Timing.interleaved(repeats: options.repeats, [
                try fftwAlone(),
                try streamed(false),
                try streamed(true),
                {
                    inMemoryEstimator.reset()
                    inMemoryEstimator.process(UnsafeBufferPointer(x), info: whole) { _ in }
                },
                {
                    parallelEstimator.reset()
                    _ = try parallelEstimator.run(recording: try RecordingSource(recording: recording)) { _ in }
                },
                { try ceilingWork.run() },
            ])
            let ceiling = (best: timed[0].best, median: timed[0].median)
            let ours = (0..<3).map { (names[$0], (best: timed[$0 + 1].best, median: timed[$0 + 1].median)) }
            let parallel = (best: timed[4].best, median: timed[4].median)
            let parallelCeiling = (best: timed[5].best, median: timed[5].median)
            var grand = [Double](repeating: 0, count: fft)
            var produced = 0
            let checked = try WelchEstimator(configuration: welch(false), sampleRate: 1e6)
            checked.process(UnsafeBufferPointer(x), info: whole) { spectrum in
                produced += 1
                for k in 0..<fft { grand[k] += Double(spectrum.mean[k]) }
            }
            for k in 0..<fft { grand[k] /= Double(max(1, produced)) }

            let peerResult = try PeerProcess.run(python: options.python, script: peer,
                                                 arguments: [path, "1e6", String(fft), String(fft / 2), "hann", String(options.repeats)])
            func figure(_ key: String) -> Double { peerResult[key] as? Double ?? .nan }
            let scipyFile = figure("file_best_msps"), scipyMemory = figure("best_msps")
            let version = peerResult["scipy"] as? String ?? ""
            say("implementation                        best MS/s   median MS/s   ratio(best) vs scipy, same input")
            func row(_ name: String, _ best: Double, _ median: Double, _ ratio: Double?) {
                let ratioText = ratio.map { String(format: "%12.1fx", $0) } ?? ""
                say(String(format: "%@ %10.1f %13.1f %@", name.padding(toLength: 36, withPad: " ", startingAt: 0) as NSString,
                           best, median, ratioText as NSString))
            }
            for (index, (name, times)) in ours.enumerated() {
                let best = Double(samples) / Double(times.best) * 1e3, median = Double(samples) / Double(times.median) * 1e3
                row(name, best, median, best / (index < 2 ? scipyFile : scipyMemory))
            }
            func rate(_ t: (best: Int64, median: Int64)) -> (Double, Double) {
                (Double(samples) / Double(t.best) * 1e3, Double(samples) / Double(t.median) * 1e3)
            }
            let (parallelBest, parallelMedian) = rate(parallel)
            row("trustband, \(threads) threads, from the file", parallelBest, parallelMedian, parallelBest / scipyFile)
            let (ceilingBest, ceilingMedian) = rate(ceiling)
            row("FFTW alone, same reads and segments", ceilingBest, ceilingMedian, nil)
            let (parallelCeilingBest, parallelCeilingMedian) = rate(parallelCeiling)
            row("FFTW alone, \(threads) threads, same reads", parallelCeilingBest, parallelCeilingMedian, nil)
            row("scipy \(version), from the file", scipyFile, figure("file_median_msps"), nil)
            row("scipy \(version), array in memory", scipyMemory, figure("median_msps"), nil)
            // scipy averages every segment of the file; ours averages `averages` at a time. With
            // whole groups the mean of our spectra is the same estimate.
            let reference = peerResult["power"] as? [Double] ?? []
            let worst = zip(grand, reference).map { abs($0 - $1) / $1 }.max() ?? .nan
            say(String(format: "same result: max relative difference of the averaged PSD %.2e (%@)", worst,
                       worst < 1e-3 ? "agree" : "DISAGREE"))
            let (singleBest, _) = rate(ours[0].1)
            say(String(format: "ratios (best): ours/FFTW-alone ceiling %.2f (goal ≥ 0.90); ours/scipy %.1fx (goal ≥ 25); %d threads/1 thread %.2fx (goal ≥ 1.8 on 2 cores)",
                       singleBest / ceilingBest, singleBest / scipyFile, threads, parallelBest / singleBest))
            say(String(format: "ratios (median of %d rounds, each within its round): ours/FFTW-alone ceiling %.2f; %d threads/1 thread %.2fx",
                       timed[0].rounds.count, Timing.medianRatio(timed[0].rounds, timed[1].rounds), threads,
                       Timing.medianRatio(timed[1].rounds, timed[4].rounds)))
            // What the machine gives the same work on `threads` cores: FFTW alone's own scaling.
            say(String(format: "machine's limit on %d threads (median of rounds): FFTW alone %d threads/1 thread %.2fx; ours %d threads/FFTW alone %d threads %.2f",
                       threads, threads, Timing.medianRatio(timed[0].rounds, timed[5].rounds),
                       threads, threads, Timing.medianRatio(timed[5].rounds, timed[4].rounds)))
        }
    }
}

/// FFTW alone on several threads, reading as `ParallelWelchEstimator.run(recording:)` does:
/// each thread takes the next block not yet taken, reads it (as far as its last segment
/// reaches) with a reader and a plan of its own and transforms every segment that starts in
/// it. Plans are made
/// here, one thread at a time (FFTW's planner is not thread-safe).
private struct ParallelFFTWork: @unchecked Sendable {
    let readers: [RecordingSource]
    let buffers: [IQBuffer]
    let plans: [FFTPlan]
    let threads: Int, fft: Int, block: Int, blocks: Int

    init(recording: Recording, threads: Int, fft: Int, block: Int, samples: Int) throws {
        readers = try (0..<threads).map { _ in try RecordingSource(recording: recording) }
        buffers = (0..<threads).map { _ in IQBuffer(capacity: block + fft) }
        plans = try (0..<threads).map { _ in try FFTPlan(size: fft) }
        self.threads = threads
        self.fft = fft
        self.block = block
        blocks = (samples + block - 1) / block
    }

    func run() throws {
        let failure = Mutex<(any Error)?>(nil)
        let next = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: threads) { w in
            let hop = fft / 2
            while true {
                let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard index < blocks else { return }
                let start = index * block
                readers[w].seek(toSample: Int64(start))
                let count: Int
                do {
                    // What the segments that start in the block reach, as ours reads.
                    let last = (start + block - 1) / hop * hop
                    count = try readers[w].read(into: buffers[w], maximum: last - start + fft)?.count ?? 0
                } catch {
                    failure.withLock { $0 = $0 ?? error }
                    return
                }
                let base = UnsafeRawPointer(buffers[w].samples.baseAddress!).assumingMemoryBound(to: Float.self)
                var s = (start + hop - 1) / hop * hop
                while s < start + block, s + fft <= start + count {
                    plans[w].execute(from: base + 2 * (s - start))
                    s += hop
                }
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }
    }
}
