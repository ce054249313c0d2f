import Crypto
import Foundation
import Testing
@testable import Ledger

/// Every formula of DESIGN.md section 6, pinned by cases computed by hand.
@Suite("Ledger formulas")
struct FormulaTests {
    @Test("Initial trust is 100 + deposit, capped at TrustMAX")
    func initialTrust() {
        let f = LedgerFixture(validatorDeposits: [200, 5_000])
        #expect(f.contract.accounts["v1"]!.trustMilli == 300_000)
        #expect(f.contract.accounts["v2"]!.trustMilli == 2_000_000, "5100 capped at TrustMAX 2000")
    }

    @Test("Behaviour trust: (100 + d) × (1 − N_v/N_a) over the last W periods; no access gives the initial value")
    func behaviourTrust() {
        var p = LedgerParameters()
        p.trustWindowPeriods = 3
        var f = LedgerFixture(parameters: p)
        f.contract.period = 5
        var a = f.contract.accounts["v2"]!  // registration deposit 300: base 400
        #expect(f.contract.behaviourTrust(a) == 400_000)
        a.accessedPeriods = [1, 2, 3, 4, 5]  // window {3, 4, 5}: N_a = 3
        a.violationPeriods = [2, 4]  // in the window: {4}: N_v = 1
        #expect(f.contract.behaviourTrust(a) == 266_666, "400 × 2/3, rounded down")
        a.violationPeriods = [3, 4, 5]
        #expect(f.contract.behaviourTrust(a) == 0)
        a.registrationDeposit = 10_000
        a.violationPeriods = [5]
        #expect(f.contract.behaviourTrust(a) == 2_000_000, "10100 × 2/3 = 6733, capped at 2000")
    }

    @Test("Priority index: 1/(1 + ln(1 + r)) + ω/(1 + e^(−(TV − Trth)/s)), in billionths")
    func priority() {
        // r = 0, TV = Trth: 1 + ω/2 exactly.
        #expect(PriorityIndex.nano(rank: 0, trustMilli: 150_000, thresholdMilli: 150_000, omegaMilli: 500, scaleMilli: 10_000) == 1_250_000_000)
        // r = 1, TV − Trth = 250, s = 10: 1/(1 + ln 2) + 0.5/(1 + e^−25) = 0.590616109 + 0.499999999993 (by hand, 9 places).
        #expect(PriorityIndex.nano(rank: 1, trustMilli: 400_000, thresholdMilli: 150_000, omegaMilli: 500, scaleMilli: 10_000) == 1_090_616_109)
        // ω = 0: arrival order alone. r = 6: 1/(1 + ln 7) = 1/2.945910149… = 0.339453666.
        #expect(PriorityIndex.nano(rank: 6, trustMilli: 0, thresholdMilli: 150_000, omegaMilli: 0, scaleMilli: 10_000) == 339_453_666)
        // Trust orders demands of equal rank; rank orders demands of equal trust.
        let low = PriorityIndex.nano(rank: 3, trustMilli: 140_000, thresholdMilli: 150_000, omegaMilli: 500, scaleMilli: 10_000)
        let high = PriorityIndex.nano(rank: 3, trustMilli: 160_000, thresholdMilli: 150_000, omegaMilli: 500, scaleMilli: 10_000)
        #expect(high > low)
        #expect(PriorityIndex.nano(rank: 2, trustMilli: 140_000, thresholdMilli: 150_000, omegaMilli: 500, scaleMilli: 10_000) > low)
    }

    @Test("Offer deposit κ × bandwidth × duration; price, and the bandwidth a deposit affords (Algorithm 1, line 9)")
    func money() {
        let f = LedgerFixture()
        // κ = 0.001 token per MHz·s: 20 MHz × 21600 s = 432000 MHz·s → 432 tokens.
        #expect(f.contract.requiredOfferDeposit(hz: 20_000_000, ns: 21_600_000_000_000) == 432)
        // 10 MHz × 3600 s at 0.010 token per MHz·s = 360.
        #expect(Contract.cost(hz: 10_000_000, ns: 3_600_000_000_000, priceMilli: 10) == 360)
        // 300 tokens for 3600 s at 0.010: 8.333… MHz; its price rounds up to exactly 300.
        #expect(Contract.affordableHz(tokens: 300, ns: 3_600_000_000_000, priceMilli: 10) == 8_333_333)
        #expect(Contract.cost(hz: 8_333_333, ns: 3_600_000_000_000, priceMilli: 10) == 300)
        #expect(Contract.cost(hz: 1, ns: 1, priceMilli: 1) == 1, "never undercharged")
    }

