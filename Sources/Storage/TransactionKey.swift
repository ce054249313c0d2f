import Foundation

/// A transaction id (the SHA-256 of its canonical bytes) as a fixed-size key: 32 bytes as four
/// big-endian words, so its order is the byte order SQLite sorts the stored blobs by.
struct TransactionKey: Hashable, Comparable, Sendable {
    let w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

    /// From the 64 lower- or upper-case hex digits the API and receipts use; nil otherwise.
    init?(hex: String) {
        var utf8 = hex.utf8.makeIterator(), count = 0
        func word() -> UInt64? {
            var w: UInt64 = 0
            for _ in 0..<16 {
                guard let c = utf8.next(), let v = Self.nibble(c) else { return nil }
                w = w << 4 | UInt64(v)
                count += 1
            }
            return w
        }
        guard let a = word(), let b = word(), let c = word(), let d = word(), utf8.next() == nil, count == 64 else { return nil }
        (w0, w1, w2, w3) = (a, b, c, d)
    }

    /// From the 32 stored bytes; nil for another length.
    init?(bytes: Data) {
        guard bytes.count == 32 else { return nil }
        func word(_ i: Int) -> UInt64 { bytes.dropFirst(i * 8).prefix(8).reduce(0) { $0 << 8 | UInt64($1) } }
        (w0, w1, w2, w3) = (word(0), word(1), word(2), word(3))
    }

    /// The 32 bytes, as stored.
    var data: Data {
        withUnsafeBytes(of: (w0.bigEndian, w1.bigEndian, w2.bigEndian, w3.bigEndian)) { Data($0) }
    }

    static func < (a: Self, b: Self) -> Bool { (a.w0, a.w1, a.w2, a.w3) < (b.w0, b.w1, b.w2, b.w3) }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
