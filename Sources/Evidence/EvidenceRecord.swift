import Crypto
import Enforcement
import Foundation
import Signal

/// What a sensor signs about one violation (DESIGN.md section 7). Integers only: Hz, ns,
/// thousandths of the measurement's unit (milli-dB for dBm/MHz), so that every node encodes
/// it to the same bytes.
public struct EvidenceRecord: Sendable, Equatable {
    public static let version: UInt16 = 1
    private static let magic: [UInt8] = Array("TBEV".utf8)

    public var sensorID: String
    public var grantID: String
    public var kind: String
    public var rule: String
    public var suspect: String
    public var startNs: Int64
    public var endNs: Int64
    public var centerHz: Int64
    public var sampleRateMilliHz: Int64
    /// Measured value, limit and margin, in thousandths of `unit` (margin in milli-dB).
    public var unit: String
    public var measuredMilli: Int64
    public var limitMilli: Int64?
    public var marginMilliDB: Int64?
    /// Noise floor the measurement was made against, milli-dBFS per bin, and the FFT size.
    public var noiseFloorMilliDBFS: Int64
    public var fftSize: Int64
    public var calibrationID: String
    public var calibrationOffsetMilliDB: Int64
    public var location: String
    /// SHA-256 of the IQ excerpt's data file.
    public var excerptSHA256: [UInt8]
    public var nonce: [UInt8]

    public init(sensorID: String, grantID: String, kind: String, rule: String, suspect: String, startNs: Int64, endNs: Int64,
                centerHz: Int64, sampleRateMilliHz: Int64, unit: String, measuredMilli: Int64, limitMilli: Int64?, marginMilliDB: Int64?,
                noiseFloorMilliDBFS: Int64, fftSize: Int64, calibrationID: String, calibrationOffsetMilliDB: Int64, location: String,
                excerptSHA256: [UInt8], nonce: [UInt8]) {
        self.sensorID = sensorID
        self.grantID = grantID
        self.kind = kind
        self.rule = rule
        self.suspect = suspect
        self.startNs = startNs
        self.endNs = endNs
        self.centerHz = centerHz
        self.sampleRateMilliHz = sampleRateMilliHz
        self.unit = unit
        self.measuredMilli = measuredMilli
        self.limitMilli = limitMilli
        self.marginMilliDB = marginMilliDB
        self.noiseFloorMilliDBFS = noiseFloorMilliDBFS
        self.fftSize = fftSize
        self.calibrationID = calibrationID
        self.calibrationOffsetMilliDB = calibrationOffsetMilliDB
        self.location = location
        self.excerptSHA256 = excerptSHA256
        self.nonce = nonce
    }

    /// Thousandths, rounded; nil for values with no finite representation.
    public static func milli(_ x: Double) -> Int64? { x.isFinite ? Int64((x * 1000).rounded()) : nil }

    /// The signed bytes: magic, version, then every field in this order.
    public var canonicalBytes: [UInt8] {
        var w = CanonicalWriter()
        for b in Self.magic { w.u8(b) }
        w.u16(Self.version)
        for s in [sensorID, grantID, kind, rule, suspect] { w.string(s) }
        for v in [startNs, endNs, centerHz, sampleRateMilliHz] { w.i64(v) }
        w.string(unit)
        w.i64(measuredMilli)
        w.optional(limitMilli)
        w.optional(marginMilliDB)
        w.i64(noiseFloorMilliDBFS)
        w.i64(fftSize)
        w.string(calibrationID)
        w.i64(calibrationOffsetMilliDB)
        w.string(location)
        w.data(excerptSHA256)
        w.data(nonce)
        return w.bytes
    }

    /// Decodes canonical bytes, refusing anything not produced by `canonicalBytes`.
    public init(canonical bytes: [UInt8]) throws(EvidenceError) {
        var r = CanonicalReader(bytes)
        for b in Self.magic where try r.u8("magic") != b { throw .malformedRecord(problem: "not a Trustband evidence record (magic)") }
        let version = try r.u16("version")
        guard version == Self.version else { throw .malformedRecord(problem: "version \(version) is not \(Self.version)") }
        self.init(sensorID: try r.string("sensor_id"), grantID: try r.string("grant_id"), kind: try r.string("kind"),
                  rule: try r.string("rule"), suspect: try r.string("suspect"), startNs: try r.i64("start_ns"), endNs: try r.i64("end_ns"),
                  centerHz: try r.i64("center_hz"), sampleRateMilliHz: try r.i64("sample_rate"), unit: try r.string("unit"),
                  measuredMilli: try r.i64("measured"), limitMilli: try r.optional("limit"), marginMilliDB: try r.optional("margin"),
                  noiseFloorMilliDBFS: try r.i64("noise_floor"), fftSize: try r.i64("fft_size"), calibrationID: try r.string("calibration_id"),
                  calibrationOffsetMilliDB: try r.i64("calibration_offset"), location: try r.string("location"),
                  excerptSHA256: try r.data("excerpt_sha256"), nonce: try r.data("nonce"))
        try r.finish()
        guard excerptSHA256.count == 32 else { throw .malformedRecord(problem: "excerpt_sha256 is \(excerptSHA256.count) bytes, not 32") }
    }

    /// The record's identity: SHA-256 of its canonical bytes (never of a signature).
    public var id: String { Hex.encode(SHA256.hash(data: canonicalBytes)) }
}