    @Test("Distribution: descending priority, lowest free band first, never beyond the offer, bandwidth bounded by deposit")
    func distribution() throws {
        var f = LedgerFixture()
        f.standardRound()
        // d2 (pbs-1, trust 400) outranks d1 (pu-1, trust 100) though it arrived second; d3 gets nothing: 20 MHz offered.
        let round = try #require(f.contract.rounds.first)
        #expect(round.entries.map(\.servedOrder) == [1, 0, 2])
        #expect(f.contract.grants.map(\.id) == ["d2@o1", "d1@o1"])
        #expect(f.contract.grants[0].frequencyLowHz == 3_550_000_000 && f.contract.grants[0].frequencyHighHz == 3_560_000_000)
        #expect(f.contract.grants[1].frequencyLowHz == 3_560_000_000 && f.contract.grants[1].frequencyHighHz == 3_570_000_000)
        #expect(round.entries[2].grantedHz == 0 && round.entries[2].refunded == 500)
        #expect(f.contract.accounts["mno-a"]!.balance == 10_000 + 720)
        // A demand whose deposit affords 8.33 MHz gets 8.33 MHz.
        f.send("pu-2", LedgerFixture.demand("d4", deposit: 300))
        f.send("mno-a", LedgerFixture.offer("o2", low: 3_600_000_000))
        f.send("mno-a", .closeRound)
        let grant = try #require(f.contract.grants.last)
        #expect(grant.id == "d4@o2" && grant.frequencyHighHz - grant.frequencyLowHz == 8_333_333 && grant.pricePaid == 300)
    }

    @Test("Conviction moves Penfee (or what is left) to reporter and harmed party; acquittal costs the reporter trust")
    func arbitration() throws {
        var f = LedgerFixture()
        f.standardRound()
        f.send("sensor-1", f.evidence(by: "sensor-1", grant: "d2@o1"))
        for v in ["v3", "v4"] { _ = try f.send(v, .vote(caseID: f.contract.cases[0].id, guilty: true)).get() }
        // v3 + v4 = 1100 of 1800: more than half.
        #expect(f.contract.cases[0].verdict == .guilty)
        #expect(f.contract.accounts["pbs-1"]!.deposit == 200)
        #expect(f.contract.accounts["sensor-1"]!.balance == 50 + 20 && f.contract.accounts["mno-a"]!.balance == 10_720 + 80)
        #expect(f.contract.accounts["pbs-1"]!.violationPeriods == [1] && f.contract.accounts["pbs-1"]!.trustMilli == 0, "N_v = N_a = 1")

        // pu-2 holds no grant; pu-1 does: evidence against it, voted down.
        f.send("sensor-1", f.evidence(by: "sensor-1", grant: "d1@o1", kind: "time", rule: "outside_windows"))
        _ = try f.send("v4", .vote(caseID: f.contract.cases[1].id, guilty: false)).get()
        #expect(f.contract.cases[1].verdict == .open, "600 of 1800 against: guilty still possible")
        _ = try f.send("v3", .vote(caseID: f.contract.cases[1].id, guilty: false)).get()
        #expect(f.contract.cases[1].verdict == .notGuilty, "1100 of 1800 against: guilty impossible")
        #expect(f.contract.accounts["sensor-1"]!.trustMilli == 150_000 - 10_000)
        #expect(f.contract.accounts["pu-1"]!.deposit == 0)
    }

    @Test("The validator set: validator accounts with trust ≥ Trth, by id, their trust as power; one registered later joins it, one below Trth does not")
    func validatorSet() throws {
        var f = LedgerFixture(funded: ["v0": 500, "v9": 10, "pu-1": 100])
        #expect(f.contract.validatorSet.map(\.id) == ["v1", "v2", "v3", "v4"])
        #expect(f.contract.validatorSet.map(\.power) == [300_000, 400_000, 500_000, 600_000])
        _ = try f.send("v0", LedgerFixture.register(.validator, "v0", deposit: 100)).get()
        _ = try f.send("v9", LedgerFixture.register(.validator, "v9", deposit: 10)).get()  // trust 110 < Trth 150
        _ = try f.send("pu-1", LedgerFixture.register(.pu, "pu-1", deposit: 100)).get()
        #expect(f.contract.validatorSet.map(\.id) == ["v0", "v1", "v2", "v3", "v4"])
        #expect(f.contract.validatorSet.first?.power == 200_000)
        let restored = try Contract.restore(snapshot: try f.contract.snapshot(), stateHash: f.contract.stateHash)
        #expect(restored.validatorSet.map(\.id) == ["v0", "v1", "v2", "v3", "v4"])
    }

