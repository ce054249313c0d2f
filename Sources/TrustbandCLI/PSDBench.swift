import ArgumentParser
import Foundation
import Signal
import Spectrum

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

            print("Welch PSD, \(samples) cf32 samples (\((samples * 8) >> 20) MiB), \(fft)-point Hann, 50 % overlap, single thread")
            var rows: [(String, (best: Int64, median: Int64))] = []
            var grand = [Double](repeating: 0, count: fft)
            for statistics in [false, true] {
                let configuration = WelchConfiguration(fftSize: fft, window: .hann, overlap: 0.5, averages: averages, statistics: statistics)
                let estimator = try WelchEstimator(configuration: configuration, sampleRate: 1e6)
                var spectra = 0
                let times = Timing.measure(repeats: options.repeats) {
                    estimator.reset()
                    spectra = 0
                    grand = [Double](repeating: 0, count: fft)
                    let info = BlockInfo(sampleIndex: 0, count: samples, time: nil, centerFrequency: nil)
                    estimator.process(UnsafeBufferPointer(x), info: info) { spectrum in
                        spectra += 1
                        for k in 0..<fft { grand[k] += Double(spectrum.mean[k]) }
                    }
                }
                for k in 0..<fft { grand[k] /= Double(max(1, spectra)) }
                rows.append((statistics ? "trustband (+max/min/median)" : "trustband", times))
            }
            let peerResult = try PeerProcess.run(python: options.python, script: peer,
                                                 arguments: [path, "1e6", String(fft), String(fft / 2), "hann", String(options.repeats)])
            let peerBest = peerResult["best_msps"] as? Double ?? .nan
            let peerMedian = peerResult["median_msps"] as? Double ?? .nan
            let reference = peerResult["power"] as? [Double] ?? []
            print("implementation                   best MS/s   median MS/s   ratio(best) vs scipy")
            for (name, times) in rows {
                let best = Double(samples) / Double(times.best) * 1e3
                let median = Double(samples) / Double(times.median) * 1e3
                print(String(format: "%@ %10.1f %13.1f %12.1fx", name.padding(toLength: 30, withPad: " ", startingAt: 0) as NSString,
                             best, median, best / peerBest))
            }
            print(String(format: "%@ %10.1f %13.1f", "scipy.signal.welch \(peerResult["scipy"] as? String ?? "")".padding(toLength: 30, withPad: " ", startingAt: 0) as NSString,
                         peerBest, peerMedian))
            // scipy averages every segment of the file; ours averages `averages` at a time. With
            // whole groups the mean of our spectra is the same estimate.
            let worst = zip(grand, reference).map { abs($0 - $1) / $1 }.max() ?? .nan
            print(String(format: "same result: max relative difference of the averaged PSD %.2e (%@)", worst,
                         worst < 1e-3 ? "agree" : "DISAGREE"))
        }
    }
}
