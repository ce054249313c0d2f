import Foundation
import Testing
import TestSupport
@testable import Signal
@testable import Spectrum

/// scipy computes the same periodograms on the same samples; we must agree to 1e-3 relative.
private let scipyWelch = """
import sys, json, numpy as np, scipy.signal as ss
path, fs, n, noverlap, window = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
x = np.fromfile(path, dtype=np.complex64)
f, t, s = ss.spectrogram(x, fs=fs, window=window, nperseg=n, noverlap=noverlap, detrend=False,
                         return_onesided=False, scaling='density', mode='psd')
_, w = ss.welch(x, fs=fs, window=window, nperseg=n, noverlap=noverlap, detrend=False,
                return_onesided=False, scaling='density')
s = np.fft.fftshift(s, axes=0) * fs / n      # density -> power per bin
w = np.fft.fftshift(w) * fs / n
np.stack([w, s.max(axis=1), s.min(axis=1), np.median(s, axis=1)]).astype('<f8').tofile(path + '.out')
print(s.shape[1])
"""

@Suite("Welch power spectra")
struct WelchTests {
    /// Noise plus two tones (one off-bin) plus a DC offset: every part of the spectrum matters.
    static func testSignal(count: Int, seed: UInt64 = 1) -> [IQ] {
        var random = SeededRandom(seed: seed)
        return (0..<count).map { n in
            let t = Double(n)
            let i = 0.3 * cos(0.37 * t) + 0.01 * cos(2.9 * t) + 0.02 + random.nextGaussian() * 0.05
            let q = 0.3 * sin(0.37 * t) + 0.01 * sin(2.9 * t) + random.nextGaussian() * 0.05
            return IQ(i: Float(i), q: Float(q))
        }
    }

    static func spectra(_ x: [IQ], _ configuration: WelchConfiguration, blockSize: Int, rate: Double = 1e6) throws -> [PowerSpectrum] {
        let estimator = try WelchEstimator(configuration: configuration, sampleRate: rate)
        var out: [PowerSpectrum] = []
        x.withUnsafeBufferPointer { all in
            var start = 0
            while start < all.count {
                let end = min(all.count, start + blockSize)
                let info = BlockInfo(sampleIndex: Int64(start), count: end - start, time: nil, centerFrequency: 915e6)
                estimator.process(UnsafeBufferPointer(rebasing: all[start..<end]), info: info) { out.append($0.snapshot()) }
                start = end
            }
        }
        return out
    }

