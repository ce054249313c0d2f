/// Streams a `Recording` as CF32 blocks: constant memory whatever the file size, blocks split
/// at capture boundaries (each block has one centre frequency), optionally paced in real time.
public final class RecordingSource: SeekableIQSource {
    /// How fast to deliver samples.
    public enum Pacing: Sendable {
        /// As fast as the disk and CPU allow (auditing, tests).
        case asFastAsPossible
        /// At the recording's sample rate, as a live device would (`speed` 2 = twice as fast).
        case realTime(clock: any PacingClock, speed: Double = 1)
    }

    public let recording: Recording
    public let stream: StreamDescription
    private let file: ReadOnlyFile
    private let pacing: Pacing
    private let firstSample: Int64
    private let endSample: Int64
    private var position: Int64
    private var scratch: UnsafeMutableRawBufferPointer
    private var paceOrigin: (clock: Int64, sample: Int64)?

    /// - Parameters:
    ///   - startSample: first sample to deliver; `sampleLimit` caps how many in total.
    public init(recording: Recording, pacing: Pacing = .asFastAsPossible, startSample: Int64 = 0,
                sampleLimit: Int64? = nil) throws(SignalError) {
        guard let rate = recording.metadata.global.sampleRate else {
            throw .invalidArgument(name: "--rate", problem: "\(recording.path) does not say its sample rate; pass --rate")
        }
        guard startSample >= 0, startSample <= recording.sampleCount else {
            throw .invalidArgument(name: "start sample", problem: "\(startSample) is outside 0…\(recording.sampleCount)")
        }
        self.recording = recording
        self.stream = StreamDescription(sampleRate: rate, centerFrequency: recording.metadata.captures.first?.frequency,
                                        label: recording.path)
        self.file = try ReadOnlyFile(path: recording.dataPath)
        self.pacing = pacing
        self.position = startSample
        self.firstSample = startSample
        self.endSample = min(recording.sampleCount, sampleLimit.map { startSample + max(0, $0) } ?? .max)
        self.scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 0, alignment: 64)
    }

    deinit { scratch.deallocate() }

    /// Index of the next sample to be delivered.
    public var nextSample: Int64 { position }

    /// Index one past the last sample it delivers.
    public var endOfStream: Int64 { endSample }

    /// True when a block read anywhere by another reader (`independentReader()`) carries what
    /// the same block of a sequential read does: one capture starting at sample 0, read from 0,
    /// not paced. Then several threads can each read their own blocks.
    public var readsIndependently: Bool {
        guard case .asFastAsPossible = pacing, firstSample == 0 else { return false }
        let captures = recording.metadata.captures
        return captures.count <= 1 && (captures.first?.sampleStart ?? 0) == 0
    }

    /// Another source over the same samples with a file handle of its own, for another thread.
    public func independentReader() throws(SignalError) -> RecordingSource {
        try RecordingSource(recording: recording, startSample: firstSample, sampleLimit: endSample - firstSample)
    }

    /// The time a block starting at sample `index` carries (nil when the recording has none).
    public func time(atSample index: Int64) -> Timestamp? {
        let capture = recording.metadata.capture(containing: index)
        return capture?.datetime.map { $0.advanced(bySamples: index - (capture?.sampleStart ?? 0), sampleRate: stream.sampleRate) }
    }

    public func seek(toSample sample: Int64) {
        position = min(max(0, sample), endSample)
        paceOrigin = nil
    }

    public func read(into buffer: IQBuffer) throws(SignalError) -> BlockInfo? {
        try read(into: buffer, maximum: buffer.capacity)
    }

    /// `read(into:)`, at most `maximum` samples (and at most the buffer's capacity).
    public func read(into buffer: IQBuffer, maximum: Int) throws(SignalError) -> BlockInfo? {
        guard position < endSample else { return nil }
        if case .realTime(let clock, _) = pacing, paceOrigin == nil { paceOrigin = (clock.now(), position) }
        let metadata = recording.metadata
        let capture = metadata.capture(containing: position)
        let nextCaptureStart = metadata.captures.first { $0.sampleStart > position }?.sampleStart ?? .max
        let count = Int(min(Int64(min(buffer.capacity, max(0, maximum))), endSample - position, nextCaptureStart - position))
        let format = recording.format
        let byteCount = count * format.bytesPerSample
        let offset = recording.dataOffset + position * Int64(format.bytesPerSample)
        let block = UnsafeMutableRawPointer(buffer.storageBuffer.baseAddress!)
        let got: Int
        if format == .cf32LE && Self.littleEndianHost {
            // Already CF32 as this machine holds it: read straight into the block.
            got = try file.read(into: UnsafeMutableRawBufferPointer(start: block, count: byteCount), at: offset)
        } else {
            if scratch.count < byteCount {
                scratch.deallocate()
                scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: buffer.capacity * format.bytesPerSample, alignment: 64)
            }
            got = try file.read(into: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<byteCount]), at: offset)
            if got == byteCount {
                SampleConverter.toCF32(scratch.baseAddress!, format: format, sampleCount: count, into: block.assumingMemoryBound(to: Float.self))
            }
        }
        guard got == byteCount else {
            throw .io(path: recording.dataPath, operation: "read sample \(position)", message: "file ended early (was it truncated while open?)")
        }
        buffer.count = count
        let info = BlockInfo(sampleIndex: position, count: count, time: time(atSample: position), centerFrequency: capture?.frequency,
                             discontinuity: capture?.sampleStart == position && position > 0)
        position += Int64(count)
        pace(upTo: position)
        return info
    }

    #if _endian(little)
    private static let littleEndianHost = true
    #else
    private static let littleEndianHost = false
    #endif

    /// Waits until the block ending at `sample` would have arrived from a live device.
    private func pace(upTo sample: Int64) {
        guard case .realTime(let clock, let speed) = pacing, let origin = paceOrigin else { return }
        let elapsed = Double(sample - origin.sample) / (stream.sampleRate * speed)
        clock.sleep(until: origin.clock + Int64((elapsed * 1e9).rounded()))
    }
}
