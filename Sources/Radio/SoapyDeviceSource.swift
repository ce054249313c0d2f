import Logging
import Signal

/// Streams CF32 blocks from any SoapySDR device, surviving what real radios do: overflows are
/// counted and their lost samples accounted for (from `HAS_TIME` timestamps), timeouts are
/// waited out, and a device that vanishes is reopened with exponential back-off, the stream
/// index advancing by the time it was away.
///
/// Each block is one `readStream` result. Blocking: run it on a thread of its own.
public final class SoapyDeviceSource: IQSource {
    public let args: String
    public let settings: DeviceSettings
    public let policy: ReconnectPolicy
    public private(set) var stream: StreamDescription
    public private(set) var applied: AppliedSettings
    public private(set) var statistics = RadioStatistics()
    /// The format samples arrive in from the device (what `lastRawBlock` holds).
    public private(set) var deviceFormat: SampleFormat

    private var device: SoapyDevice?
    private let clock: any PacingClock
    private let utcNow: @Sendable () -> Timestamp
    private let stop: StopSignal
    private let logger: Logger
    private var raw: UnsafeMutableRawBufferPointer
    /// The device-format bytes of the last block: in `raw`, or in the caller's buffer itself
    /// when the device delivers CF32 as this machine holds it (read there, no copy).
    private var lastRaw = UnsafeRawBufferPointer(start: nil, count: 0)
    private var nextIndex: Int64 = 0
    private var timeAnchor: (deviceNs: Int64, index: Int64)?
    private var utcAnchor: (time: Timestamp, index: Int64)?
    private var pendingDrop: Int64 = 0
    private var pendingDiscontinuity = false
    private var stalledSince: Int64?
    private var lostAt: Int64?

    /// Opens and tunes the device; fails at once if it cannot (a wrong rate, an unknown device).
    public init(args: String, settings: DeviceSettings, policy: ReconnectPolicy = ReconnectPolicy(),
                clock: any PacingClock = SystemPacingClock(), utcNow: @escaping @Sendable () -> Timestamp = SystemUTC.now,
                stop: StopSignal = StopSignal(), logger: Logger = Logger(label: "trustband.radio")) throws(RadioError) {
        try settings.validate()
        self.args = args
        self.settings = settings
        self.policy = policy
        self.clock = clock
        self.utcNow = utcNow
        self.stop = stop
        self.logger = logger
        raw = UnsafeMutableRawBufferPointer.allocate(byteCount: 0, alignment: 64)
        let (device, applied, format) = try Self.open(args: args, settings: settings)
        self.device = device
        self.applied = applied
        self.deviceFormat = format
        stream = StreamDescription(sampleRate: applied.sampleRate, centerFrequency: applied.frequency, label: args)
        logger.info("device open", metadata: ["args": "\(args)", "driver": "\(applied.driver)", "format": "\(applied.streamFormat)",
                                              "rate": "\(applied.sampleRate)", "frequency": "\(applied.frequency)"])
    }

    deinit { raw.deallocate() }

    private static func open(args: String, settings: DeviceSettings) throws(RadioError) -> (SoapyDevice, AppliedSettings, SampleFormat) {
        let device = try SoapyDevice(args: args, channel: settings.channel)
        var applied = try device.configure(settings)
        let native = settings.preferNativeFormat ? device.exactNativeFormat() : nil
        let (soapyName, format) = native ?? ("CF32", .cf32LE)
        try device.startStream(format: soapyName)
        applied.streamFormat = soapyName
        return (device, applied, format)
    }

    /// The device-format bytes of the block last returned (valid until the next read, and while
    /// the buffer it was read into is left as it is).
    public var lastRawBlock: UnsafeRawBufferPointer { lastRaw }

    #if _endian(little)
    private static let littleEndianHost = true
    #else
    private static let littleEndianHost = false
    #endif

    public func read(into buffer: IQBuffer) throws(RadioError) -> BlockInfo? {
        let width = deviceFormat.bytesPerSample
        let direct = deviceFormat == .cf32LE && Self.littleEndianHost
        if !direct, raw.count < buffer.capacity * width {
            raw.deallocate()
            raw = UnsafeMutableRawBufferPointer.allocate(byteCount: buffer.capacity * width, alignment: 64)
        }
        while !stop.isRaised {
            guard let device else {
                try reconnect()
                continue
            }
            let destination = direct ? UnsafeMutableRawPointer(buffer.storageBuffer.baseAddress!) : raw.baseAddress!
            switch device.read(into: destination, count: buffer.capacity, timeoutMicroseconds: policy.readTimeoutMicroseconds) {
            case .samples(let count, let timeNs, _):
                stalledSince = nil
                return deliver(count: count, deviceTimeNs: timeNs, into: buffer, direct: direct)
            case .timeout(let endOfBurst):
                statistics.timeouts += 1
                if endOfBurst && applied.driver == "replay" { return nil }  // a replayed recording has ended
                let now = clock.now()
                let since = stalledSince ?? now
                stalledSince = since
                if now - since >= policy.stallTimeout {
                    markLost("no samples for \(Double(now - since) / 1e9) s")
                }
            case .overflow:
                statistics.overflows += 1
                pendingDiscontinuity = true
                logger.debug("overflow", metadata: ["count": "\(statistics.overflows)"])
            case .failed(let code, let message):
                markLost("readStream failed (\(code): \(message))")
            }
        }
        return nil
    }

