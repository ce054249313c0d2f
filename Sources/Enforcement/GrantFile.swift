import Foundation
import Signal

/// Reads `{"grants": [ … ]}` (snake_case fields, RFC 3339 window times), refusing anything
/// malformed with the grant id and the field named.
public enum GrantFile {
    public static func decode(json data: Data, path: String) throws(EnforcementError) -> [Grant] {
        let root: JSONValue
        do { root = try JSONValue.parse(data) } catch {
            throw .malformedGrantFile(path: path, problem: "not JSON: \(error)")
        }
        guard case .object(let top) = root, case .array(let items)? = top["grants"] else {
            throw .malformedGrantFile(path: path, problem: "expected an object with a \"grants\" array")
        }
        var grants: [Grant] = []
        for (n, item) in items.enumerated() {
            var reader = GrantReader(path: path, index: n, value: item)
            let grant = try reader.grant()
            if grants.contains(where: { $0.id == grant.id }) {
                throw .invalidGrant(path: path, grant: grant.id, field: "id", problem: "appears twice")
            }
            grants.append(grant)
        }
        return grants
    }
}

/// Reads one grant's fields, naming the grant (its id, or its index before the id is known).
private struct GrantReader {
    let path: String
    let index: Int
    let value: JSONValue
    var name: String = ""

    init(path: String, index: Int, value: JSONValue) {
        self.path = path
        self.index = index
        self.value = value
        name = "grants[\(index)]"
    }

    func fail(_ field: String, _ problem: String) -> EnforcementError {
        .invalidGrant(path: path, grant: name, field: field, problem: problem)
    }

    mutating func grant() throws(EnforcementError) -> Grant {
        guard case .object(let o) = value else { throw fail("$", "must be an object, got \(value.typeName)") }
        let id = try string(o, "id")
        guard !id.isEmpty else { throw fail("id", "is empty") }
        name = id
        let low = try number(o, "freq_low_hz"), high = try number(o, "freq_high_hz")
        guard low >= 0, high > low else { throw fail("freq_high_hz", "\(high) must be above freq_low_hz \(low)") }
        let windows = try windowList(o)
        let occupancy = try number(o, "max_occupancy_s")
        guard occupancy > 0 else { throw fail("max_occupancy_s", "\(occupancy) must be positive") }
        var nominal: Grant.Nominal?
        if let value = o["nominal"], value != .null {
            guard case .object(let n) = value else { throw fail("nominal", "must be an object") }
            let bandwidth = try number(n, "bandwidth_hz", prefix: "nominal.")
            guard bandwidth > 0, bandwidth <= high - low else {
                throw fail("nominal.bandwidth_hz", "\(bandwidth) must be positive and fit the granted band (\(high - low) Hz)")
            }
            let tolerance = try number(n, "tolerance_db", prefix: "nominal.")
            guard tolerance >= 0 else { throw fail("nominal.tolerance_db", "\(tolerance) must not be negative") }
            nominal = Grant.Nominal(psdDbmPerMhz: try number(n, "psd_dbm_per_mhz", prefix: "nominal."), bandwidthHz: bandwidth,
                                    toleranceDb: tolerance)
        }
        return Grant(id: id, holder: try string(o, "holder"), mno: try string(o, "mno"), frequencyLow: low, frequencyHigh: high,
                     maxPsdDbmPerMhz: try number(o, "max_psd_dbm_per_mhz"),
                     outOfBandMaxPsdDbmPerMhz: try number(o, "oob_max_psd_dbm_per_mhz"),
                     windows: windows, maxOccupancySeconds: occupancy, nominal: nominal)
    }

    private func string(_ o: JSONObject, _ key: String) throws(EnforcementError) -> String {
        guard let value = o[key] else { throw fail(key, "is required") }
        guard let text = value.stringValue else { throw fail(key, "must be a string, got \(value.typeName)") }
        return text
    }

    private func number(_ o: JSONObject, _ key: String, prefix: String = "") throws(EnforcementError) -> Double {
        guard let value = o[key] else { throw fail(prefix + key, "is required") }
        guard let x = value.doubleValue, x.isFinite else { throw fail(prefix + key, "must be a number, got \(value.typeName)") }
        return x
    }

    private func windowList(_ o: JSONObject) throws(EnforcementError) -> [Grant.Window] {
        guard let value = o["windows"] else { throw fail("windows", "is required") }
        guard case .array(let items) = value else { throw fail("windows", "must be an array") }
        var windows: [Grant.Window] = []
        for (n, item) in items.enumerated() {
            let field = "windows[\(n)]"
            guard case .object(let w) = item else { throw fail(field, "must be an object with start and end") }
            func time(_ key: String) throws(EnforcementError) -> Timestamp {
                guard let text = w[key]?.stringValue else { throw fail("\(field).\(key)", "is required (an RFC 3339 time)") }
                do { return try Timestamp(rfc3339: text) } catch { throw fail("\(field).\(key)", error.description) }
            }
            let start = try time("start"), end = try time("end")
            guard end > start else { throw fail("\(field).end", "\(end) is not after start \(start)") }
            windows.append(Grant.Window(start: start, end: end))
        }
        return windows
    }
}

extension GrantFile {
    /// The grant file for `grants`, as `decode` reads it.
    public static func encode(_ grants: [Grant]) -> JSONValue {
        .object(JSONObject([("grants", .array(grants.map { g in
            var o = JSONObject()
            o["id"] = .string(g.id)
            o["holder"] = .string(g.holder)
            o["mno"] = .string(g.mno)
            o["freq_low_hz"] = .number(g.frequencyLow)
            o["freq_high_hz"] = .number(g.frequencyHigh)
            o["max_psd_dbm_per_mhz"] = .number(g.maxPsdDbmPerMhz)
            o["oob_max_psd_dbm_per_mhz"] = .number(g.outOfBandMaxPsdDbmPerMhz)
            o["windows"] = .array(g.windows.map { .object(JSONObject([("start", .string($0.start.rfc3339)), ("end", .string($0.end.rfc3339))])) })
            o["max_occupancy_s"] = .number(g.maxOccupancySeconds)
            if let n = g.nominal {
                o["nominal"] = .object(JSONObject([("psd_dbm_per_mhz", .number(n.psdDbmPerMhz)), ("bandwidth_hz", .number(n.bandwidthHz)),
                                                   ("tolerance_db", .number(n.toleranceDb))]))
            }
            return .object(o)
        }))]))
    }
}
