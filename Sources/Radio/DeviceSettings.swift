/// How to tune a device. Gain is manual (AGC off) whenever a gain is given: sensing needs a
/// known, fixed gain for calibrated power.
public struct DeviceSettings: Sendable, Equatable {
    public var frequency: Double
    public var sampleRate: Double
    /// Overall gain in dB; nil leaves the device's gain as it is (still with AGC off).
    public var gain: Double?
    /// Analog bandwidth in Hz; nil leaves the device's default.
    public var bandwidth: Double?
    public var antenna: String?
    public var channel: Int
    /// Stream in the device's native format when we can convert it exactly ourselves
    /// (lossless recording); otherwise ask the driver for CF32.
    public var preferNativeFormat: Bool

    public init(frequency: Double, sampleRate: Double, gain: Double? = nil, bandwidth: Double? = nil,
                antenna: String? = nil, channel: Int = 0, preferNativeFormat: Bool = true) {
        self.frequency = frequency
        self.sampleRate = sampleRate
        self.gain = gain
        self.bandwidth = bandwidth
        self.antenna = antenna
        self.channel = channel
        self.preferNativeFormat = preferNativeFormat
    }

    func validate() throws(RadioError) {
        guard frequency.isFinite, frequency >= 0 else { throw .invalidArgument(name: "--freq", problem: "\(frequency) is not a frequency") }
        guard sampleRate.isFinite, sampleRate > 0 else { throw .invalidArgument(name: "--rate", problem: "\(sampleRate) is not a sample rate") }
        if let gain, !gain.isFinite { throw .invalidArgument(name: "--gain", problem: "\(gain) is not a gain") }
        if let bandwidth, !(bandwidth.isFinite && bandwidth > 0) { throw .invalidArgument(name: "--bandwidth", problem: "\(bandwidth) is not a bandwidth") }
        guard channel >= 0 else { throw .invalidArgument(name: "--channel", problem: "\(channel) is not a channel") }
    }
}

/// What the device actually runs at, read back after tuning.
public struct AppliedSettings: Sendable, Equatable {
    public var driver: String
    public var hardware: String
    public var frequency: Double
    public var sampleRate: Double
    public var gain: Double
    public var bandwidth: Double
    public var antenna: String?
    public var automaticGain: Bool
    /// The SoapySDR stream format in use (CU8, CS16, CF32, …).
    public var streamFormat: String
}

/// When and how often to try reopening a device that vanished.
public struct ReconnectPolicy: Sendable, Equatable {
    /// First wait, in nanoseconds; doubled (by `multiplier`) on each failure, up to `maxDelay`.
    public var initialDelay: Int64
    public var maxDelay: Int64
    public var multiplier: Double
    /// Give up after this many failed attempts (nil: never give up; a sensor should not).
    public var maxAttempts: Int?
    /// Timeouts for this long in a row mean the device is gone.
    public var stallTimeout: Int64
    /// How long one `readStream` may wait, in microseconds.
    public var readTimeoutMicroseconds: Int

    public init(initialDelay: Int64 = 100_000_000, maxDelay: Int64 = 30_000_000_000, multiplier: Double = 2,
                maxAttempts: Int? = nil, stallTimeout: Int64 = 5_000_000_000, readTimeoutMicroseconds: Int = 100_000) {
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.multiplier = multiplier
        self.maxAttempts = maxAttempts
        self.stallTimeout = stallTimeout
        self.readTimeoutMicroseconds = readTimeoutMicroseconds
    }

    /// The wait before attempt `attempt` (1-based), in nanoseconds.
    public func delay(beforeAttempt attempt: Int) -> Int64 {
        let scaled = Double(initialDelay) * pow(multiplier, Double(max(0, attempt - 1)))
        return min(maxDelay, Int64(min(scaled, Double(Int64.max / 2))))
    }
}

/// Counters a device source keeps (exported as metrics by the agent).
public struct RadioStatistics: Sendable, Equatable {
    public var samples: Int64 = 0
    public var blocks: Int64 = 0
    public var overflows: Int64 = 0
    public var timeouts: Int64 = 0
    public var shortReads: Int64 = 0
    public var droppedSamples: Int64 = 0
    public var deviceLosses: Int64 = 0
    public var reconnects: Int64 = 0
    public var failedReconnects: Int64 = 0

    public init() {}
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
