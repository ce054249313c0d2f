import Agent
import ArgumentParser
import Foundation
import Logging
import Radio
import Signal
import Spectrum

/// Welch through SoapySDR beside soapy_power, both reading one recording through our replay
/// module with the same FFT size, window, overlap and averaging.
struct SweepBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Spectrum through SoapySDR (driver=replay) beside soapy_power on the same recording: MS/s and power per bin.")
    // soapy_power: PyPI `soapy_power` in a Python that sees Debian's python3-soapysdr (scripts/bench.sh sweep sets one up).

    @Option(help: "Samples in the test recording (rounded to 8192: soapy_power reads whole stream MTUs, at most 13 Mi samples in one buffer).")
    var samples = 8 * 1024 * 1024

    @Option(help: "FFT size (soapy_power's --bins).")
    var fft = 1024

    @Option(help: "soapy_power's executable (PyPI soapy_power, with Debian's python3-soapysdr).")
    var soapyPower = "soapy_power"

    @Option(help: "Folder holding libSoapyReplayModule.so (swift build -c release --product SoapyReplayModule).")
    var module = RepositoryPaths.root + "/.build/release"

    @Option(help: "The soapy_power peer script.")
    var peer = RepositoryPaths.root + "/bench/peers/sweep_soapy_power.py"

    @OptionGroup var options: BenchOptions

    func run() throws {
        try reportingErrors {
            #if DEBUG
            print("warning: debug build; run `scripts/bench.sh sweep` for real figures\n")
            #endif
            let rate = 2e6, centre = 433.92e6
            let hop = fft / 2
            let samples = max(8192, self.samples / 8192 * 8192)
            let segments = max(1, (samples - fft) / hop + 1)
            // soapy_power reads bins × repeats samples and runs Welch over them: the same segments.
            let repeats = samples / fft
            // A busy band: a carrier, an FSK link and OOK repeats over noise.
            let scene = SyntheticScene(sampleRate: rate, centerHz: centre, durationS: Double(samples) / rate, seed: 3, noiseDbfs: -50, emitters: [
                .init(kind: .carrier, offsetHz: -400_000, psdDbfsPerMhz: -30, bandwidthHz: 200_000, subcarriers: 32),
                .init(kind: .fsk, offsetHz: 250_000, powerDbfs: -35, startS: 0.5, symbolRate: 20_000, bits: 400, deviationHz: 40_000, repeats: 50, repeatGapS: 0.02),
                .init(kind: .ook, offsetHz: 600_000, powerDbfs: -30, startS: 0.1, symbolRate: 5_000, bits: 64, repeats: 40, repeatGapS: 0.05),
            ])
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("trustband-bench-sweep").path
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let meta = folder + "/sweep.sigmf-meta"
            try scene.write(to: meta, format: .cf32LE, overwrite: true)
            let device = "driver=replay,file=\(meta),mtu=65536"
            say("Spectrum of \(samples) samples at \(Formatting.rate(rate)) through SoapySDR driver=replay, \(fft)-point Hann, 50 % overlap, "
                + "all \(segments) segments averaged; one thread")
            // Ours: the device source (SoapySDR's stream API, as soapy_power reads it) into Welch.
            var welch = WelchConfiguration(fftSize: fft, window: .hann, overlap: 0.5, averages: 16, statistics: false)
            welch.segmentRows = false  // the mean only, as soapy_power makes
            // The mean of every spectrum, as soapy_power averages every segment: summed in every
            // timed run, through pointers (summed into a captured array, element by element,
            // it took a third of our time).
            let grand = UnsafeMutableBufferPointer<Double>.allocate(capacity: fft)
            defer { grand.deallocate() }
            var spectra = 0
            var read: Int64 = 0
            let buffer = IQBuffer(capacity: 1 << 16)
            let estimator = try WelchEstimator(configuration: welch, sampleRate: rate)
            // The replay device resumes where a device of the same identity stopped (as a
            // replugged radio would): each run is a device of its own.
            var run = 0
            func single() throws {
                run += 1
                estimator.reset()
                let source = try SoapyDeviceSource(args: device + ",serial=bench-\(run)", settings: DeviceSettings(frequency: centre, sampleRate: rate),
                                                   logger: Logger(label: "trustband.bench"))
                spectra = 0
                read = 0
                grand.initialize(repeating: 0)
                while let info = try source.read(into: buffer) {
                    read += Int64(info.count)
                    estimator.process(UnsafeBufferPointer(buffer.samples), info: info) { s in
                        spectra += 1
                        let mean = s.mean.baseAddress!, total = grand.baseAddress!
                        for k in 0..<fft { total[k] += Double(mean[k]) }
                    }
                }
            }
            // The same on every core (soapy_power, too, computes its spectra on a pool of threads).
            let threads = AgentConfiguration.defaultThreads
            let parallelEstimator = try ParallelWelchEstimator(configuration: welch, sampleRate: rate, threads: threads)
            var parallelRead: Int64 = 0
            func parallel() throws {
                run += 1
                parallelEstimator.reset()
                let source = try SoapyDeviceSource(args: device + ",serial=bench-\(run)", settings: DeviceSettings(frequency: centre, sampleRate: rate),
                                                   logger: Logger(label: "trustband.bench"))
                parallelRead = try parallelEstimator.run(source: source) { _ in }
            }
            // Round by round, ours with one thread, with all, then soapy_power once: each sees the
            // machine as the others did (its speed moves between runs here).
            var oursRounds: [Int64] = [], parallelRounds: [Int64] = [], peerRounds: [Int64] = []
            var peerResult: [String: Any] = [:]
            for round in 0..<max(1, options.repeats) {
                oursRounds.append(try Timing.once(single))
                parallelRounds.append(try Timing.once(parallel))
                peerResult = try PeerProcess.run(python: options.python, script: peer,
                                                 arguments: [soapyPower, module, device, String(Int(rate)), String(Int(centre)), String(fft),
                                                             String(repeats), "1", "peer-\(round)-"])
                guard let seconds = peerResult["best_s"] as? Double, seconds.isFinite, seconds > 0 else {
                    throw UserFacingError(message: "the peer (\(peer)) gave no time for its run: \(peerResult["best_s"] ?? "nothing")")
                }
                peerRounds.append(Int64((seconds * 1e9).rounded()))
            }
            let times = Timing.bestAndMedian(oursRounds), parallelTimes = Timing.bestAndMedian(parallelRounds)
            let peerTimes = Timing.bestAndMedian(peerRounds)
            guard spectra > 0, read == Int64(samples), parallelRead == Int64(samples) else {
                throw UserFacingError(message: "the replay device gave \(read) of \(samples) samples (\(spectra) spectra)")
            }
            let binWidth = rate / Double(fft)
            let ours = grand.map { 10 * log10(max($0 / Double(max(1, spectra)) / binWidth, 1e-30)) }
            let theirs = peerResult["db_per_hz"] as? [Double] ?? []
            let n = Double(samples)
            let oursBest = n / Double(times.best) * 1e3, oursMedian = n / Double(times.median) * 1e3
            let theirBest = n / Double(peerTimes.best) * 1e3, theirMedian = n / Double(peerTimes.median) * 1e3
            say("implementation                        best MS/s   median MS/s")
            say(String(format: "%@ %10.1f %13.1f", "trustband (SoapyDeviceSource → Welch)".padding(toLength: 36, withPad: " ", startingAt: 0) as NSString,
                       oursBest, oursMedian))
            say(String(format: "%@ %10.1f %13.1f", "trustband, \(threads) threads".padding(toLength: 36, withPad: " ", startingAt: 0) as NSString,
                       n / Double(parallelTimes.best) * 1e3, n / Double(parallelTimes.median) * 1e3))
            say(String(format: "%@ %10.1f %13.1f", "soapy_power \(peerResult["version"] as? String ?? "")".padding(toLength: 36, withPad: " ", startingAt: 0) as NSString,
                       theirBest, theirMedian))
            // Bins compared where both have them (soapy_power drops none at --crop 0).
            let differences = zip(ours, theirs).map { abs($0 - $1) }
            let worst = differences.max() ?? .nan
            let sorted = differences.sorted()
            let p99 = sorted.isEmpty ? Double.nan : sorted[min(sorted.count - 1, Int(0.99 * Double(sorted.count)))]
            say(String(format: "ratio (best): %.1fx soapy_power's throughput with one thread, %.1fx with %d (goal ≥ 10); power per bin: %d bins, max |Δ| %.3f dB, p99 %.3f dB (goal ±0.5 dB)",
                       oursBest / theirBest, n / Double(parallelTimes.best) * 1e3 / theirBest, threads, min(ours.count, theirs.count), worst, p99))
            say(String(format: "ratio (median of %d rounds, each within its round): %.1fx with one thread, %.1fx with %d",
                       peerRounds.count, Timing.medianRatio(peerRounds, oursRounds), Timing.medianRatio(peerRounds, parallelRounds), threads))
        }
    }
}
