import Foundation
import Signal

/// Everything `trustband detect` needs to know.
public struct DetectionConfiguration: Sendable, Equatable {
    public var welch: WelchConfiguration
    /// Probability of any false detection in the whole analysis (all bins of all spectra).
    public var pfa: Double
    public var segmentation: SegmentationConfiguration
    /// The second stage: packets located to the sample and measured from their own spectrum.
    public var refinement: RefinementConfiguration
    /// See `BackgroundModel.backgroundQuantile`.
    public var backgroundQuantile: Double
    /// A bin whose background stands this many dB above the floor is a persistent signal.
    public var persistentMarginDB: Double

    public init(welch: WelchConfiguration = WelchConfiguration(fftSize: 1024, overlap: 0.5, averages: 4, statistics: false),
                pfa: Double = 1e-3, segmentation: SegmentationConfiguration = SegmentationConfiguration(),
                backgroundQuantile: Double = 0.1, persistentMarginDB: Double = 6,
                refinement: RefinementConfiguration = RefinementConfiguration()) {
        self.welch = welch
        self.refinement = refinement
        self.pfa = pfa
        self.segmentation = segmentation
        self.backgroundQuantile = backgroundQuantile
        self.persistentMarginDB = persistentMarginDB
    }
}

/// A signal present (nearly) all the time: part of the background rather than an emission
/// that comes and goes. Receivers' DC spikes and spurs, and carriers that never switch off.
public struct PersistentSignal: Sendable, Equatable {
    public var frequencyLow: Double
    public var frequencyHigh: Double
    public var peakFrequency: Double
    /// Its power above the noise floor, dBFS, and that over the noise in its band.
    public var powerDBFS: Double
    public var snrDB: Double
}

/// The occupancy of a recording: its noise floor, every emission, and the persistent signals.
public struct OccupancyReport: Sendable {
    public var configuration: DetectionConfiguration
    public var sampleRate: Double
    public var centerFrequency: Double?
    public var samples: Int64
    public var threshold: DetectionThreshold
    public var background: Background
    /// Every packet found, in order of start.
    public var emissions: [Emission]
    /// Groups of repeated packets (`Emission.transmission` indexes this).
    public var transmissions: [Transmission]
    public var persistent: [PersistentSignal]
    public var calibration: AppliedCalibration?

    /// Noise floor as power per bin (dBFS) and density (dBFS/Hz).
    public var floorDBFSPerBin: Double { decibels(background.floor) }
    public var floorDBFSPerHz: Double { decibels(background.floor / (sampleRate / Double(configuration.welch.fftSize))) }
}

/// What the first pass learns about a stream.
public struct LearnedBackground: Sendable {
    public var welch: WelchConfiguration
    public var sampleRate: Double
    public var samples: Int64
    public var background: Background
    public var threshold: DetectionThreshold
}

/// Finds every emission in a stream in two passes with constant memory: the first learns the
/// noise floor and the background, the second detects against them and segments emissions.
public enum OccupancyAnalysis {
    /// The largest FFT `detect` accepts (its background histograms grow with the bin count).
    public static let maximumFFTSize = 8192

