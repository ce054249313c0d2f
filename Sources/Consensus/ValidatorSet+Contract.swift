import Ledger

extension ValidatorSet {
    /// The validators of a contract state: validator accounts with trust at or above the
    /// threshold, trust as power, with their signing keys.
    public init(trustOf contract: Contract) {
        self.init(contract.validatorSet.map { Validator(id: $0.id, power: $0.power, key: contract.accounts[$0.id]?.signingKey ?? []) })
    }
}
