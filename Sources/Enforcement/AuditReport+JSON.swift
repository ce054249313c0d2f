import Signal
import Spectrum

extension AuditReport {
    /// The report as DESIGN.md section 4 fixes it: `{kind, grant_id, start_sample, end_sample,
    /// start_time, end_time, measured, limit, margin_db, …}` per violation.
    public func jsonValue(recording: String) -> JSONValue {
        func number(_ x: Double) -> JSONValue { x.isFinite ? .number((x * 1000).rounded() / 1000) : .null }
        var o = JSONObject()
        o["recording"] = .string(recording)
        o["sample_rate"] = .number(sampleRate)
        o["samples"] = .integer(samples)
        o["noise_floor_dbfs_per_hz"] = number(floorDBFSPerHz)
        o["calibration"] = calibration.map { .object(JSONObject([("id", .string($0.id)), ("offset_db", number($0.offsetDb))])) }
            ?? .string("none: dBFS are read as dBm")
        o["violations"] = .array(violations.map { v in
            var x = JSONObject()
            x["kind"] = .string(v.kind.rawValue)
            x["rule"] = .string(v.rule)
            x["grant_id"] = .string(v.grantID)
            x["suspect"] = .string(v.suspect)
            x["start_sample"] = .integer(v.startSample)
            x["end_sample"] = .integer(v.endSample)
            x["start_time"] = v.startTime.map { .string($0.rfc3339) } ?? .null
            x["end_time"] = v.endTime.map { .string($0.rfc3339) } ?? .null
            x["measured"] = number(v.measured)
            x["limit"] = number(v.limit)
            x["unit"] = .string(v.unit)
            x["margin_db"] = number(v.marginDB)
            return .object(x)
        })
        o["radio_impairments"] = .array(impairments.map { span in
            var x = JSONObject()
            x["kind"] = .string(span.impairment.rawValue)
            x["start_sample"] = .integer(span.startSample)
            x["end_sample"] = .integer(span.endSample)
            x["start_time"] = span.startTime.map { .string($0.rfc3339) } ?? .null
            x["end_time"] = span.endTime.map { .string($0.rfc3339) } ?? .null
            x["spectra"] = .integer(Int64(span.spectra))
            x["worst_db"] = number(span.worstDB)
            x["treatment"] = .string(span.impairment == .dcStep ? "kept out of the audit" : "limits widened by the shift")
            return .object(x)
        })
        return .object(o)
    }
}
