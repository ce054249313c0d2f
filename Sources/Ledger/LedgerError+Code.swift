extension LedgerError {
    /// A stable, machine-readable name for the rule broken (`wrong_nonce`, `duplicate_evidence`…),
    /// for clients that act on a refusal; `description` is for people.
    public var code: String {
        switch self {
        case .malformed: return "malformed"
        case .invalidField: return "invalid_field"
        case .badSignature: return "bad_signature"
        case .wrongNonce: return "wrong_nonce"
        case .unknownAccount: return "unknown_account"
        case .accountExists: return "account_exists"
        case .wrongRole: return "wrong_role"
        case .insufficientFunds: return "insufficient_funds"
        case .depositTooSmall: return "deposit_too_small"
        case .duplicateID: return "duplicate_id"
        case .unknownGrant: return "unknown_grant"
        case .expiredGrant: return "expired_grant"
        case .unknownCase: return "unknown_case"
        case .caseClosed: return "case_closed"
        case .notValidator: return "not_validator"
        case .doubleVote: return "double_vote"
        case .invalidEvidence: return "invalid_evidence"
        case .duplicateEvidence: return "duplicate_evidence"
        case .invalidGenesis: return "invalid_genesis"
        case .unknownToken: return "unknown_token"
        case .notOwner: return "not_owner"
        case .tokenUnavailable: return "token_unavailable"
        case .unknownOrder: return "unknown_order"
        }
    }
}