    private func deliver(count: Int, deviceTimeNs: Int64?, into buffer: IQBuffer, direct: Bool) -> BlockInfo {
        let rate = applied.sampleRate
        if let deviceTimeNs {
            if let anchor = timeAnchor {
                let expected = anchor.index + Int64((Double(deviceTimeNs - anchor.deviceNs) * rate / 1e9).rounded())
                // A sample clock off by up to 1000 ppm (real ones: tens) moves the timestamps by
                // that much of the samples since the anchor: that is drift, not loss.
                let tolerance = max(2, (nextIndex - anchor.index) / 1_000)
                if expected - nextIndex > tolerance { pendingDrop += expected - nextIndex }
            }
            timeAnchor = (deviceTimeNs, nextIndex + pendingDrop)
        }
        let index = nextIndex + pendingDrop
        if count < buffer.capacity { statistics.shortReads += 1 }
        buffer.count = count
        if direct {
            lastRaw = UnsafeRawBufferPointer(start: buffer.storageBuffer.baseAddress, count: count * deviceFormat.bytesPerSample)
        } else {
            SampleConverter.toCF32(raw.baseAddress!, format: deviceFormat, sampleCount: count, into: buffer.interleaved.baseAddress!)
            lastRaw = UnsafeRawBufferPointer(rebasing: raw[0..<(count * deviceFormat.bytesPerSample)])
        }
        if utcAnchor == nil {
            utcAnchor = (utcNow().advanced(byNanoseconds: -Int64(Double(count) / rate * 1e9)), index)
        }
        let time = utcAnchor.map { $0.time.advanced(bySamples: index - $0.index, sampleRate: rate) }
        let info = BlockInfo(sampleIndex: index, count: count, time: time, centerFrequency: applied.frequency,
                             droppedBefore: pendingDrop, discontinuity: pendingDiscontinuity || pendingDrop > 0)
        statistics.droppedSamples += pendingDrop
        statistics.samples += Int64(count)
        statistics.blocks += 1
        nextIndex = index + Int64(count)
        pendingDrop = 0
        pendingDiscontinuity = false
        return info
    }

    private func markLost(_ reason: String) {
        statistics.deviceLosses += 1
        logger.warning("device lost", metadata: ["args": "\(args)", "reason": "\(reason)"])
        device = nil
        stalledSince = nil
        lostAt = clock.now()
    }

    /// Reopens the device with back-off until it answers, the policy gives up, or stop is raised.
    private func reconnect() throws(RadioError) {
        var attempt = 0
        var lastMessage = ""
        while !stop.isRaised {
            attempt += 1
            if let limit = policy.maxAttempts, attempt > limit {
                throw .deviceLost(args: args, attempts: attempt - 1, message: lastMessage)
            }
            clock.sleep(until: clock.now() + policy.delay(beforeAttempt: attempt))
            do {
                let (device, applied, format) = try Self.open(args: args, settings: settings)
                guard format == deviceFormat else {
                    throw RadioError.streamFailed(operation: "resume", message: "the device came back streaming \(format) instead of \(deviceFormat)")
                }
                self.device = device
                self.applied = applied
                statistics.reconnects += 1
                // Samples that passed while the device was away are lost: advance the index by that time.
                let away = clock.now() - (lostAt ?? clock.now())
                pendingDrop += Int64((Double(away) * applied.sampleRate / 1e9).rounded())
                pendingDiscontinuity = true
                timeAnchor = nil
                logger.info("device reopened", metadata: ["args": "\(args)", "attempts": "\(attempt)"])
                return
            } catch {
                statistics.failedReconnects += 1
                lastMessage = "\(error)"
                logger.debug("reopen failed", metadata: ["attempt": "\(attempt)", "error": "\(error)"])
            }
        }
    }
}

/// The system's UTC clock (an edge: only device sources and the CLI read it).
public enum SystemUTC {
    @Sendable public static func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(nanosecondsSinceEpoch: Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec))
    }
}

#if canImport(Glibc)
import Glibc
#endif