    /// The first pass: noise floor, background and detection threshold of a stream.
    public static func learn<S: IQSource>(_ configuration: DetectionConfiguration, source: S) throws -> LearnedBackground {
        var welch = configuration.welch
        welch.statistics = false
        try welch.validate()
        // Two sets of per-bin level histograms (7 KB a bin) must stay well under 100 MB.
        guard welch.fftSize <= maximumFFTSize else {
            throw SpectrumError.invalidConfiguration(field: "--fft", problem: "\(welch.fftSize) is more than detect's \(maximumFFTSize) bins")
        }
        // The background is learnt from periodograms that do not overlap: half the transforms,
        // and the averages of K of them are exactly Gamma(K, 1/K) under noise.
        var periodograms = welch
        periodograms.averages = 1
        periodograms.overlap = 0
        let rate = source.stream.sampleRate
        let window = Window(welch.window, length: welch.fftSize)
        let model = BackgroundModel(binCount: welch.fftSize, averages: welch.averages, effectiveAverages: Double(welch.averages),
                                    backgroundQuantile: configuration.backgroundQuantile)
        var samples: Int64 = 0
        try spectra(of: source, welch: periodograms, samples: &samples) { model.add($0) }
        guard model.spectra > 0 else {
            throw SpectrumError.invalidConfiguration(field: "--fft", problem: "the recording (\(samples) samples) is shorter than one spectrum (\(welch.spectrumSpan) samples)")
        }
        let background = model.background(persistentFactor: pow(10, configuration.persistentMarginDB / 10))
        // The cells detection tests: the spectra it makes (overlapping segments, a spectrum every
        // `spectrumHop`), not the learning pass's (half as many with 50 % overlap: counted so
        // until 2026-12-06, every test ran at about twice the false-alarm probability asked).
        let detectSpectra = max(1, (samples - Int64(welch.spectrumSpan)) / Int64(welch.spectrumHop) + 1)
        let threshold = try DetectionThreshold(pfa: configuration.pfa, cells: Double(detectSpectra) * Double(welch.fftSize),
                                               window: window, hop: welch.hop, averages: welch.averages)
        return LearnedBackground(welch: welch, sampleRate: rate, samples: samples, background: background, threshold: threshold)
    }

    public static func run<S: IQSource>(_ configuration: DetectionConfiguration, calibration: AppliedCalibration? = nil,
                                        source makeSource: () throws -> S) throws -> OccupancyReport {
        let learned = try learn(configuration, source: try makeSource())
        let welch = learned.welch, rate = learned.sampleRate, background = learned.background, threshold = learned.threshold
        let samples = learned.samples
        let persistentFactor = pow(10, configuration.persistentMarginDB / 10)
        // The long-integration test (a mean of L spectra: K·L segments) runs at the same
        // whole-analysis false-alarm probability as the single spectra.
        let integrated = configuration.segmentation.integrationSpectra
        let integrationThreshold = integrated > 1 ? try DetectionThreshold(
            pfa: configuration.pfa, cells: threshold.cells, window: Window(welch.window, length: welch.fftSize), hop: welch.hop,
            averages: welch.averages * integrated) : nil
        let tracker = EmissionTracker(background: background, threshold: threshold, fftSize: welch.fftSize, window: welch.window,
                                      configuration: configuration.segmentation, integrationThreshold: integrationThreshold)
        var emissions: [Emission] = []
        var ignored: Int64 = 0
        var centre: Double?
        try spectra(of: try makeSource(), welch: welch, samples: &ignored) { spectrum in
            centre = spectrum.centerFrequency
            emissions += tracker.add(spectrum)
        }
        emissions += tracker.finish()
        emissions = mergeCompanions(emissions, gapHz: Double(configuration.segmentation.gapBins + 1) * rate / Double(welch.fftSize),
                                    togetherSamples: Int64(welch.spectrumSpan), fskSpanHz: rate / 4)
        let persistent = persistentSignals(background, threshold: persistentFactor,
                                           gapBins: configuration.segmentation.gapBins,
                                           binWidth: rate / Double(welch.fftSize), centre: centre ?? 0)
        // The skirts of a persistent signal flicker above its background now and then: a faint
        // "emission" inside (or at the edge of) a persistent signal's band is that, not a transmitter.
        let edge = Double(configuration.segmentation.gapBins + 1) * rate / Double(welch.fftSize)
        emissions.removeAll { e in
            persistent.contains { p in
                e.frequencyLow >= p.frequencyLow - edge && e.frequencyHigh <= p.frequencyHigh + edge && e.powerDBFS <= p.powerDBFS - 20
            }
        }
        var transmissions: [Transmission] = []
        if configuration.refinement.enabled {
            let context = BurstRefinement.Context(background: background, fftSize: welch.fftSize, sampleRate: rate, centre: centre ?? 0,
                                                  samples: samples, spectrumSpan: welch.spectrumSpan)
            (emissions, transmissions) = try BurstRefinement.refine(emissions, context: context, configuration: configuration.refinement,
                                                                    source: makeSource)
            // In order of start, with the transmissions' packet indices following.
            let order = emissions.indices.sorted { (emissions[$0].startSample, $0) < (emissions[$1].startSample, $1) }
            var newIndex = [Int](repeating: 0, count: order.count)
            for (new, old) in order.enumerated() { newIndex[old] = new }
            emissions = order.map { emissions[$0] }
            for t in transmissions.indices { transmissions[t].packets = transmissions[t].packets.map { newIndex[$0] } }
        } else {
            emissions.sort { $0.startSample < $1.startSample }
            for n in emissions.indices {
                emissions[n].transmission = n
                let e = emissions[n]
                transmissions.append(Transmission(startSample: e.startSample, endSample: e.endSample, packets: [n],
                                                  frequencyLow: e.frequencyLow, frequencyHigh: e.frequencyHigh, peakFrequency: e.peakFrequency))
            }
        }
        return OccupancyReport(configuration: configuration, sampleRate: rate, centerFrequency: centre, samples: samples,
                               threshold: threshold, background: background, emissions: emissions, transmissions: transmissions,
                               persistent: persistent, calibration: calibration)
    }

