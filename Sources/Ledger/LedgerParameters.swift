/// Every number the contract's rules use (BEAST Table 2 and DESIGN.md section 6), set once in
/// the genesis file. Integers only: trust in thousandths ("milli"), tokens in whole units,
/// times in ns or blocks.
public struct LedgerParameters: Sendable, Equatable, Codable {
    /// `TrustMAX`: no trust value exceeds it.
    public var trustMaxMilli: Int64 = 2_000_000
    /// `Trth`: validators need at least this much trust to vote; also the sigmoid's centre.
    public var trustThresholdMilli: Int64 = 150_000
    /// `ω` in the priority index, thousandths (0…1000).
    public var omegaMilli: Int64 = 500
    /// `s`, the sigmoid's scale in trust units, thousandths.
    public var sigmoidScaleMilli: Int64 = 10_000
    /// `W`: grant periods (distribution rounds) the behaviour formula looks back over.
    public var trustWindowPeriods: Int64 = 10
    /// `κ`: offer deposit per MHz·second offered, thousandths of a token.
    public var kappaMilliPerMHzSecond: Int64 = 1
    /// `Penfee`: taken from a convicted suspect's deposit (at most all of it).
    public var penaltyFee: Int64 = 100
    /// Share of a penalty paid to the reporting sensor, thousandths; the rest goes to the
    /// harmed party (the grant's MNO, or its holder when the MNO is convicted).
    public var reporterSharePermille: Int64 = 200
    /// `T_arb`: blocks validators have to vote on a case.
    public var arbitrationBlocks: Int64 = 20
    /// Trust a sensor loses when its evidence leads to an acquittal, thousandths.
    public var falseReportTrustPenaltyMilli: Int64 = 10_000
    /// How long after a grant ends evidence about it is still accepted, ns.
    public var evidenceGraceNs: Int64 = 86_400_000_000_000
    /// Equivocation: tokens taken from the validator's deposit, and the share of its trust taken.
    public var equivocationPenalty: Int64 = 500
    public var equivocationTrustSlashPermille: Int64 = 500
    /// Block production (BEAST 4.3.1, after PoRX): expected most and fewest blocks a validator
    /// at `TrustMAX` produces in a cycle, and the divisor `d ≥ 1`.
    public var expectedBlocksMax: Int64 = 2
    public var expectedBlocksMin: Int64 = 1
    public var productionDivisor: Int64 = 10
    /// Consensus: heights a leader's term lasts (DESIGN.md section 5). A term's first height
    /// starts with the highest-trust validator; the validator whose block is committed there
    /// (or later in the term, after a failure) proposes first at the term's next heights.
    public var termLength: Int64 = 100
    /// Spectrum tokens: a lessee's collateral as a share of the rent, thousandths.
    public var leaseCollateralPermille: Int64 = 200
    /// A purchase that sends a right back to the account that sold it within this many blocks
    /// is a wash trade: it sets no price and pays `washFeePermille` of its value to the treasury.
    public var washWindowBlocks: Int64 = 1_000
    public var washFeePermille: Int64 = 100
    /// Blocks a convicted holder's tokens stay frozen (no sale, split or lease).
    public var tokenFreezeBlocks: Int64 = 100

    public init() {}

    /// Every parameter by its genesis-file name, in the file's order: the one list that both
    /// reading and listing use.
    static let fields: [(name: String, path: any WritableKeyPath<LedgerParameters, Int64> & Sendable)] = [
        ("trust_max_milli", \.trustMaxMilli), ("trust_threshold_milli", \.trustThresholdMilli), ("omega_milli", \.omegaMilli),
        ("sigmoid_scale_milli", \.sigmoidScaleMilli), ("trust_window_periods", \.trustWindowPeriods),
        ("kappa_milli_per_mhz_s", \.kappaMilliPerMHzSecond), ("penalty_fee", \.penaltyFee), ("reporter_share_permille", \.reporterSharePermille),
        ("arbitration_blocks", \.arbitrationBlocks), ("false_report_trust_penalty_milli", \.falseReportTrustPenaltyMilli),
        ("evidence_grace_ns", \.evidenceGraceNs), ("equivocation_penalty", \.equivocationPenalty),
        ("equivocation_trust_slash_permille", \.equivocationTrustSlashPermille), ("expected_blocks_max", \.expectedBlocksMax),
        ("expected_blocks_min", \.expectedBlocksMin), ("production_divisor", \.productionDivisor), ("term_length", \.termLength),
        ("lease_collateral_permille", \.leaseCollateralPermille), ("wash_window_blocks", \.washWindowBlocks), ("wash_fee_permille", \.washFeePermille),
        ("token_freeze_blocks", \.tokenFreezeBlocks),
    ]

    /// The parameters as (name, value) pairs, in the genesis file's spelling and order.
    public var named: [(String, Int64)] { Self.fields.map { ($0.name, self[keyPath: $0.path]) } }

    /// Sets a parameter by its genesis name; false when there is no such parameter.
    mutating func set(_ name: String, _ value: Int64) -> Bool {
        guard let field = Self.fields.first(where: { $0.name == name }) else { return false }
        self[keyPath: field.path] = value
        return true
    }

    /// Refuses values the formulas cannot use, naming the parameter.
    public func validate() throws(LedgerError) {
        func need(_ ok: Bool, _ name: String, _ rule: String) throws(LedgerError) {
            guard ok else { throw .invalidGenesis(field: "params.\(name)", problem: rule) }
        }
        try need(trustMaxMilli > 0, "trust_max_milli", "must be > 0")
        try need(trustThresholdMilli >= 0 && trustThresholdMilli <= trustMaxMilli, "trust_threshold_milli", "must be 0…trust_max_milli")
        try need((0...1000).contains(omegaMilli), "omega_milli", "must be 0…1000")
        try need(sigmoidScaleMilli > 0, "sigmoid_scale_milli", "must be > 0")
        try need(trustWindowPeriods >= 1, "trust_window_periods", "must be ≥ 1")
        try need(kappaMilliPerMHzSecond >= 0, "kappa_milli_per_mhz_s", "must be ≥ 0")
        try need(penaltyFee >= 0 && equivocationPenalty >= 0, "penalty_fee", "penalties must be ≥ 0")
        try need((0...1000).contains(reporterSharePermille), "reporter_share_permille", "must be 0…1000")
        try need(arbitrationBlocks >= 1, "arbitration_blocks", "must be ≥ 1")
        try need(falseReportTrustPenaltyMilli >= 0, "false_report_trust_penalty_milli", "must be ≥ 0")
        try need(evidenceGraceNs >= 0, "evidence_grace_ns", "must be ≥ 0")
        try need((0...1000).contains(equivocationTrustSlashPermille), "equivocation_trust_slash_permille", "must be 0…1000")
        try need(expectedBlocksMax >= 1 && expectedBlocksMin >= 1, "expected_blocks_max", "expected block counts must be ≥ 1")
        try need(productionDivisor >= 1, "production_divisor", "d must be ≥ 1")
        try need(termLength >= 1, "term_length", "must be ≥ 1")
        try need((0...10_000).contains(leaseCollateralPermille), "lease_collateral_permille", "must be 0…10000")
        try need(washWindowBlocks >= 0, "wash_window_blocks", "must be ≥ 0")
        try need((0...1000).contains(washFeePermille), "wash_fee_permille", "must be 0…1000")
        try need(tokenFreezeBlocks >= 0, "token_freeze_blocks", "must be ≥ 0")
    }
}
