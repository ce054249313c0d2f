import Crypto
import Ledger
import Signal
import Testing

/// The ledger's signature check (libsodium) against RFC 8032's test vectors and against
/// swift-crypto, which signs everything in this project.
@Suite("Ed25519 verification")
struct Ed25519VerificationTests {
    @Test("RFC 8032 section 7.1 tests 1 and 2 verify; the same with one bit changed does not")
    func rfc8032() throws {
        let vectors = [
            ("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
             "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
            ("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
             "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
        ]
        for (key, message, signature) in vectors {
            let k = try #require(Hex.decode(key)), m = try #require(Hex.decode(message)), s = try #require(Hex.decode(signature))
            #expect(Ed25519Verification.isValid(s, of: m, publicKey: k))
            var flipped = s
            flipped[0] ^= 0x01
            #expect(!Ed25519Verification.isValid(flipped, of: m, publicKey: k))
            #expect(!Ed25519Verification.isValid(s, of: m + [0], publicKey: k))
        }
    }

    @Test("Agrees with swift-crypto on signatures it made, and on every single-bit corruption of them")
    func agreesWithSwiftCrypto() throws {
        for n in 0..<20 {
            let key = Curve25519.Signing.PrivateKey()
            let message = (0..<(n * 37)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ n) }
            let signature = Array(try key.signature(for: message)), raw = Array(key.publicKey.rawRepresentation)
            #expect(Ed25519Verification.isValid(signature, of: message, publicKey: raw))
            let bit = n * 25 % 512
            var corrupt = signature
            corrupt[bit / 8] ^= UInt8(1 << (bit % 8))
            #expect(Ed25519Verification.isValid(corrupt, of: message, publicKey: raw) == key.publicKey.isValidSignature(corrupt, for: message))
            #expect(!Ed25519Verification.isValid(corrupt, of: message, publicKey: raw))
        }
    }

    @Test("Wrong lengths, a small-order key and a non-canonical S are refused")
    func malformed() throws {
        let key = Curve25519.Signing.PrivateKey(), message: [UInt8] = [1, 2, 3]
        let signature = Array(try key.signature(for: message)), raw = Array(key.publicKey.rawRepresentation)
        #expect(!Ed25519Verification.isValid(Array(signature.dropLast()), of: message, publicKey: raw))
        #expect(!Ed25519Verification.isValid(signature, of: message, publicKey: Array(raw.dropLast())))
        // The identity point (order 1) as the key.
        #expect(!Ed25519Verification.isValid(signature, of: message, publicKey: [1] + Array(repeating: 0, count: 31)))
        // S + L (the group order) encodes the same scalar non-canonically.
        let order: [UInt8] = [0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
                              0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10]
        var s = Array(signature[32...]), carry = 0
        for i in 0..<32 {
            let sum = Int(s[i]) + Int(order[i]) + carry
            s[i] = UInt8(sum & 0xff)
            carry = sum >> 8
        }
        #expect(carry == 0)  // S < L < 2^253, so S + L fits in 32 bytes
        #expect(!Ed25519Verification.isValid(Array(signature[..<32]) + s, of: message, publicKey: raw))
    }
}
