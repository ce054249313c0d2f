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
///
/// Checks are libsodium's (`Ed25519Verification`, as for transactions), and a check that
/// passed is remembered (the last `verifiedCapacity` of them, per key set): the precommits a
/// block carries for its predecessor, and a decision's, are the votes this node already checked
/// when they arrived, and are not checked twice.
public final class NodeSigner: MessageSigner {
    let id: String
    let key: Curve25519.Signing.PrivateKey
    let store: LedgerStore?
    let keys = Mutex<[String: [UInt8]]>([:])
    let verified = Mutex(VerifiedSignatures())
    let last: Mutex<SignedRecord?>
    static let verifiedCapacity = 4096

    /// Signatures that passed, each with the validator and the bytes it signed (FIFO, bounded).
    struct VerifiedSignatures {
        var members: Set<[UInt8]> = []
        var order: [[UInt8]] = []
        var next = 0

        static func entry(_ signature: [UInt8], _ bytes: [UInt8], _ validator: String) -> [UInt8] {
            let id = Array(validator.utf8)
            return signature + withUnsafeBytes(of: UInt32(id.count).bigEndian) { Array($0) } + id + bytes
        }

        mutating func insert(_ entry: [UInt8]) {
            guard members.insert(entry).inserted else { return }
            if order.count < NodeSigner.verifiedCapacity {
                order.append(entry)
            } else {
                members.remove(order[next])
                order[next] = entry
                next = (next + 1) % order.count
            }
        }
    }

    public init(id: String, key: Curve25519.Signing.PrivateKey, store: LedgerStore?) throws(StorageError) {
        self.id = id
        self.key = key
        self.store = store
        last = Mutex(try store?.lastSigned(by: id))
    }

    /// Replaces the verification keys (validator id → Ed25519 public key, raw). If they
    /// change, what was verified with the old ones is forgotten.
    public func setKeys(_ raw: [String: [UInt8]]) {
        let changed = keys.withLock { keys -> Bool in
            defer { keys = raw }
            return keys != raw
        }
        if changed { verified.withLock { $0 = VerifiedSignatures() } }
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
        let entry = VerifiedSignatures.entry(signature, bytes, validator)
        if verified.withLock({ $0.members.contains(entry) }) { return true }
        guard Ed25519Verification.isValid(signature, of: bytes, publicKey: key) else { return false }
        verified.withLock { $0.insert(entry) }
        return true
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