    @Test("Mean, max, min and median per bin agree with scipy (spectrogram/welch, density scaling)",
          .enabled(if: Oracle.sigmf),
          arguments: [(WindowKind.hann, 1024, 0.5, 8), (.blackmanHarris, 512, 0.75, 5), (.flatTop, 256, 0.0, 4), (.rectangular, 2048, 0.5, 3)])
    func matchesScipy(window: WindowKind, size: Int, overlap: Double, averages: Int) throws {
        let configuration = WelchConfiguration(fftSize: size, window: window, overlap: overlap, averages: averages)
        let x = Self.testSignal(count: configuration.spectrumSpan)
        let ours = try #require(try Self.spectra(x, configuration, blockSize: 1000).first)
        let path = try Paths.scratch().appendingPathComponent("x.cf32").path
        try x.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: path)) }
        let segments = try Oracle.script(scipyWelch, [path, "1e6", "\(size)", "\(size - configuration.hop)", window.rawValue == "rectangular" ? "boxcar" : window.rawValue])
        #expect(Int(segments.trimmingCharacters(in: .whitespacesAndNewlines)) == averages)
        let reference = try Data(contentsOf: URL(fileURLWithPath: path + ".out")).withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
        for (row, values) in [ours.mean, ours.maximum, ours.minimum, ours.median].enumerated() {
            var worst = 0.0
            for k in 0..<size {
                let expected = reference[row * size + k]
                worst = max(worst, abs(Double(values[k]) - expected) / expected)
            }
            #expect(worst < 1e-3, "row \(row): worst relative error \(worst)")
        }
        #expect(ours.startSample == 0 && ours.endSample == Int64(configuration.spectrumSpan))
        // The mean alone (no rows: the squares of I and Q summed apart) is scipy's too.
        var meanOnly = configuration
        meanOnly.statistics = false
        meanOnly.segmentRows = false
        let alone = try #require(try Self.spectra(x, meanOnly, blockSize: 1000).first)
        let worst = (0..<size).map { abs(Double(alone.mean[$0]) - reference[$0]) / reference[$0] }.max() ?? .infinity
        #expect(worst < 1e-3, "mean without rows: worst relative error \(worst)")
    }

    @Test("Without rows the mean is the one with rows, to float rounding, at any size and window reach",
          arguments: [(WindowKind.hann, 16), (.hann, 24), (.blackmanHarris, 100), (.flatTop, 1000), (.rectangular, 40), (.hann, 4096)])
    func meanWithoutRows(window: WindowKind, size: Int) throws {
        var withRows = WelchConfiguration(fftSize: size, window: window, overlap: 0.5, averages: 6, statistics: false)
        var meanOnly = withRows
        meanOnly.segmentRows = false
        withRows.segmentRows = true
        #expect(!meanOnly.keepsRows && withRows.keepsRows)
        let x = Self.testSignal(count: 3 * withRows.spectrumSpan + 77, seed: 4)
        let a = try Self.spectra(x, withRows, blockSize: 999), b = try Self.spectra(x, meanOnly, blockSize: 999)
        #expect(a.count >= 3 && b.count == a.count)
        for (p, q) in zip(a, b) {
            let peak = Double(p.mean.max() ?? 1)
            // Relative to each bin, and (for bins deep in a window's sidelobes) to the peak.
            var worst = 0.0
            for k in 0..<size {
                let reference = Double(p.mean[k]), other = Double(q.mean[k])
                worst = max(worst, abs(reference - other) / max(reference, 1e-6 * peak))
            }
            #expect(worst < 1e-5, "\(window) N=\(size): worst relative difference \(worst)")
            #expect(p.startSample == q.startSample && p.endSample == q.endSample)
        }
    }

    @Test("Spectra do not depend on how the stream is cut into blocks", arguments: [1, 333, 1024, 5000])
    func blockIndependence(blockSize: Int) throws {
        let configuration = WelchConfiguration(fftSize: 1024, overlap: 0.5, averages: 3)
        let x = Self.testSignal(count: 20_000)
        let whole = try Self.spectra(x, configuration, blockSize: x.count)
        let cut = try Self.spectra(x, configuration, blockSize: blockSize)
        #expect(whole.count == ((20_000 - 1024) / 512 + 1) / 3)  // whole segments, grouped in threes
        #expect(whole.count == cut.count)
        for (a, b) in zip(whole, cut) {
            #expect(Array(a.mean) == Array(b.mean))
            #expect(a.startSample == b.startSample)
        }
        #expect(whole.map(\.startSample) == (0..<whole.count).map { Int64($0 * configuration.spectrumHop) })
    }

    @Test("Band power is right whatever the window: noise power and tone power (Parseval, ENBW)",
          arguments: WindowKind.allCases)
    func bandPower(window: WindowKind) throws {
        var random = SeededRandom(seed: 9)
        let sigma2 = 0.01, amplitude = 0.2
        let x = (0..<(64 * 1024)).map { n -> IQ in
            let phase = 2 * Double.pi * 100.0 / 1024 * Double(n)  // exactly bin +100
            let s = (sigma2 / 2).squareRoot()
            return IQ(i: Float(amplitude * cos(phase) + random.nextGaussian() * s), q: Float(amplitude * sin(phase) + random.nextGaussian() * s))
        }
        let configuration = WelchConfiguration(fftSize: 1024, window: window, overlap: 0.5, averages: 127)
        let spectrum = try #require(try Self.spectra(x, configuration, blockSize: 8192).first)
        let total = spectrum.bandPower(0..<1024)
        #expect(abs(decibels(total) - decibels(sigma2 + amplitude * amplitude)) < 0.05)
        let toneBin = spectrum.bin(atOffset: 100 * spectrum.binWidth)
        let tone = spectrum.bandPower((toneBin - 6)..<(toneBin + 7)) - 13 * sigma2 / 1024
        #expect(abs(decibels(tone) - decibels(amplitude * amplitude)) < 0.05)
        // The median bin of the noise reads σ²/N (per-bin noise power), less the median's bias.
        let noiseBins = Array(spectrum.mean[0..<400]).sorted()
        #expect(abs(decibels(Double(noiseBins[200])) - decibels(sigma2 / 1024)) < 0.3)
    }

    @Test("A gap in the stream restarts the average and marks the next spectrum")
    func discontinuity() throws {
        let configuration = WelchConfiguration(fftSize: 256, overlap: 0.5, averages: 4)
        let estimator = try WelchEstimator(configuration: configuration, sampleRate: 1e6)
        let x = Self.testSignal(count: 3000)
        var spectra: [(Int64, Bool)] = []
        x.withUnsafeBufferPointer { all in
            let first = BlockInfo(sampleIndex: 0, count: 1000, time: nil, centerFrequency: nil)
            estimator.process(UnsafeBufferPointer(rebasing: all[0..<1000]), info: first) { spectra.append(($0.startSample, $0.discontinuity)) }
            // 5000 samples lost before the next block.
            let second = BlockInfo(sampleIndex: 6000, count: 2000, time: nil, centerFrequency: nil, droppedBefore: 5000, discontinuity: true)
            estimator.process(UnsafeBufferPointer(rebasing: all[1000..<3000]), info: second) { spectra.append(($0.startSample, $0.discontinuity)) }
        }
        #expect(spectra.map(\.0) == [0, 6000, 6512, 7024])
        #expect(spectra.map(\.1) == [false, true, false, false])
    }

    @Test("Spectrum times follow the block times")
    func times() throws {
        let configuration = WelchConfiguration(fftSize: 1000, overlap: 0, averages: 1)
        let estimator = try WelchEstimator(configuration: configuration, sampleRate: 1e6)
        let x = Self.testSignal(count: 3000)
        let start = try Timestamp(rfc3339: "2026-11-24T06:00:00Z")
        var times: [String] = []
        x.withUnsafeBufferPointer { all in
            let info = BlockInfo(sampleIndex: 0, count: 3000, time: start, centerFrequency: nil)
            estimator.process(all, info: info) { times.append($0.time?.rfc3339 ?? "") }
        }
        #expect(times == ["2026-11-24T06:00:00Z", "2026-11-24T06:00:00.001Z", "2026-11-24T06:00:00.002Z"])
    }

    @Test("Impossible configurations are refused, naming the option",
          arguments: [(WelchConfiguration(fftSize: 8), "--fft"), (WelchConfiguration(overlap: 1), "--overlap"), (WelchConfiguration(averages: 0), "--averages")])
    func invalid(configuration: WelchConfiguration, field: String) {
        let error = #expect(throws: SpectrumError.self) { try WelchEstimator(configuration: configuration, sampleRate: 1e6) }
        #expect(error?.description.hasPrefix(field) == true)
    }
}

@Suite("Sorting network")
struct SortingNetworkTests {
    @Test("Sorts every column for every row count up to 40", arguments: Array(1...40))
    func sorts(count: Int) {
        var random = SeededRandom(seed: UInt64(count))
        let width = 7
        var rows = (0..<(count * width)).map { _ in Float(random.nextGaussian()) }
        let expected = (0..<width).map { c in (0..<count).map { rows[$0 * width + c] }.sorted() }
        rows.withUnsafeMutableBufferPointer { SortingNetwork(count: count).sortColumns($0.baseAddress!, width: width) }
        for c in 0..<width { #expect((0..<count).map { rows[$0 * width + c] } == expected[c]) }
    }
}
