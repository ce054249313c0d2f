import Consensus
import Crypto
import Foundation
import Ledger
import Storage
import Synchronization

/// Ed25519 signatures for consensus messages: signs as this node's validator, verifies by
/// the signing keys the contract holds for validators. Before a signature leaves, the
/// (height, round, step) and payload are written to the store, and a restarted node refuses
/// to sign anything else for a step it already signed (or an earlier one): no double votes
/// after a crash. A refused signature is empty, which every peer rejects.
public final class NodeSigner: MessageSigner {
    let id: String
    let key: Curve25519.Signing.PrivateKey
    let store: LedgerStore?
    let keys = Mutex<[String: Curve25519.Signing.PublicKey]>([:])
    let last: Mutex<SignedRecord?>

    public init(id: String, key: Curve25519.Signing.PrivateKey, store: LedgerStore?) throws(StorageError) {
        self.id = id
        self.key = key
        self.store = store
        last = Mutex(try store?.lastSigned(by: id))
    }

    /// Replaces the verification keys (validator id → Ed25519 public key).
    public func setKeys(_ raw: [String: [UInt8]]) {
        var decoded: [String: Curve25519.Signing.PublicKey] = [:]
        for (id, bytes) in raw { decoded[id] = try? Curve25519.Signing.PublicKey(rawRepresentation: bytes) }
        keys.withLock { $0 = decoded }
    }

    public func sign(_ bytes: [UInt8], as validator: String) -> [UInt8] {
        guard validator == id else { return [] }
        guard let (height, round, step) = Self.position(of: bytes) else { return [] }
        return last.withLock { last -> [UInt8] in
            if let previous = last {
                let order = (previous.height, previous.round, previous.step), now = (height, round, step)
                if order == now { return previous.payload == bytes ? previous.signature : [] }
                if now < order { return [] }
            }
            guard let signature = try? Array(key.signature(for: bytes)) else { return [] }
            let record = SignedRecord(height: height, round: round, step: step, payload: bytes, signature: signature)
            do { try store?.recordSigned(record, by: id) } catch { return [] }
            last = record
            return signature
        }
    }

    public func verify(_ signature: [UInt8], of bytes: [UInt8], by validator: String) -> Bool {
        guard signature.count == 64, let key = keys.withLock({ $0[validator] }) else { return false }
        return key.isValidSignature(signature, for: bytes)
    }

    /// Height, round and step (0 proposal, 1 prevote, 2 precommit) of a payload to sign.
    static func position(of bytes: [UInt8]) -> (Int64, Int64, Int)? {
        if bytes.starts(with: Array("TBPR".utf8)), bytes.count >= 20 {
            func i64(_ at: Int) -> Int64 { bytes[at..<(at + 8)].reduce(Int64(0)) { $0 << 8 | Int64($1) } }
            return (i64(4), i64(12), 0)
        }
        guard let vote = try? ConsensusVote(canonical: bytes) else { return nil }
        return (vote.height, vote.round, vote.step == .prevote ? 1 : 2)
    }
}
