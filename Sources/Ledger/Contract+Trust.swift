import HashTreeCollections
extension Contract {
    /// BEAST 4.1 as DESIGN.md reads it: `TV = (100 + d_token) × (1 − N_v / N_a)` over the last
    /// `W` grant periods, capped at `TrustMAX`; with no access in the window, the initial value.
    /// Thousandths, rounded down.
    public func behaviourTrust(_ account: Account) -> Int64 {
        let first = period - parameters.trustWindowPeriods + 1
        let accessed = Int64(account.accessedPeriods.filter { $0 >= first }.count)
        let violated = Int64(account.violationPeriods.filter { $0 >= first && account.accessedPeriods.contains($0) }.count)
        let base = Int128(100 + account.registrationDeposit) * 1000
        let trust = accessed == 0 ? base : base * Int128(accessed - violated) / Int128(accessed)
        return Int64(min(Int128(parameters.trustMaxMilli), trust))
    }

    /// After a round the window has moved: trust of every account that has accessed spectrum
    /// follows its behaviour again.
    mutating func recomputeBehaviourTrust() -> [String] {
        var events: [String] = []
        for id in accounts.keys.sorted() where !accounts[id]!.accessedPeriods.isEmpty {
            let before = accounts[id]!.trustMilli, after = behaviourTrust(accounts[id]!)
            if before != after {
                accounts[id]!.trustMilli = after
                events.append("\(id) trust \(Milli(before)) → \(Milli(after)) (behaviour over \(parameters.trustWindowPeriods) periods)")
            }
        }
        return events
    }

    /// Counts a block for its proposer; at the end of a reward cycle (`2 × n_miner` blocks) and
    /// of a penalty cycle (twice as long) applies BEAST 4.3.1 to every validator:
    /// `T_reward = min(1, count / (E_block_max × TV / TrustMAX))`, `TV += (1 − T_reward)(TrustMAX − TV)/d`;
    /// `E_penalty = min(1, count / (E_block_min × TV / TrustMAX))`, `TV −= (1 − E_penalty) TV / d`.
    /// Ratios are in thousandths, rounded down.
    mutating func countProduction(by proposer: String) -> [String] {
        produced.blocks += 1
        produced.reward[proposer, default: 0] += 1
        produced.penalty[proposer, default: 0] += 1
        var events: [String] = []
        let p = parameters
        if produced.blocks - produced.rewardStart + 1 >= produced.rewardLength {
            for (id, _) in validatorSet {
                let tv = accounts[id]!.trustMilli, count = produced.reward[id] ?? 0
                let ratio = min(1000, Int128(count) * Int128(p.trustMaxMilli) * 1000 / (Int128(p.expectedBlocksMax) * Int128(max(tv, 1))))
                let gain = Int64((1000 - ratio) * Int128(p.trustMaxMilli - tv) / (1000 * Int128(p.productionDivisor)))
                accounts[id]!.trustMilli = min(p.trustMaxMilli, tv + max(0, gain))
                if gain > 0 { events.append("\(id) produced \(count) blocks: trust \(Milli(tv)) → \(Milli(accounts[id]!.trustMilli)) (reward)") }
            }
            produced.startRewardCycle(at: produced.blocks + 1, validators: validatorSet.count)
        }
        if produced.blocks - produced.penaltyStart + 1 >= produced.penaltyLength {
            for (id, _) in validatorSet {
                let tv = accounts[id]!.trustMilli, count = produced.penalty[id] ?? 0
                let ratio = min(1000, Int128(count) * Int128(p.trustMaxMilli) * 1000 / (Int128(p.expectedBlocksMin) * Int128(max(tv, 1))))
                let loss = Int64((1000 - ratio) * Int128(tv) / (1000 * Int128(p.productionDivisor)))
                accounts[id]!.trustMilli = tv - max(0, loss)
                if loss > 0 { events.append("\(id) produced \(count) blocks: trust \(Milli(tv)) → \(Milli(accounts[id]!.trustMilli)) (penalty)") }
            }
            produced.startPenaltyCycle(at: produced.blocks + 1, validators: validatorSet.count)
        }
        return events
    }
}

/// Block-production bookkeeping, counted in blocks that name a proposer.
struct ProductionCycles: Sendable, Equatable, Codable {
    var blocks: Int64 = 0
    var rewardStart: Int64 = 1, rewardLength: Int64 = 2
    var penaltyStart: Int64 = 1, penaltyLength: Int64 = 4
    var reward: [String: Int64] = [:]
    var penalty: [String: Int64] = [:]

    /// `C_duration = 2 × n_miner` blocks.
    mutating func startRewardCycle(at block: Int64, validators: Int) {
        rewardStart = block
        rewardLength = 2 * Int64(max(1, validators))
        reward = [:]
    }

    /// `C_penalty = 2 × C_duration`.
    mutating func startPenaltyCycle(at block: Int64, validators: Int) {
        penaltyStart = block
        penaltyLength = 4 * Int64(max(1, validators))
        penalty = [:]
    }
}