    /// Streams `source` through a Welch estimator, calling `body` with every spectrum; `samples`
    /// ends as the stream's length.
    public static func spectra<S: IQSource>(of source: S, welch: WelchConfiguration, samples: inout Int64,
                                            _ body: (PowerSpectrum) -> Void) throws {
        if welch.threads > 1 {
            // Each worker transforms whole blocks in turn, while this thread reads the next ones and
            // hands on the spectra in order.
            let estimator = try ParallelWelchEstimator(configuration: welch, sampleRate: source.stream.sampleRate, threads: welch.threads,
                                                       blockCapacity: ParallelWelchEstimator.preferredBlock)
            if let recording = source as? RecordingSource {
                // A file: each thread reads its own blocks.
                samples = try estimator.run(recording: recording, body)
            } else {
                samples = try estimator.run(source: source, body)
            }
            return
        }
        let buffer = IQBuffer(capacity: 1 << 16)
        let estimator = try WelchEstimator(configuration: welch, sampleRate: source.stream.sampleRate)
        while let info = try source.read(into: buffer) {
            samples = info.sampleIndex + Int64(info.count)
            estimator.process(UnsafeBufferPointer(buffer.samples), info: info, body)
        }
    }

    /// Joins emissions that are one transmission: overlapping in time by at least half of the
    /// shorter, and in frequency nearer than a quarter of the wider one's bandwidth (or the
    /// bridged gap), or starting and ending together within `togetherSamples` samples and `fskSpanHz`
    /// of each other: FSK tones seen apart, spectral regrowth beside a carrier.
    static func mergeCompanions(_ emissions: [Emission], gapHz: Double, togetherSamples: Int64, fskSpanHz: Double) -> [Emission] {
        var merged = emissions.sorted { $0.startSample < $1.startSample }
        var changed = true
        while changed {
            changed = false
            outer: for i in merged.indices {
                for j in merged.indices where j > i {
                    let a = merged[i], b = merged[j]
                    let overlap = min(a.endSample, b.endSample) - max(a.startSample, b.startSample)
                    let shorter = min(a.endSample - a.startSample, b.endSample - b.startSample)
                    let gap = max(a.frequencyLow, b.frequencyLow) - min(a.frequencyHigh, b.frequencyHigh)
                    let wider = max(a.frequencyHigh - a.frequencyLow, b.frequencyHigh - b.frequencyLow)
                    // A faint fragment right beside a strong emission is its splatter (keying transients);
                    // so is one further out, up to 8 of its widths, that lives only while it does
                    // (the sidelobes of rectangular keying).
                    let (strong, weak) = a.powerDBFS >= b.powerDBFS ? (a, b) : (b, a)
                    let faint = strong.powerDBFS - weak.powerDBFS >= 20
                    let within = weak.startSample >= strong.startSample - togetherSamples && weak.endSample <= strong.endSample + togetherSamples
                    let splatter = faint && ((overlap >= -togetherSamples && gap <= wider / 4)
                        || (within && gap <= 8 * (strong.frequencyHigh - strong.frequencyLow)))
                    if splatter {
                        merged[i] = combine(a, b)
                        merged.remove(at: j)
                        changed = true
                        break outer
                    }
                    guard overlap * 2 >= shorter else { continue }
                    // FSK tones tracked apart start and stop together; independent emitters rarely do.
                    let together = abs(a.startSample - b.startSample) <= togetherSamples && abs(a.endSample - b.endSample) <= togetherSamples
                    guard gap <= max(gapHz, wider / 4) || (together && gap <= fskSpanHz) else { continue }
                    merged[i] = combine(a, b)
                    merged.remove(at: j)
                    changed = true
                    break outer
                }
            }
        }
        return merged
    }

