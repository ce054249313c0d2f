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
