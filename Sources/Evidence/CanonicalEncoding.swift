import Foundation

/// A fixed binary layout for signed payloads: big-endian integers of fixed width, and
/// length-prefixed (u32) byte strings, in a fixed field order. No floating point, no maps:
/// one value has exactly one encoding (DESIGN.md section 4).
package struct CanonicalWriter {
    package private(set) var bytes: [UInt8] = []

    package init() {}

    package mutating func u8(_ v: UInt8) { bytes.append(v) }
    package mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.bigEndian) { bytes += $0 } }
    package mutating func i64(_ v: Int64) { withUnsafeBytes(of: v.bigEndian) { bytes += $0 } }
    package mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.bigEndian) { bytes += $0 } }
    package mutating func bool(_ v: Bool) { bytes.append(v ? 1 : 0) }
    package mutating func data(_ v: [UInt8]) {
        withUnsafeBytes(of: UInt32(v.count).bigEndian) { bytes += $0 }
        bytes += v
    }
    package mutating func string(_ v: String) { data(Array(v.utf8)) }
    package mutating func optional(_ v: Int64?) {
        if let v { u8(1); i64(v) } else { u8(0) }
    }
}

/// Reads what `CanonicalWriter` wrote, refusing anything else.
package struct CanonicalReader {
    private let bytes: [UInt8]
    private var offset = 0

    package init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Bytes not yet read.
    package var remaining: Int { bytes.count - offset }

    private mutating func take(_ count: Int, _ field: String) throws(EvidenceError) -> ArraySlice<UInt8> {
        guard count >= 0, offset + count <= bytes.count else {
            throw .malformedRecord(problem: "truncated at \(field) (offset \(offset))")
        }
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }

    private mutating func integer<T: FixedWidthInteger>(_ type: T.Type, _ field: String) throws(EvidenceError) -> T {
        try take(MemoryLayout<T>.size, field).reduce(T(0)) { $0 << 8 | T($1) }
    }

    package mutating func u8(_ field: String) throws(EvidenceError) -> UInt8 { try integer(UInt8.self, field) }
    package mutating func u16(_ field: String) throws(EvidenceError) -> UInt16 { try integer(UInt16.self, field) }
    package mutating func i64(_ field: String) throws(EvidenceError) -> Int64 { Int64(bitPattern: try integer(UInt64.self, field)) }
    package mutating func u64(_ field: String) throws(EvidenceError) -> UInt64 { try integer(UInt64.self, field) }

    package mutating func bool(_ field: String) throws(EvidenceError) -> Bool {
        switch try u8(field) {
        case 0: return false
        case 1: return true
        case let v: throw .malformedRecord(problem: "\(field) is \(v), not 0 or 1")
        }
    }

    package mutating func data(_ field: String, limit: Int = 1 << 16) throws(EvidenceError) -> [UInt8] {
        let count = Int(try integer(UInt32.self, field))
        guard count <= limit else { throw .malformedRecord(problem: "\(field) is \(count) bytes, more than \(limit)") }
        return Array(try take(count, field))
    }

    package mutating func string(_ field: String) throws(EvidenceError) -> String {
        let raw = try data(field)
        // Not Foundation's String(bytes:encoding:), which drops a leading byte-order mark: what is
        // decoded must encode back to the same bytes.
        guard let text = String(validating: raw, as: UTF8.self) else { throw .malformedRecord(problem: "\(field) is not UTF-8") }
        return text
    }

    package mutating func optional(_ field: String) throws(EvidenceError) -> Int64? {
        switch try u8(field) {
        case 0: return nil
        case 1: return try i64(field)
        case let flag: throw .malformedRecord(problem: "\(field) presence flag is \(flag), not 0 or 1")
        }
    }

    package func finish() throws(EvidenceError) {
        guard offset == bytes.count else { throw .malformedRecord(problem: "\(bytes.count - offset) bytes after the record") }
    }
}
