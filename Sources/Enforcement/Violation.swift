import Signal

/// One violation of one grant: what, by whom, when, and by how much.
public struct Violation: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case power, frequency, time, degradation
    }

    public var kind: Kind
    public var grantID: String
    /// The holder (power, frequency, time) or the grant's MNO (degradation).
    public var suspect: String
    public var startSample: Int64
    public var endSample: Int64
    public var startTime: Timestamp?
    public var endTime: Timestamp?
    /// What was measured (worst over the span) and the limit it broke, in `unit`.
    public var measured: Double
    public var limit: Double
    public var unit: String
    /// How far past the limit, in dB (positive = violation), where the quantity has dB.
    public var marginDB: Double
    /// Which rule: `max_psd`, `oob_mask`, `outside_windows`, `max_occupancy`, `nominal_psd`, `nominal_bandwidth`.
    public var rule: String

    public init(kind: Kind, grantID: String, suspect: String, startSample: Int64, endSample: Int64, startTime: Timestamp?,
                endTime: Timestamp?, measured: Double, limit: Double, unit: String, marginDB: Double, rule: String) {
        self.kind = kind
        self.grantID = grantID
        self.suspect = suspect
        self.startSample = startSample
        self.endSample = endSample
        self.startTime = startTime
        self.endTime = endTime
        self.measured = measured
        self.limit = limit
        self.unit = unit
        self.marginDB = marginDB
        self.rule = rule
    }
}
