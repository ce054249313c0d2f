/// Why the ledger refused something. A rejected transaction changes nothing; its reason names
/// the rule it broke.
public enum LedgerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Bytes or JSON that do not decode into a transaction.
    case malformed(problem: String)
    /// A field with a value the rules do not allow.
    case invalidField(field: String, problem: String)
    case badSignature
    /// The nonce is not the account's next one (replayed or out of order).
    case wrongNonce(account: String, expected: UInt64, got: UInt64)
    case unknownAccount(String)
    case accountExists(String)
    /// The signer's role may not send this transaction.
    case wrongRole(account: String, role: String, allowed: String)
    case insufficientFunds(account: String, needed: Int64, available: Int64)
    /// An offer whose deposit does not cover κ × bandwidth × duration.
    case depositTooSmall(required: Int64, offered: Int64)
    case duplicateID(String)
    case unknownGrant(String)
    case expiredGrant(grant: String, endedNs: Int64)
    case unknownCase(String)
    case caseClosed(String)
    /// A vote by an account outside the case's validator set.
    case notValidator(String)
    case doubleVote(caseID: String, validator: String)
    case invalidEvidence(problem: String)
    /// The same evidence record was already submitted.
    case duplicateEvidence(recordID: String)
    case invalidGenesis(field: String, problem: String)
    case unknownToken(String)
    /// Only a token's owner may move, split, list or lease it.
    case notOwner(token: String, account: String, owner: String)
    /// The token cannot do this now (leased, listed, frozen, ended…).
    case tokenUnavailable(token: String, reason: String)
    case unknownOrder(String)

    public var description: String {
        switch self {
        case .malformed(let problem): return "malformed transaction: \(problem)"
        case .invalidField(let field, let problem): return "\(field): \(problem)"
        case .badSignature: return "bad signature: does not verify for the signer's key and these bytes"
        case .wrongNonce(let account, let expected, let got): return "nonce \(got) for \(account) is not the next one (\(expected)): replayed or out of order"
        case .unknownAccount(let id): return "no account \(id)"
        case .accountExists(let id): return "account \(id) exists already"
        case .wrongRole(let account, let role, let allowed): return "\(account) is a \(role); only \(allowed) may do this"
        case .insufficientFunds(let account, let needed, let available): return "\(account) needs \(needed), has \(available) available"
        case .depositTooSmall(let required, let offered): return "deposit \(offered) is less than κ × bandwidth × duration = \(required)"
        case .duplicateID(let id): return "\(id) is taken"
        case .unknownGrant(let id): return "no grant \(id)"
        case .expiredGrant(let grant, let ended): return "grant \(grant) ended at \(ended) ns, past the evidence grace period"
        case .unknownCase(let id): return "no case \(id)"
        case .caseClosed(let id): return "case \(id) is decided or past its voting deadline"
        case .notValidator(let id): return "\(id) is not in the case's validator set"
        case .doubleVote(let caseID, let validator): return "\(validator) has already voted on case \(caseID)"
        case .invalidEvidence(let problem): return "invalid evidence: \(problem)"
        case .duplicateEvidence(let id): return "evidence record \(id) is already on the ledger"
        case .invalidGenesis(let field, let problem): return "genesis: \(field): \(problem)"
        case .unknownToken(let id): return "no token \(id)"
        case .notOwner(let token, let account, let owner): return "token \(token) is \(owner)'s; \(account) may not move it"
        case .tokenUnavailable(let token, let reason): return "token \(token) \(reason)"
        case .unknownOrder(let id): return "no open order \(id)"
        }
    }
}
