import Signal

/// One emission found in time and frequency: what `trustband detect` reports.
public struct Emission: Sendable, Equatable {
    /// First and one-past-last sample, in the stream's sample index.
    public var startSample: Int64
    public var endSample: Int64
    /// Time of `startSample`, when the source knows it.
    public var startTime: Timestamp?
    /// Band edges and peak in Hz: absolute when the centre frequency is known, else relative.
    public var frequencyLow: Double
    public var frequencyHigh: Double
    public var peakFrequency: Double
    /// Mean signal power over the emission's band and duration (noise removed), dBFS.
    public var powerDBFS: Double
    /// That power over the noise power in the same band, dB.
    public var snrDB: Double
    /// The spectra it was seen in.
    public var spectra: Int
    /// The band where its accumulated spectrum stands within 10 dB of its strongest bin (the
    /// spectra's view, before the packet's own spectrum is measured).
    public var band10Low: Double?
    public var band10High: Double?
    /// Width of the band within 20 dB of its strongest bin: the keying sidebands that the
    /// time-domain stage must pass to see each pulse (an OOK carrier's line is narrower).
    public var band20Width: Double?
    /// Energy centroid of its own spectrum (Hz, like the band edges), when measured.
    public var centroidFrequency: Double?
    /// Both tones of a two-tone (FSK) emission, lower first; empty otherwise.
    public var tones: [Double] = []
    /// On-runs (pulses) of its band inside it: 1 for continuous modulation, many for OOK.
    public var pulses = 1
    /// The transmission (group of repeats) it belongs to: an index into the report's transmissions.
    public var transmission: Int?

    public init(startSample: Int64, endSample: Int64, startTime: Timestamp?, frequencyLow: Double, frequencyHigh: Double,
                peakFrequency: Double, powerDBFS: Double, snrDB: Double, spectra: Int) {
        self.startSample = startSample
        self.endSample = endSample
        self.startTime = startTime
        self.frequencyLow = frequencyLow
        self.frequencyHigh = frequencyHigh
        self.peakFrequency = peakFrequency
        self.powerDBFS = powerDBFS
        self.snrDB = snrDB
        self.spectra = spectra
    }
}

/// A transmitter's repeats of its packet: packets in one band with gaps of at most the
/// rule's transmission gap between them.
public struct Transmission: Sendable, Equatable {
    public var startSample: Int64
    public var endSample: Int64
    /// Indices of its packets in the report's emissions, in time order.
    public var packets: [Int]
    public var frequencyLow: Double
    public var frequencyHigh: Double
    public var peakFrequency: Double

    public init(startSample: Int64, endSample: Int64, packets: [Int], frequencyLow: Double, frequencyHigh: Double, peakFrequency: Double) {
        self.startSample = startSample
        self.endSample = endSample
        self.packets = packets
        self.frequencyLow = frequencyLow
        self.frequencyHigh = frequencyHigh
        self.peakFrequency = peakFrequency
    }
}
