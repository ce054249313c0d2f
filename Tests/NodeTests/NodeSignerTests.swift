import Crypto
import Foundation
import Ledger
import Node
import Testing

@Suite("Node signer")
struct NodeSignerTests {
    static func vote(_ height: Int64, _ validator: String = "v2") -> [UInt8] {
        ConsensusVote(step: .precommit, height: height, round: 0, blockHash: Array(repeating: 9, count: 32), validator: validator).canonicalBytes
    }

    @Test("a valid signature passes, again from memory; other bytes, another signer or a key that changed do not")
    func verifiesAndRemembers() throws {
        let v2 = Curve25519.Signing.PrivateKey(), other = Curve25519.Signing.PrivateKey()
        let signer = try NodeSigner(id: "v1", key: Curve25519.Signing.PrivateKey(), store: nil)
        signer.setKeys(["v2": Array(v2.publicKey.rawRepresentation), "v3": Array(other.publicKey.rawRepresentation)])
        let bytes = Self.vote(5)
        let signature = Array(try v2.signature(for: bytes))
        #expect(signer.verify(signature, of: bytes, by: "v2"))
        #expect(signer.verify(signature, of: bytes, by: "v2"), "a remembered check must still pass")
        // The remembered check is for these bytes and this validator only.
        #expect(!signer.verify(signature, of: Self.vote(6), by: "v2"))
        #expect(!signer.verify(signature, of: bytes, by: "v3"))
        #expect(!signer.verify(signature, of: bytes, by: "nobody"))
        var flipped = signature
        flipped[10] ^= 1
        #expect(!signer.verify(flipped, of: bytes, by: "v2"))
        // Same keys again: still remembered. v2's key replaced: its old signatures fail.
        signer.setKeys(["v2": Array(v2.publicKey.rawRepresentation), "v3": Array(other.publicKey.rawRepresentation)])
        #expect(signer.verify(signature, of: bytes, by: "v2"))
        signer.setKeys(["v2": Array(other.publicKey.rawRepresentation)])
        #expect(!signer.verify(signature, of: bytes, by: "v2"))
    }

    @Test("memory is bounded: after many more checks, the first signature is checked again and still passes")
    func boundedMemory() throws {
        let v2 = Curve25519.Signing.PrivateKey()
        let signer = try NodeSigner(id: "v1", key: Curve25519.Signing.PrivateKey(), store: nil)
        signer.setKeys(["v2": Array(v2.publicKey.rawRepresentation)])
        var first: ([UInt8], [UInt8])?
        for h in 1...5_000 {
            let bytes = Self.vote(Int64(h))
            let signature = Array(try v2.signature(for: bytes))
            if first == nil { first = (signature, bytes) }
            #expect(signer.verify(signature, of: bytes, by: "v2"))
        }
        let (signature, bytes) = try #require(first)
        #expect(signer.verify(signature, of: bytes, by: "v2"))
        #expect(!signer.verify(signature, of: Self.vote(0), by: "v2"))
    }
}
