import Foundation
import Testing
@testable import Consensus
import Signal

/// Safety and liveness of proof-of-trust consensus over seeded simulated networks. A failing
/// seed is printed; `NetworkSimulator.run(.init(seed:))` with the same faults replays it exactly.
@Suite("Consensus simulation")
struct SimulationTests {
    @Test("Four honest validators on a clean network commit the same chain")
    func clean() {
        let r = NetworkSimulator.run(.init(seed: 1))
        #expect(r.problems.isEmpty, "\(r.problems)")
        #expect(r.reachedTargetNs.allSatisfy { $0 != nil }, "\(r.reachedTargetNs)")
        #expect(r.commits.allSatisfy { $0.count >= 5 })
    }

    /// A random fault plan from a seed: lossy, duplicating, slow links; a partition that heals;
    /// a crash with restart; or one Byzantine validator of four (or of seven, with trust-weighted
    /// power), never more than a third of the power.
    static func plan(seed: UInt64) -> (NetworkSimulator.Configuration, String) {
        var rng = SeededRandom(seed: seed &* 0x9E37_79B9_7F4A_7C15)
        var c = NetworkSimulator.Configuration(seed: seed)
        if Bool.random(using: &rng) { c.powers = [300, 150, 120, 100, 100, 90, 80] }
        let n = c.powers.count
        c.maxDelayNs = Int64.random(in: 5...250, using: &rng) * 1_000_000
        c.dropRate = Double.random(in: 0...0.2, using: &rng)
        c.duplicateRate = Double.random(in: 0...0.2, using: &rng)
        var faults: [String] = ["delay ≤ \(c.maxDelayNs / 1_000_000) ms, drop \(Int(c.dropRate * 100)) %, dup \(Int(c.duplicateRate * 100)) %"]
        switch Int.random(in: 0..<4, using: &rng) {
        case 0:
            let cut = Int.random(in: 1..<n, using: &rng)
            c.partition = [Array(0..<cut), Array(cut..<n)]
            c.healNs = Int64.random(in: 1...20, using: &rng) * 1_000_000_000
            faults.append("partition \(c.partition!) healing at \(c.healNs / 1_000_000_000) s")
        case 1:
            let node = Int.random(in: 0..<n, using: &rng), at = Int64.random(in: 0...5_000, using: &rng) * 1_000_000
            c.crashes = [(node, at, at + Int64.random(in: 100...15_000, using: &rng) * 1_000_000)]
            faults.append("crash n\(node) \(c.crashes[0].atNs / 1_000_000)–\(c.crashes[0].restartNs / 1_000_000) ms")
        default:
            // One faulty validator; with trust-weighted powers, one whose power is under a third.
            let candidates = (0..<n).filter { c.powers[$0] * 3 < c.powers.reduce(0, +) }
            let node = candidates[Int.random(in: 0..<candidates.count, using: &rng)]
            let behaviour = ByzantineBehaviour.allCases[Int.random(in: 0..<ByzantineBehaviour.allCases.count, using: &rng)]
            c.byzantine = [node: behaviour]
            faults.append("n\(node) \(behaviour.rawValue)")
        }
        c.termLength = [1, 2, 3, 100][Int.random(in: 0..<4, using: &rng)]
        faults.append("terms of \(c.termLength)")
        c.targetHeight = 4
        c.limitNs = 300_000_000_000
        return (c, "seed \(seed) (\(n) validators): " + faults.joined(separator: "; "))
    }

    /// 400 seeds by default (8 batches, run in parallel); TRUSTBAND_SIM_SEEDS=N runs N.
    static let seedsPerBatch = UInt64(ProcessInfo.processInfo.environment["TRUSTBAND_SIM_SEEDS"].flatMap { Int($0) }.map { max(8, $0) / 8 } ?? 50)

