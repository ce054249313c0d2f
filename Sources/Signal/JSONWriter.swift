/// Writes `JSONValue`s as pretty-printed, deterministic JSON (keys in stored order, `/` not
/// escaped, non-ASCII kept as UTF-8). Non-finite numbers are refused: JSON has none.
public enum JSONWriter {
    public static func write(_ value: JSONValue, indent: Int = 4) throws(SignalError) -> String {
        var out = ""
        try append(value, to: &out, level: 0, indent: indent, path: "$")
        out.append("\n")
        return out
    }

    private static func append(_ value: JSONValue, to out: inout String, level: Int, indent: Int, path: String) throws(SignalError) {
        let pad = String(repeating: " ", count: (level + 1) * indent)
        let closePad = String(repeating: " ", count: level * indent)
        switch value {
        case .null: out.append("null")
        case .bool(let b): out.append(b ? "true" : "false")
        case .integer(let i): out.append(String(i))
        case .number(let d):
            guard d.isFinite else { throw .invalidArgument(name: path, problem: "\(d) cannot be written as JSON") }
            if d.rounded() == d && abs(d) < 1e15 { out.append(String(Int64(d))); out.append(".0") } else { out.append("\(d)") }
        case .string(let s): appendString(s, to: &out)
        case .array(let items):
            if items.isEmpty { out.append("[]"); return }
            out.append("[\n")
            for (n, item) in items.enumerated() {
                out.append(pad)
                try append(item, to: &out, level: level + 1, indent: indent, path: "\(path)[\(n)]")
                out.append(n + 1 < items.count ? ",\n" : "\n")
            }
            out.append(closePad + "]")
        case .object(let object):
            if object.isEmpty { out.append("{}"); return }
            out.append("{\n")
            for (n, entry) in object.entries.enumerated() {
                out.append(pad)
                appendString(entry.key, to: &out)
                out.append(": ")
                try append(entry.value, to: &out, level: level + 1, indent: indent, path: "\(path).\(entry.key)")
                out.append(n + 1 < object.entries.count ? ",\n" : "\n")
            }
            out.append(closePad + "}")
        }
    }

    private static func appendString(_ s: String, to out: inout String) {
        out.append("\"")
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out.append("\\\"")
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            case "\t": out.append("\\t")
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out.append("\"")
    }
}
