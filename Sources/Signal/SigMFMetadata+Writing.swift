extension SigMFMetadata {
    /// The metadata as JSON, stricter than SigMF requires: anchored datatype, `Z` datetimes,
    /// every extension namespace in use declared in `core:extensions`, sorted segments.
    public func jsonValue() throws(SignalError) -> JSONValue {
        var sortedCaptures = captures
        sortedCaptures.sort { $0.sampleStart < $1.sampleStart }
        var sortedAnnotations = annotations
        sortedAnnotations.sort { $0.sampleStart < $1.sampleStart }

        var g = JSONObject()
        g["core:datatype"] = .string(global.datatype.sigmfName)
        if let rate = global.sampleRate {
            guard rate.isFinite, rate > 0, rate <= 1e12 else {
                throw .invalidArgument(name: "global.core:sample_rate", problem: "\(rate) is not a sample rate")
            }
            g["core:sample_rate"] = .number(rate)
        }
        g["core:version"] = .string(global.version)
        if global.numChannels != 1 { g["core:num_channels"] = .integer(Int64(global.numChannels)) }
        if let sha = global.sha512 { g["core:sha512"] = .string(sha) }
        if let offset = global.offset { g["core:offset"] = .integer(offset) }
        if let trailing = global.trailingBytes { g["core:trailing_bytes"] = .integer(trailing) }
        if let text = global.description { g["core:description"] = .string(text) }
        if let text = global.author { g["core:author"] = .string(text) }
        if let text = global.recorder { g["core:recorder"] = .string(text) }
        if let text = global.hardware { g["core:hw"] = .string(text) }
        if let text = global.license { g["core:license"] = .string(text) }
        for (key, value) in global.extra { g[key] = value }

        let captureValues = sortedCaptures.map { c -> JSONValue in
            var o = JSONObject()
            o["core:sample_start"] = .integer(c.sampleStart)
            if let f = c.frequency { o["core:frequency"] = .number(f) }
            if let t = c.datetime { o["core:datetime"] = .string(t.rfc3339) }
            if let h = c.headerBytes { o["core:header_bytes"] = .integer(h) }
            if let i = c.globalIndex { o["core:global_index"] = .integer(i) }
            for (key, value) in c.extra { o[key] = value }
            return .object(o)
        }
        let annotationValues = sortedAnnotations.map { a -> JSONValue in
            var o = JSONObject()
            o["core:sample_start"] = .integer(a.sampleStart)
            if let n = a.sampleCount { o["core:sample_count"] = .integer(n) }
            if let f = a.freqLowerEdge { o["core:freq_lower_edge"] = .number(f) }
            if let f = a.freqUpperEdge { o["core:freq_upper_edge"] = .number(f) }
            if let s = a.label { o["core:label"] = .string(s) }
            if let s = a.comment { o["core:comment"] = .string(s) }
            if let s = a.generator { o["core:generator"] = .string(s) }
            if let s = a.uuid { o["core:uuid"] = .string(s) }
            for (key, value) in a.extra { o[key] = value }
            return .object(o)
        }

        let extensions = withDeclaredExtensions().global.extensions
        if !extensions.isEmpty {
            g["core:extensions"] = .array(extensions.map {
                .object(JSONObject([("name", .string($0.name)), ("version", .string($0.version)), ("optional", .bool($0.optional))]))
            })
        }
        return .object(JSONObject([("global", .object(g)), ("captures", .array(captureValues)),
                                   ("annotations", .array(annotationValues))]))
    }

    /// The metadata as `.sigmf-meta` text.
    public func jsonText() throws(SignalError) -> String { try JSONWriter.write(jsonValue()) }

    /// This metadata with every extension namespace in use declared in `core:extensions`
    /// (declarations already present are kept as given).
    public func withDeclaredExtensions() -> SigMFMetadata {
        var declared = self
        let objects = [global.extra] + captures.map(\.extra) + annotations.map(\.extra)
        for namespace in Self.namespaces(in: objects) where !declared.global.extensions.contains(where: { $0.name == namespace }) {
            declared.global.extensions.append(namespace == Self.trustbandNamespace.name
                ? Self.trustbandNamespace : SigMFExtension(name: namespace, version: "0.0.0", optional: true))
        }
        return declared
    }

    private static func namespaces(in objects: [JSONObject]) -> [String] {
        var seen: [String] = []
        for object in objects {
            for key in object.keys {
                guard let colon = key.firstIndex(of: ":") else { continue }
                let namespace = String(key[..<colon])
                if namespace != "core" && !seen.contains(namespace) { seen.append(namespace) }
            }
        }
        return seen
    }
}
