import Evidence
import Signal

/// One JSON object of a scenario file, read field by field; every error names the path
/// (`blocks[2].txs[0].deposit`) and what is wrong.
struct ScenarioField {
    let path: String
    let object: JSONObject

    init(path: String, _ value: JSONValue?) throws(LedgerError) {
        guard case .object(let object) = value else { throw .invalidField(field: path, problem: "must be an object") }
        self.path = path
        self.object = object
    }

    func fail(_ key: String, _ problem: String) -> LedgerError { .invalidField(field: "\(path).\(key)", problem: problem) }

    func has(_ key: String) -> Bool { object[key] != nil && object[key] != .null }

    func string(_ key: String) throws(LedgerError) -> String {
        guard let s = object[key]?.stringValue else { throw fail(key, object[key] == nil ? "is required" : "must be a string") }
        return s
    }

    func optionalString(_ key: String) throws(LedgerError) -> String? { has(key) ? try string(key) : nil }

    func int(_ key: String) throws(LedgerError) -> Int64 {
        guard let value = object[key] else { throw fail(key, "is required") }
        guard let v = value.int64Value else { throw fail(key, "must be an integer, not \(value.typeName)") }
        return v
    }

    func optionalInt(_ key: String) throws(LedgerError) -> Int64? { has(key) ? try int(key) : nil }

    func bool(_ key: String) throws(LedgerError) -> Bool {
        guard case .bool(let b) = object[key] else { throw fail(key, "must be true or false") }
        return b
    }

    /// A decimal quantity in thousandths (dB → milli-dB), rounded.
    func milli(_ key: String) throws(LedgerError) -> Int64 {
        guard let v = object[key]?.doubleValue, v.isFinite, abs(v) < 9e12 else { throw fail(key, "must be a finite number") }
        return Int64((v * 1000).rounded())
    }

    /// Seconds as a number → ns; or `KEY_ns` as an integer.
    func duration(_ key: String) throws(LedgerError) -> Int64 {
        if has(key + "_ns") { return try int(key + "_ns") }
        guard let v = object[key + "_s"]?.doubleValue, v.isFinite, v >= 0, v < 9e9 else { throw fail(key + "_s", "is required: seconds (or \(key)_ns)") }
        return Int64((v * 1e9).rounded())
    }

    /// An RFC 3339 time in `KEY`, or ns since the epoch in `KEY_ns`.
    func time(_ key: String) throws(LedgerError) -> Int64 {
        if has(key + "_ns") { return try int(key + "_ns") }
        let text = try string(key)
        do { return try Timestamp(rfc3339: text).nanosecondsSinceEpoch } catch { throw fail(key, error.description) }
    }

    func optionalTime(_ key: String) throws(LedgerError) -> Int64? { has(key) || has(key + "_ns") ? try time(key) : nil }

    func bytes(_ key: String, count: Int? = nil) throws(LedgerError) -> [UInt8] {
        guard let data = unhex(try string(key)) else { throw fail(key, "must be hex") }
        if let count, data.count != count { throw fail(key, "must be \(count) bytes, not \(data.count)") }
        return Array(data)
    }

    func object(_ key: String) throws(LedgerError) -> ScenarioField { try ScenarioField(path: "\(path).\(key)", object[key]) }

    func array(_ key: String) throws(LedgerError) -> [JSONValue] {
        guard case .array(let items) = object[key] else { throw fail(key, "must be an array") }
        return items
    }
}