    private static func combine(_ a: Emission, _ b: Emission) -> Emission {
        let (strong, weak) = a.powerDBFS >= b.powerDBFS ? (a, b) : (b, a)
        let signal = pow(10, a.powerDBFS / 10) + pow(10, b.powerDBFS / 10)
        let noise = pow(10, (a.powerDBFS - a.snrDB) / 10) + pow(10, (b.powerDBFS - b.snrDB) / 10)
        let first = a.startSample <= b.startSample ? a : b
        var joined = Emission(startSample: first.startSample, endSample: max(a.endSample, b.endSample), startTime: first.startTime,
                              frequencyLow: min(a.frequencyLow, b.frequencyLow), frequencyHigh: max(a.frequencyHigh, b.frequencyHigh),
                              peakFrequency: strong.peakFrequency, powerDBFS: decibels(signal), snrDB: decibels(signal / noise),
                              spectra: max(strong.spectra, weak.spectra))
        // The −10 dB band of the two together: the weaker one's counts only if it reaches within 10 dB of the stronger.
        joined.band10Low = strong.band10Low
        joined.band10High = strong.band10High
        joined.band20Width = max(strong.band20Width ?? 0, weak.powerDBFS >= strong.powerDBFS - 10 ? (weak.band20Width ?? 0) : 0)
        if weak.powerDBFS >= strong.powerDBFS - 10, let low = weak.band10Low, let high = weak.band10High {
            joined.band10Low = min(joined.band10Low ?? low, low)
            joined.band10High = max(joined.band10High ?? high, high)
            joined.band20Width = max(joined.band20Width ?? 0, joined.band10High! - joined.band10Low!)
        }
        return joined
    }

    private static func persistentSignals(_ background: Background, threshold: Double, gapBins: Int, binWidth: Double,
                                          centre: Double) -> [PersistentSignal] {
        let n = background.perBin.count
        return background.persistentSignalRuns(factor: threshold, gapBins: gapBins).map { run in
            var signal = 0.0, peak = run.lowerBound
            for k in run {
                signal += background.perBin[k] - background.floor
                if background.perBin[k] > background.perBin[peak] { peak = k }
            }
            func hz(_ bin: Double) -> Double { (bin - Double(n / 2)) * binWidth + centre }
            return PersistentSignal(frequencyLow: hz(Double(run.lowerBound) - 0.5), frequencyHigh: hz(Double(run.upperBound) + 0.5),
                                    peakFrequency: hz(Double(peak)), powerDBFS: decibels(signal),
                                    snrDB: decibels(signal / (background.floor * Double(run.count))))
        }
    }
}
