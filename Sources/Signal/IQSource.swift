/// What a stream of samples is: its rate and where it is tuned.
public struct StreamDescription: Sendable, Equatable {
    /// Samples per second.
    public var sampleRate: Double
    /// Centre frequency in Hz, when known (absolute); nil for baseband-only recordings.
    public var centerFrequency: Double?
    /// A human-readable name of the source (file path, device args).
    public var label: String

    public init(sampleRate: Double, centerFrequency: Double?, label: String) {
        self.sampleRate = sampleRate
        self.centerFrequency = centerFrequency
        self.label = label
    }
}

/// What one block of samples is: where it sits in the stream and in time.
public struct BlockInfo: Sendable, Equatable {
    /// Stream index of the block's first sample. Lost samples are counted, so that
    /// `sampleIndex / sampleRate` stays true time since the stream began.
    public var sampleIndex: Int64
    /// Number of samples in the block.
    public var count: Int
    /// Time of the first sample, when the source knows it.
    public var time: Timestamp?
    /// Centre frequency in Hz for this block (captures may retune), when known.
    public var centerFrequency: Double?
    /// Samples lost immediately before this block (overflow, reconnect).
    public var droppedBefore: Int64
    /// True when the stream was broken before this block (device reopened, retuned): filters
    /// and averages should restart.
    public var discontinuity: Bool

    public init(sampleIndex: Int64, count: Int, time: Timestamp?, centerFrequency: Double?,
                droppedBefore: Int64 = 0, discontinuity: Bool = false) {
        self.sampleIndex = sampleIndex
        self.count = count
        self.time = time
        self.centerFrequency = centerFrequency
        self.droppedBefore = droppedBefore
        self.discontinuity = discontinuity
    }
}

/// A producer of timestamped CF32 blocks: a recording, a synthetic scene, or an SDR.
///
/// `read(into:)` fills the buffer (up to its capacity) and describes what it wrote, or returns
/// nil at the end of the stream. Sources reuse their own scratch memory: steady-state reads
/// allocate nothing.
public protocol IQSource: AnyObject {
    associatedtype Failure: Error
    var stream: StreamDescription { get }
    func read(into buffer: IQBuffer) throws(Failure) -> BlockInfo?
}

/// A source that can skip ahead (or back) without reading what lies between: a file. Stages
/// that need only excerpts of a stream use it when they have it, and read through otherwise.
public protocol SeekableIQSource: IQSource {
    /// Makes `sample` the next sample `read` delivers (clamped to the source's span).
    func seek(toSample sample: Int64)
}
