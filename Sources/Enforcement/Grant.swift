import Signal

/// A right to transmit in a band, at a power, in time windows, as a sensor sees it.
public struct Grant: Sendable, Equatable {
    /// A window of time in which the holder may transmit, `[start, end)`.
    public struct Window: Sendable, Equatable {
        public var start: Timestamp
        public var end: Timestamp

        public init(start: Timestamp, end: Timestamp) {
            self.start = start
            self.end = end
        }

        public func contains(_ t: Timestamp) -> Bool { t >= start && t < end }
    }

    /// The service the MNO promised in this grant.
    public struct Nominal: Sendable, Equatable {
        public var psdDbmPerMhz: Double
        public var bandwidthHz: Double
        public var toleranceDb: Double

        public init(psdDbmPerMhz: Double, bandwidthHz: Double, toleranceDb: Double) {
            self.psdDbmPerMhz = psdDbmPerMhz
            self.bandwidthHz = bandwidthHz
            self.toleranceDb = toleranceDb
        }
    }

    public var id: String
    /// Who transmits under the grant (suspect of power, frequency and time violations).
    public var holder: String
    /// The operator that granted it (suspect of degradation).
    public var mno: String
    public var frequencyLow: Double
    public var frequencyHigh: Double
    /// Highest PSD allowed in the band, as received at this sensor.
    public var maxPsdDbmPerMhz: Double
    /// Highest PSD allowed just outside the band (the out-of-band mask).
    public var outOfBandMaxPsdDbmPerMhz: Double
    public var windows: [Window]
    /// Longest continuous transmission allowed, seconds.
    public var maxOccupancySeconds: Double
    public var nominal: Nominal?

    public init(id: String, holder: String, mno: String, frequencyLow: Double, frequencyHigh: Double, maxPsdDbmPerMhz: Double,
                outOfBandMaxPsdDbmPerMhz: Double, windows: [Window], maxOccupancySeconds: Double, nominal: Nominal? = nil) {
        self.id = id
        self.holder = holder
        self.mno = mno
        self.frequencyLow = frequencyLow
        self.frequencyHigh = frequencyHigh
        self.maxPsdDbmPerMhz = maxPsdDbmPerMhz
        self.outOfBandMaxPsdDbmPerMhz = outOfBandMaxPsdDbmPerMhz
        self.windows = windows
        self.maxOccupancySeconds = maxOccupancySeconds
        self.nominal = nominal
    }

    public var bandwidth: Double { frequencyHigh - frequencyLow }
    public var centre: Double { (frequencyLow + frequencyHigh) / 2 }

    /// True when `t` lies in one of the grant's windows.
    public func allows(_ t: Timestamp) -> Bool { windows.contains { $0.contains(t) } }
}
