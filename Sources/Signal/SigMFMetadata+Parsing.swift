import Foundation

extension SigMFMetadata {
    /// Parses `.sigmf-meta` JSON. `path` only labels errors. Every problem names its field.
    public init(json data: Data, path: String) throws(SignalError) {
        let root: JSONValue
        do { root = try JSONValue.parse(data) } catch {
            throw .invalidMetadata(path: path, field: "$", problem: error.description)
        }
        let reader = FieldReader(path: path)
        guard case .object(let top) = root else {
            throw .invalidMetadata(path: path, field: "$", problem: "must be a JSON object, got \(root.typeName)")
        }
        let globalObject = try reader.object(top["global"], "global", required: true)!
        self.init(global: try reader.global(globalObject))
        captures = try reader.list(top["captures"], "captures").enumerated().map { n, value throws(SignalError) in
            try reader.capture(value, "captures[\(n)]")
        }
        if captures.isEmpty { captures = [SigMFCapture(sampleStart: 0)] }
        annotations = try reader.list(top["annotations"], "annotations").enumerated().map { n, value throws(SignalError) in
            try reader.annotation(value, "annotations[\(n)]")
        }
        for (n, pair) in zip(captures, captures.dropFirst()).enumerated() where pair.1.sampleStart < pair.0.sampleStart {
            throw .invalidMetadata(path: path, field: "captures[\(n + 1)].core:sample_start",
                                   problem: "captures must be sorted by sample_start (\(pair.1.sampleStart) < \(pair.0.sampleStart))")
        }
        for (n, pair) in zip(annotations, annotations.dropFirst()).enumerated() where pair.1.sampleStart < pair.0.sampleStart {
            throw .invalidMetadata(path: path, field: "annotations[\(n + 1)].core:sample_start",
                                   problem: "annotations must be sorted by sample_start (\(pair.1.sampleStart) < \(pair.0.sampleStart))")
        }
    }
}

/// Reads typed fields out of JSON objects, with errors that name the field.
private struct FieldReader {
    let path: String

    func fail(_ field: String, _ problem: String) -> SignalError {
        .invalidMetadata(path: path, field: field, problem: problem)
    }

    func object(_ value: JSONValue?, _ field: String, required: Bool = false) throws(SignalError) -> JSONObject? {
        guard let value else {
            if required { throw fail(field, "is required") }
            return nil
        }
        guard case .object(let object) = value else { throw fail(field, "must be an object, got \(value.typeName)") }
        return object
    }

    func list(_ value: JSONValue?, _ field: String) throws(SignalError) -> [JSONValue] {
        guard let value else { return [] }
        guard case .array(let items) = value else { throw fail(field, "must be an array, got \(value.typeName)") }
        return items
    }

    func string(_ object: JSONObject, _ key: String, in section: String) throws(SignalError) -> String? {
        guard let value = object[key] else { return nil }
        guard let s = value.stringValue else { throw fail("\(section).\(key)", "must be a string, got \(value.typeName)") }
        return s
    }

    func double(_ object: JSONObject, _ key: String, in section: String) throws(SignalError) -> Double? {
        guard let value = object[key] else { return nil }
        guard let d = value.doubleValue, d.isFinite else { throw fail("\(section).\(key)", "must be a number, got \(value.typeName)") }
        return d
    }

    func count(_ object: JSONObject, _ key: String, in section: String) throws(SignalError) -> Int64? {
        guard let value = object[key] else { return nil }
        guard let i = value.int64Value, i >= 0 else {
            throw fail("\(section).\(key)", "must be a non-negative integer, got \(value.int64Value.map(String.init) ?? value.typeName)")
        }
        return i
    }

    func extras(_ object: JSONObject, known: Set<String>) -> JSONObject {
        JSONObject(object.entries.filter { !known.contains($0.key) })
    }

