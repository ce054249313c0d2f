import Crypto

/// Why a commit is not accepted as proof that its block was decided.
public enum CommitVerificationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The validator set served for the height is not the one the block names.
    case validatorsMismatch(height: Int64)
    /// The precommits carry too little of the height's power (or are not for this block).
    case insufficientSignatures(height: Int64, signed: Int64, total: Int64)
    /// The set changed so much since the trusted height that its validators hold no more than
    /// a third of the commit's signatures: a height in between must be verified first.
    case unlinked(height: Int64, trustedHeight: Int64)
    case badHeight(Int64)

    public var description: String {
        switch self {
        case .validatorsMismatch(let h): return "the validator set served for height \(h) is not the one block \(h) names"
        case .insufficientSignatures(let h, let signed, let total):
            return "block \(h) carries valid precommits of \(signed) of \(total) power, not more than two thirds"
        case .unlinked(let h, let t): return "validators trusted at height \(t) hold a third or less of block \(h)'s signatures"
        case .badHeight(let h): return "height \(h) is not a block height"
        }
    }
}

/// Checks commits as a light client does (Tendermint's skipping verification), without
/// executing blocks: it trusts the genesis validators, and takes a commit at height h as proof
/// when (1) the validator set a node serves for h hashes to the block's `validatorsHash`,
/// (2) that set's valid precommits for the block exceed two thirds of its power, and (3) the
/// set is the trusted one, or validators of the nearest trusted height below h signed it with
/// more than a third of *their* power (so at least one honest validator vouches for the block
/// and its set). A verified height's set is trusted from then on. Pure: no I/O.
public struct LightClient: Sendable {
    /// Verified heights and their validator sets (height 1: the genesis set, trusted as given).
    public private(set) var trusted: [Int64: ValidatorSet]
    /// Verified heights kept, at most (the genesis is always kept).
    public let capacity: Int

    public init(genesis: ValidatorSet, capacity: Int = 256) {
        trusted = [1: genesis]
        self.capacity = max(2, capacity)
    }

    /// The nearest trusted height at or below `height`, and its set.
    public func anchor(below height: Int64) -> (height: Int64, validators: ValidatorSet) {
        let h = trusted.keys.filter { $0 <= height }.max() ?? 1
        return (h, trusted[h]!)
    }

    /// Verifies `commit` against `validators`, the set a node served for its height; on success
    /// the height becomes trusted.
    public mutating func verify(_ commit: Commit, validators: ValidatorSet) throws(CommitVerificationError) {
        let height = commit.block.height
        guard height >= 1 else { throw .badHeight(height) }
        guard commit.block.validatorsHash == validators.hash else { throw .validatorsMismatch(height: height) }
        let signed = commit.signedPower(in: validators, signer: ValidatorKeys(validators))
        guard validators.isQuorum(signed) else { throw .insufficientSignatures(height: height, signed: signed, total: validators.totalPower) }
        let anchor = anchor(below: height)
        if anchor.validators.hash != validators.hash {
            let vouched = commit.signedPower(in: anchor.validators, signer: ValidatorKeys(anchor.validators))
            guard anchor.validators.isOneThird(vouched) else { throw .unlinked(height: height, trustedHeight: anchor.height) }
        }
        trusted[height] = validators
        while trusted.count > capacity, let oldest = trusted.keys.filter({ $0 != 1 }).min() { trusted[oldest] = nil }
    }
}

/// Verifies signatures by the Ed25519 keys a validator set carries (it signs nothing).
public struct ValidatorKeys: MessageSigner {
    let keys: [String: Curve25519.Signing.PublicKey]

    public init(_ set: ValidatorSet) {
        var keys: [String: Curve25519.Signing.PublicKey] = [:]
        for m in set.members { keys[m.id] = try? Curve25519.Signing.PublicKey(rawRepresentation: m.key) }
        self.keys = keys
    }

    public func sign(_ bytes: [UInt8], as validator: String) -> [UInt8] { [] }

    public func verify(_ signature: [UInt8], of bytes: [UInt8], by validator: String) -> Bool {
        guard signature.count == 64, let key = keys[validator] else { return false }
        return key.isValidSignature(signature, for: bytes)
    }
}
