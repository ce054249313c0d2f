/// Hysteresis for one rule of one grant: a violation opens only after its condition has held
/// for `hold` nanoseconds, and closes after it has been false for `release`, so that a
/// measurement flickering around a limit neither floods nor splits reports. Pure: observations
/// in, finished violations out.
public struct ViolationTracker: Sendable {
    /// One observation: a spectrum's span and whether the rule was broken in it.
    public struct Observation: Sendable {
        public var startNs: Int64, endNs: Int64
        public var startSample: Int64, endSample: Int64
        public var broken: Bool
        /// The measured value, and how far past the limit it is (larger = worse).
        public var measured: Double
        public var excess: Double

        public init(startNs: Int64, endNs: Int64, startSample: Int64, endSample: Int64, broken: Bool, measured: Double, excess: Double) {
            self.startNs = startNs
            self.endNs = endNs
            self.startSample = startSample
            self.endSample = endSample
            self.broken = broken
            self.measured = measured
            self.excess = excess
        }
    }

    /// A violation's extent and its worst observation.
    public struct Span: Sendable, Equatable {
        public var startNs: Int64, endNs: Int64
        public var startSample: Int64, endSample: Int64
        public var worstMeasured: Double
        public var worstExcess: Double
    }

    public let hold: Int64
    public let release: Int64
    private var current: Span?
    private var isOpen = false

    public init(hold: Int64, release: Int64) {
        self.hold = hold
        self.release = release
    }

    /// Takes the next observation; returns a violation that has just ended.
    public mutating func observe(_ o: Observation) -> Span? {
        if o.broken {
            if var span = current {
                span.endNs = o.endNs
                span.endSample = o.endSample
                if o.excess > span.worstExcess { span.worstExcess = o.excess; span.worstMeasured = o.measured }
                current = span
            } else {
                current = Span(startNs: o.startNs, endNs: o.endNs, startSample: o.startSample, endSample: o.endSample,
                               worstMeasured: o.measured, worstExcess: o.excess)
            }
            if let span = current, span.endNs - span.startNs >= hold { isOpen = true }
            return nil
        }
        guard let span = current, o.startNs - span.endNs >= release else { return nil }
        return finish()
    }

    /// Ends the stream: returns the violation still open, if any.
    public mutating func finish() -> Span? {
        defer { current = nil; isOpen = false }
        return isOpen ? current : nil
    }
}
