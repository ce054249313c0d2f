import Foundation
import Testing
import TestSupport
@testable import Signal
@testable import Spectrum

/// The detector against closed-form theory: noise alone crosses the threshold as often as
/// the configured false-alarm probability says, and a steady tone of known SNR is detected as
/// often as the noncentral χ² (Marcum Q) predicts.
@Suite("ROC against theory")
struct ROCTests {
    static let fft = 256, averages = 4, spectra = 1500
    static let configuration = WelchConfiguration(fftSize: fft, window: .hann, overlap: 0, averages: averages, statistics: false)

    /// Detection decisions for bin `bin` and the false alarms over all other bins.
    static func run(amplitude: Double, seed: UInt64, cellPfa: Double) throws -> (detections: Int, falseAlarms: Int, noiseCells: Int, threshold: DetectionThreshold) {
        var random = SeededRandom(seed: seed)
        let count = spectra * averages * fft
        let toneBin = 32
        let x = (0..<count).map { n -> IQ in
            let phase = 2 * Double.pi * Double(toneBin) / Double(fft) * Double(n)
            return IQ(i: Float(amplitude * cos(phase) + random.nextGaussian() * 0.5.squareRoot()),
                      q: Float(amplitude * sin(phase) + random.nextGaussian() * 0.5.squareRoot()))
        }
        let model = BackgroundModel(binCount: fft, averages: averages, effectiveAverages: Double(averages))
        var single = configuration
        single.averages = 1
        let info = BlockInfo(sampleIndex: 0, count: count, time: nil, centerFrequency: nil)
        x.withUnsafeBufferPointer { all in
            try! WelchEstimator(configuration: single, sampleRate: 1e6).process(all, info: info) { model.add($0) }
        }
        let background = model.background(persistentFactor: 1e9)
        let threshold = try DetectionThreshold(pfa: cellPfa, cells: 1, effectiveAverages: Double(averages))
        var detections = 0, falseAlarms = 0, noiseCells = 0
        x.withUnsafeBufferPointer { all in
            try! WelchEstimator(configuration: configuration, sampleRate: 1e6).process(all, info: info) { spectrum in
                let toneIndex = spectrum.bin(atOffset: Double(toneBin) * spectrum.binWidth)
                for k in 0..<fft {
                    let detected = Double(spectrum.mean[k]) > threshold.factor * background.floor
                    // Hann leaks a tone into its two neighbours; they are neither noise nor the test bin.
                    if abs(k - toneIndex) <= 1 && amplitude > 0 {
                        if k == toneIndex && detected { detections += 1 }
                    } else {
                        noiseCells += 1
                        if detected { falseAlarms += 1 }
                    }
                }
            }
        }
        return (detections, falseAlarms, noiseCells, threshold)
    }

    @Test("Noise alone: the measured false-alarm rate is within a factor of 2 of the configured one",
          arguments: [1e-2, 1e-3])
    func falseAlarmRate(pfa: Double) throws {
        let result = try Self.run(amplitude: 0, seed: 11, cellPfa: pfa)
        let measured = Double(result.falseAlarms) / Double(result.noiseCells)
        #expect(measured > pfa / 2 && measured < pfa * 2, "measured \(measured) for pfa \(pfa) over \(result.noiseCells) cells")
    }

    @Test("A steady tone is detected as often as Marcum's Q predicts, at three SNRs (95 % band)",
          arguments: [1.5, 2.5, 3.5, 4.5])
    func detectionProbability(snr: Double) throws {
        // Per-bin SNR of a bin-centred tone under Hann: (A² / ENBW) / (σ² / N).
        let enbw = Window(.hann, length: Self.fft).equivalentNoiseBandwidthBins
        let amplitude = (snr * enbw / Double(Self.fft)).squareRoot()
        let result = try Self.run(amplitude: amplitude, seed: UInt64(snr * 100), cellPfa: 1e-3)
        let predicted = result.threshold.detectionProbability(snr: snr)
        let measured = Double(result.detections) / Double(Self.spectra)
        let band = 1.96 * (predicted * (1 - predicted) / Double(Self.spectra)).squareRoot()
        #expect(abs(measured - predicted) <= band, "SNR \(snr): measured Pd \(measured), predicted \(predicted) ± \(band)")
        #expect(predicted > 0.05 && predicted < 0.999)
    }
}