    @Test("A case nobody votes on is not guilty at its deadline; a suspect with a small deposit loses what it has")
    func deadlinesAndSmallDeposits() throws {
        var p = LedgerParameters()
        p.arbitrationBlocks = 3
        var f = LedgerFixture(parameters: p)
        f.standardRound()
        f.send("sensor-1", f.evidence(by: "sensor-1", grant: "d1@o1"))
        let opened = f.height
        for _ in 0..<3 { f.nextBlock() }
        #expect(f.contract.cases[0].verdict == .open)
        f.nextBlock()
        #expect(f.contract.cases[0].verdict == .notGuilty && f.contract.cases[0].decidedHeight == opened + 3)
        #expect(f.send("v1", .vote(caseID: f.contract.cases[0].id, guilty: true)).failure == .caseClosed(f.contract.cases[0].id))

        // pu-2 (deposit 100) convicted with Penfee 100 → all of it; penalty capped at the deposit.
        f.send("pu-2", LedgerFixture.demand("d5"))
        f.send("mno-a", LedgerFixture.offer("o3", low: 3_700_000_000))
        f.send("mno-a", .closeRound)
        _ = try f.send("pu-2", .withdraw(amount: 70)).get()
        f.send("sensor-1", f.evidence(by: "sensor-1", grant: "d5@o3", nonce: 9))
        for v in ["v3", "v4"] { _ = try f.send(v, .vote(caseID: f.contract.cases[1].id, guilty: true)).get() }
        #expect(f.contract.cases[1].penalty == 30 && f.contract.cases[1].paidToReporter == 6 && f.contract.cases[1].paidToHarmed == 24)
        #expect(f.contract.accounts["pu-2"]!.deposit == 0)
    }

    @Test("Equivocation: two signed votes for different blocks at one height and round slash deposit and trust")
    func equivocation() throws {
        var f = LedgerFixture()
        f.nextBlock()
        _ = try f.send("sensor-1", LedgerFixture.register(.sensor, "sensor-1", deposit: 0)).get()
        func vote(_ hash: UInt8) -> SignedVote {
            let v = ConsensusVote(step: .precommit, height: 7, round: 0, blockHash: Array(repeating: hash, count: 32), validator: "v1")
            return SignedVote(vote: v, signature: Array(try! DevKeys.signing("v1").signature(for: v.canonicalBytes)))
        }
        _ = try f.send("sensor-1", .equivocation(first: vote(1), second: vote(2))).get()
        // Deposit 200 < penalty 500: all 200; 20 % to the reporter, the rest to the treasury; trust halved.
        #expect(f.contract.accounts["v1"]!.deposit == 0 && f.contract.accounts["sensor-1"]!.balance == 100 + 40 && f.contract.treasury == 160)
        #expect(f.contract.accounts["v1"]!.trustMilli == 150_000)
        #expect(f.send("sensor-1", .equivocation(first: vote(1), second: vote(3))).failure != nil, "punished once per height, round and step")
        #expect(f.send("sensor-1", .equivocation(first: vote(1), second: vote(1))).failure != nil, "agreeing votes are no proof")
    }

    @Test("Block production (BEAST 4.3.1): reward (1 − T_reward)(TrustMAX − TV)/d per cycle of 2·n blocks, penalty (1 − E_penalty)·TV/d per 2 cycles")
    func production() {
        var f = LedgerFixture()  // trust 300, 400, 500, 600; TrustMAX 2000; E_max 2, E_min 1, d 10
        for _ in 0..<8 { f.nextBlock(proposer: "v1") }
        f.nextBlock(proposer: "v1")  // ends block 8 (v1's eighth): the first reward cycle
        // v1 produced 8 ≥ 2 × 300/2000 expected: no reward. The others produced none: + (2000 − TV)/10.
        #expect(["v1", "v2", "v3", "v4"].map { f.contract.accounts[$0]!.trustMilli } == [300_000, 560_000, 650_000, 740_000])
        for _ in 0..<7 { f.nextBlock(proposer: "v1") }
        f.nextBlock(proposer: "v1")  // ends block 16: reward again, then the penalty cycle
        // Reward: 560 + 144 = 704, 650 + 135 = 785, 740 + 126 = 866; penalty: − TV/10.
        #expect(["v1", "v2", "v3", "v4"].map { f.contract.accounts[$0]!.trustMilli } == [300_000, 633_600, 706_500, 779_400])

        // Partial production: TV 1500 expects 2 × 1500/2000 = 1.5 blocks; one block gives T = 0.666.
        var g = LedgerFixture(validatorDeposits: [1_400, 1_400, 1_400, 1_400])
        for proposer in ["v1", "v2", "v2", "v3", "v3", "v3", "v3", "v3"] { g.nextBlock(proposer: proposer) }
        g.nextBlock()  // ends block 8
        #expect(["v1", "v2", "v3", "v4"].map { g.contract.accounts[$0]!.trustMilli } == [1_516_700, 1_500_000, 1_500_000, 1_550_000])
    }
}
