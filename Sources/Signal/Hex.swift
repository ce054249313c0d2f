import Crypto
import Foundation

/// Lower-case hexadecimal, both ways (hashes, keys and ids are printed and parsed a lot:
/// `String(format:)` per byte costs microseconds each).
public enum Hex {
    static let digits = Array("0123456789abcdef".utf8)

    public static func encode<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 {
        if let text = bytes.withContiguousStorageIfAvailable({ encode(raw: UnsafeRawBufferPointer($0)) }) { return text }
        return Array(bytes).withUnsafeBytes { encode(raw: $0) }
    }

    /// A digest's bytes (a digest iterates byte by byte, which is slow through `Sequence`).
    public static func encode<D: Digest>(_ digest: D) -> String { digest.withUnsafeBytes { encode(raw: $0) } }

    static func encode(raw: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: raw.count * 2) { out in
            digits.withUnsafeBufferPointer { d in
                var i = 0
                for b in raw {
                    out[i] = d[Int(b >> 4)]
                    out[i + 1] = d[Int(b & 0x0f)]
                    i += 2
                }
                return i
            }
        }
    }

    /// The bytes of an even-length hex string (either case), or nil.
    public static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 97...102: return c - 87
        case 65...70: return c - 55
        default: return nil
        }
    }
}