    @Test("Safety and liveness hold over seeded runs with delays, drops, duplicates, partitions, crashes and one Byzantine validator",
          arguments: 0..<8)
    func seeded(batch: UInt64) {
        var failures: [String] = []
        for seed in (batch * Self.seedsPerBatch)..<((batch + 1) * Self.seedsPerBatch) {
            let (config, description) = Self.plan(seed: seed)
            let r = NetworkSimulator.run(config)
            if !r.problems.isEmpty { failures.append("SAFETY \(description): \(r.problems)") }
            if r.reachedTargetNs.contains(where: { $0 == nil }) { failures.append("LIVENESS \(description): reached \(r.reachedTargetNs)") }
        }
        #expect(failures.isEmpty, "\(failures.count) failing seeds:\n\(failures.prefix(10).joined(separator: "\n"))")
    }

    @Test("An equivocating leader is caught: validators record both of its conflicting votes")
    func equivocationIsSeen() {
        var c = NetworkSimulator.Configuration(seed: 7)
        c.byzantine = [0: .doubleVote]
        let r = NetworkSimulator.run(c)
        #expect(r.problems.isEmpty && r.equivocationsSeen > 0)
    }

    @Test("A crashed term leader costs one round change; the next validator by trust leads the rest of the term")
    func leaderTakeover() {
        var c = NetworkSimulator.Configuration(seed: 3)
        c.powers = [300, 250, 250, 200]  // n0 leads, with less than a third of the power
        c.crashes = [(node: 0, atNs: 0, restartNs: 60_000_000_000)]  // the highest-trust validator is down for the first minute
        c.targetHeight = 8
        c.termLength = 100
        let r = NetworkSimulator.run(c)
        #expect(r.problems.isEmpty, "\(r.problems)")
        // (n0's proposal for height 1 may leave before it goes down.) The first height n0 should
        // lead after going down changes round once; n1 then leads every height of the term.
        let commits = Array(r.commits[1].prefix(8))
        #expect(commits.count == 8)
        #expect(commits.filter { $0.round > 0 }.count == 1, "\(commits.map(\.round))")
        let takeover = commits.firstIndex { $0.round > 0 } ?? 0
        #expect(commits[takeover...].allSatisfy { $0.block.proposer == "n1" })
        // Terms of one height: every height starts with n0 again and changes round.
        c.termLength = 1
        let perHeight = NetworkSimulator.run(c)
        #expect(perHeight.problems.isEmpty && perHeight.commits[1].dropFirst().prefix(7).allSatisfy { $0.round == 1 })
        // Terms of three: each term's first height asks n0 first again (heights 4 and 7), the others go to n1 at once.
        c.termLength = 3
        let terms = NetworkSimulator.run(c).commits[1].prefix(8).map(\.round)
        #expect(terms.count == 8 && terms[3] == 1 && terms[6] == 1 && [terms[4], terms[5], terms[7]] == [0, 0, 0], "\(terms)")
    }

    @Test("A validator whose clock is wrong prevotes for nothing, yet follows every block the others decide, even as the term's leader")
    func wrongClockFollows() {
        var c = NetworkSimulator.Configuration(seed: 11)
        c.untimely = [0]  // n0, the highest by order, leads the term and never finds a proposal timely
        c.termLength = 100
        c.targetHeight = 6
        let r = NetworkSimulator.run(c)
        #expect(r.problems.isEmpty, "\(r.problems)")
        #expect(r.reachedTargetNs.allSatisfy { $0 != nil }, "\(r.reachedTargetNs)")
        let chains = r.commits.map { $0.prefix(6).map(\.block.hash) }
        #expect(chains[0].count == 6 && chains.allSatisfy { $0 == chains[0] }, "\(chains.map(\.count))")
    }

    @Test("A run replays exactly from its seed")
    func replay() {
        let (config, _) = Self.plan(seed: 42)
        let a = NetworkSimulator.run(config), b = NetworkSimulator.run(config)
        #expect(a.messages == b.messages && a.reachedTargetNs == b.reachedTargetNs)
        #expect(a.commits.map { $0.map(\.block.hash) } == b.commits.map { $0.map(\.block.hash) })
    }
}