    func global(_ g: JSONObject) throws(SignalError) -> SigMFGlobal {
        guard let datatypeName = try string(g, "core:datatype", in: "global") else { throw fail("global.core:datatype", "is required") }
        let datatype: SampleFormat
        do { datatype = try SampleFormat(parsing: datatypeName) } catch {
            throw fail("global.core:datatype", error.description)
        }
        if SampleFormat.aliases[datatypeName.lowercased()] != nil {
            throw fail("global.core:datatype", "'\(datatypeName)' is a file-extension alias, not a SigMF datatype (use \(datatype.sigmfName))")
        }
        let rate = try double(g, "core:sample_rate", in: "global")
        if let rate, !(rate > 0 && rate <= 1e12) {
            throw fail("global.core:sample_rate", "\(rate) is not a sample rate (must be > 0 and ≤ 1e12 S/s)")
        }
        guard let version = try string(g, "core:version", in: "global") else { throw fail("global.core:version", "is required") }
        let parts = version.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }), parts[0] == "1" else {
            throw fail("global.core:version", "'\(version)' is not a SigMF 1.x version such as 1.2.0")
        }
        let channels = try count(g, "core:num_channels", in: "global") ?? 1
        guard channels == 1 else {
            throw fail("global.core:num_channels", "\(channels) channels: only single-channel recordings are supported")
        }
        if let sha = try string(g, "core:sha512", in: "global"), !(sha.count == 128 && sha.allSatisfy(\.isHexDigit)) {
            throw fail("global.core:sha512", "must be 128 hex digits")
        }
        var extensions: [SigMFExtension] = []
        for (n, item) in try list(g["core:extensions"], "global.core:extensions").enumerated() {
            let field = "global.core:extensions[\(n)]"
            guard let e = try object(item, field),
                  let name = try string(e, "name", in: field), let version = try string(e, "version", in: field),
                  case .bool(let optional)? = e["optional"] else {
                throw fail(field, "must be {name, version, optional}")
            }
            extensions.append(SigMFExtension(name: name, version: version, optional: optional))
        }
        var result = SigMFGlobal(
            datatype: datatype, sampleRate: rate, version: version, numChannels: Int(channels),
            sha512: try string(g, "core:sha512", in: "global"),
            description: try string(g, "core:description", in: "global"),
            author: try string(g, "core:author", in: "global"),
            recorder: try string(g, "core:recorder", in: "global"),
            hardware: try string(g, "core:hw", in: "global"),
            license: try string(g, "core:license", in: "global"),
            extensions: extensions,
            extra: extras(g, known: ["core:datatype", "core:sample_rate", "core:version", "core:num_channels", "core:sha512",
                                     "core:offset", "core:trailing_bytes", "core:description", "core:author",
                                     "core:recorder", "core:hw", "core:license", "core:extensions"]))
        result.offset = try count(g, "core:offset", in: "global")
        result.trailingBytes = try count(g, "core:trailing_bytes", in: "global")
        return result
    }

    func capture(_ value: JSONValue, _ field: String) throws(SignalError) -> SigMFCapture {
        guard let c = try object(value, field) else { throw fail(field, "must be an object") }
        guard let start = try count(c, "core:sample_start", in: field) else { throw fail("\(field).core:sample_start", "is required") }
        var datetime: Timestamp?
        if let text = try string(c, "core:datetime", in: field) {
            do { datetime = try Timestamp(rfc3339: text) } catch { throw fail("\(field).core:datetime", error.description) }
        }
        return SigMFCapture(
            sampleStart: start, frequency: try double(c, "core:frequency", in: field), datetime: datetime,
            headerBytes: try count(c, "core:header_bytes", in: field), globalIndex: try count(c, "core:global_index", in: field),
            extra: extras(c, known: ["core:sample_start", "core:frequency", "core:datetime", "core:header_bytes", "core:global_index"]))
    }

    func annotation(_ value: JSONValue, _ field: String) throws(SignalError) -> SigMFAnnotation {
        guard let a = try object(value, field) else { throw fail(field, "must be an object") }
        guard let start = try count(a, "core:sample_start", in: field) else { throw fail("\(field).core:sample_start", "is required") }
        let low = try double(a, "core:freq_lower_edge", in: field)
        let high = try double(a, "core:freq_upper_edge", in: field)
        if (low == nil) != (high == nil) {
            throw fail(field, "core:freq_lower_edge and core:freq_upper_edge must be given together")
        }
        if let low, let high, low > high {
            throw fail("\(field).core:freq_lower_edge", "\(low) is above core:freq_upper_edge \(high)")
        }
        return SigMFAnnotation(
            sampleStart: start, sampleCount: try count(a, "core:sample_count", in: field), freqLowerEdge: low, freqUpperEdge: high,
            label: try string(a, "core:label", in: field), comment: try string(a, "core:comment", in: field),
            generator: try string(a, "core:generator", in: field), uuid: try string(a, "core:uuid", in: field),
            extra: extras(a, known: ["core:sample_start", "core:sample_count", "core:freq_lower_edge", "core:freq_upper_edge",
                                     "core:label", "core:comment", "core:generator", "core:uuid"]))
    }
}
