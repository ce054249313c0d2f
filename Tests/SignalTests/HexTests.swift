import Crypto
import Foundation
import Signal
import Testing

@Suite("Hex")
struct HexTests {
    @Test("encodes as String(format: %02x) does, and decodes back; odd lengths and non-hex are refused")
    func roundTrip() {
        var random = SystemRandomNumberGenerator()
        for length in [0, 1, 31, 32, 257] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
            let text = Hex.encode(bytes)
            #expect(text == bytes.map { String(format: "%02x", $0) }.joined())
            #expect(Hex.decode(text) == bytes)
            #expect(Hex.decode(text.uppercased()) == bytes)
        }
        // Every path: a contiguous array, a slice, a sequence without contiguous storage, a digest.
        let bytes = Array(0...255).map(UInt8.init)
        let expected = bytes.map { String(format: "%02x", $0) }.joined()
        #expect(Hex.encode(bytes[...]) == expected)
        #expect(Hex.encode(bytes.lazy.map { $0 }) == expected)
        let digest = SHA256.hash(data: bytes)
        #expect(Hex.encode(digest) == Array(digest).map { String(format: "%02x", $0) }.joined())
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
    }
}
