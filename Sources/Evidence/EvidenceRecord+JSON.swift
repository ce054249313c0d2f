import Signal

extension EvidenceRecord {
    /// The record for people (not what is signed).
    public var jsonValue: JSONValue {
        var o = JSONObject()
        o["id"] = .string(id)
        o["sensor_id"] = .string(sensorID)
        o["grant_id"] = .string(grantID)
        o["kind"] = .string(kind)
        o["rule"] = .string(rule)
        o["suspect"] = .string(suspect)
        o["start_time"] = .string(Timestamp(nanosecondsSinceEpoch: startNs).rfc3339)
        o["end_time"] = .string(Timestamp(nanosecondsSinceEpoch: endNs).rfc3339)
        o["center_hz"] = .integer(centerHz)
        o["sample_rate_millihz"] = .integer(sampleRateMilliHz)
        o["unit"] = .string(unit)
        o["measured_milli"] = .integer(measuredMilli)
        o["limit_milli"] = limitMilli.map { .integer($0) } ?? .null
        o["margin_milli_db"] = marginMilliDB.map { .integer($0) } ?? .null
        o["noise_floor_milli_dbfs"] = .integer(noiseFloorMilliDBFS)
        o["fft_size"] = .integer(fftSize)
        o["calibration_id"] = .string(calibrationID)
        o["calibration_offset_milli_db"] = .integer(calibrationOffsetMilliDB)
        o["location"] = .string(location)
        o["excerpt_sha256"] = .string(hex(excerptSHA256))
        o["nonce"] = .string(hex(nonce))
        return .object(o)
    }
}
