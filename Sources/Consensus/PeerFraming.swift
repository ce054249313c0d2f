/// Length-prefixed items in one body: u32 big-endian length, bytes, repeated (peer links,
/// `/v1/peer/…`, `/v1/txs`; docs/openapi.yaml).
public enum PeerFraming {
    /// What is wrong with a body's framing.
    public struct Malformed: Error, Sendable, Equatable, CustomStringConvertible {
        public let problem: String
        public init(_ problem: String) { self.problem = problem }
        public var description: String { "malformed body: \(problem)" }
    }

    public static func frame(_ items: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(items.reduce(0) { $0 + $1.count + 4 })
        for item in items {
            withUnsafeBytes(of: UInt32(item.count).bigEndian) { out += $0 }
            out += item
        }
        return out
    }

    /// The items, or a description of what is wrong with the framing.
    public static func unframe(_ bytes: [UInt8], maxItems: Int = 100_000) -> Result<[[UInt8]], PeerFraming.Malformed> {
        var items: [[UInt8]] = [], offset = 0
        while offset < bytes.count {
            guard bytes.count - offset >= 4 else { return .failure(.init("truncated length at byte \(offset)")) }
            let length = bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
            offset += 4
            guard length <= bytes.count - offset else { return .failure(.init("item of \(length) bytes overruns the body at \(offset)")) }
            items.append(Array(bytes[offset..<(offset + length)]))
            offset += length
            guard items.count <= maxItems else { return .failure(.init("more than \(maxItems) items")) }
        }
        return .success(items)
    }
}
