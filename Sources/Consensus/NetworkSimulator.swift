import Crypto
import Foundation
import Ledger
import Signal

/// How a faulty validator misbehaves in a simulation.
public enum ByzantineBehaviour: String, Sendable, CaseIterable {
    /// Sends nothing.
    case silent
    /// Proposes two different blocks to two halves of the network, and votes for both.
    case equivocate
    /// Proposes blocks that fail validation and votes for them.
    case invalidBlocks
    /// Every vote it sends is followed by a conflicting one.
    case doubleVote
}

/// A stand-in for Ed25519 in simulations: a keyed SHA-256 tag, checked the same way (only the
/// holder of a validator's secret can sign for it; honest and faulty code alike sign as itself).
public struct SimulatedSigner: MessageSigner {
    public init() {}
    public func sign(_ bytes: [UInt8], as validator: String) -> [UInt8] {
        Array(SHA256.hash(data: Array("sim-key \(validator)".utf8) + bytes).prefix(16))
    }
    public func verify(_ signature: [UInt8], of bytes: [UInt8], by validator: String) -> Bool { signature == sign(bytes, as: validator) }
}

/// A seeded, deterministic network of validators running `TendermintCore`: delays, drops,
/// duplicates, reordering, partitions that heal, crashes with restarts, Byzantine validators.
/// One seed replays a run exactly.
public struct NetworkSimulator {
    public struct Configuration: Sendable {
        public var seed: UInt64
        public var powers: [Int64] = [100, 100, 100, 100]
        public var byzantine: [Int: ByzantineBehaviour] = [:]
        public var minDelayNs: Int64 = 1_000_000, maxDelayNs: Int64 = 50_000_000
        public var dropRate = 0.0, duplicateRate = 0.0
        /// Until `healNs`, messages between different groups are lost.
        public var partition: [[Int]]? = nil
        public var healNs: Int64 = 0
        /// (node, crash time, restart time)
        public var crashes: [(node: Int, atNs: Int64, restartNs: Int64)] = []
        public var targetHeight: Int64 = 5
        public var limitNs: Int64 = 120_000_000_000
        /// Heights per leader term (`TendermintCore.Configuration.termLength`).
        public var termLength: Int64 = 1
        /// Honest validators whose clock is wrong: they find no proposal timely (never prevote
        /// for one), yet must follow the blocks the others decide.
        public var untimely: Set<Int> = []

        public init(seed: UInt64) { self.seed = seed }
    }

    public struct Result: Sendable {
        /// Per node, its commits (faulty nodes' included, but not judged).
        public var commits: [[Commit]]
        public var honest: [Int]
        /// When each honest node reached the target height (nil: never), ns.
        public var reachedTargetNs: [Int64?]
        public var problems: [String]
        public var messages: Int
        public var equivocationsSeen: Int
    }

    private enum Event {
        case deliver(ConsensusMessage, to: Int)
        case timer(Timeout, node: Int)
        case crash(Int), restart(Int)
    }

    public static func run(_ config: Configuration) -> Result {
        var rng = SeededRandom(seed: config.seed)
        let n = config.powers.count
        let ids = (0..<n).map { "n\($0)" }
        let set = ValidatorSet(zip(ids, config.powers).map { Validator(id: $0, power: $1) })
        let signer = SimulatedSigner()
        var settings = TendermintCore.Configuration()
        settings.termLength = config.termLength
        var cores = ids.enumerated().map { index, id in
            TendermintCore(id: id, validators: set, signer: signer, configuration: settings,
                           makeBlock: { h, r, previous in
                               Block(height: h, previousHash: previous?.block.hash ?? [], proposer: id, timeNs: h * 1_000_000_000,
                                     transactions: [Array("tx \(id) \(h) \(r)".utf8)], lastCommit: previous?.precommits ?? [])
                           },
                           isValid: { block in !block.transactions.contains(Array("invalid".utf8)) },
                           isTimely: { [untimely = config.untimely.contains(index)] _ in !untimely })
        }
        var queue: [(time: Int64, seq: Int, event: Event)] = []
        var seq = 0, now: Int64 = 0, messages = 0
        var down = Set<Int>()
        func push(_ t: Int64, _ e: Event) {
            seq += 1
            // Keep the queue sorted by (time, seq): insertion point by binary search.
            var lo = 0, hi = queue.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if (queue[mid].time, queue[mid].seq) < (t, seq) { lo = mid + 1 } else { hi = mid }
            }
            queue.insert((t, seq, e), at: lo)
        }
        func connected(_ a: Int, _ b: Int) -> Bool {
            guard let groups = config.partition, now < config.healNs else { return true }
            return groups.contains { $0.contains(a) && $0.contains(b) }
        }
        func transmit(_ m: ConsensusMessage, from: Int, to: Int) {
            guard to != from, connected(from, to) else { return }
            if Double.random(in: 0..<1, using: &rng) < config.dropRate { return }
            let copies = Double.random(in: 0..<1, using: &rng) < config.duplicateRate ? 2 : 1
            for _ in 0..<copies {
                messages += 1
                push(now + Int64.random(in: config.minDelayNs...config.maxDelayNs, using: &rng), .deliver(m, to: to))
            }
        }
        func handle(_ effects: [ConsensusEffect], node: Int) {
            let behaviour = config.byzantine[node]
            for effect in effects {
                switch effect {
                case .schedule(let t, let after): push(now + after, .timer(t, node: node))
                case .commit: break
                case .send(let m, let to):
                    if behaviour == .silent { continue }
                    if let target = ids.firstIndex(of: to) { transmit(m, from: node, to: target) }
                case .broadcast(let m):
                    if behaviour == .silent { continue }
                    for (target, outgoing) in Self.misbehave(m, behaviour: behaviour, node: ids[node], n: n, signer: signer) {
                        if let target { transmit(outgoing, from: node, to: target) } else { for t in 0..<n { transmit(outgoing, from: node, to: t) } }
                    }
                }
            }
        }
        for crash in config.crashes {
            push(crash.atNs, .crash(crash.node))
            push(crash.restartNs, .restart(crash.node))
        }
        for i in 0..<n { handle(cores[i].start(), node: i) }
        let honest = (0..<n).filter { config.byzantine[$0] == nil }
        var reached = [Int64?](repeating: nil, count: n)
        while !queue.isEmpty {
            let (time, _, event) = queue.removeFirst()
            now = time
            if now > config.limitNs { break }
            switch event {
            case .crash(let i): down.insert(i)
            case .restart(let i):
                down.remove(i)
                handle(cores[i].restart(), node: i)
            case .deliver(let m, let i):
                guard !down.contains(i) else { continue }
                handle(cores[i].receive(m), node: i)
            case .timer(let t, let i):
                guard !down.contains(i) else { continue }
                handle(cores[i].fire(t), node: i)
            }
            for i in honest where reached[i] == nil && cores[i].height > config.targetHeight { reached[i] = now }
            if honest.allSatisfy({ reached[$0] != nil }) { break }
        }
        var result = Result(commits: cores.map(\.commits), honest: honest, reachedTargetNs: honest.map { reached[$0] }, problems: [],
                            messages: messages, equivocationsSeen: cores.reduce(0) { $0 + $1.equivocations.count })
        result.problems = Self.checkSafety(result, set: set, signer: signer)
        return result
    }

    /// No two honest validators commit different blocks at a height; every commit carries
    /// precommits for its block of more than two thirds of the power, each signature valid.
    static func checkSafety(_ r: Result, set: ValidatorSet, signer: SimulatedSigner) -> [String] {
        var problems: [String] = []
        let longest = r.honest.map { r.commits[$0].count }.max() ?? 0
        for h in 0..<longest {
            let blocks = r.honest.compactMap { h < r.commits[$0].count ? r.commits[$0][h] : nil }
            if Set(blocks.map(\.block.hash)).count > 1 { problems.append("conflicting commits at height \(h + 1)") }
            for c in blocks {
                var seen = Set<String>(), power: Int64 = 0
                for s in c.precommits where s.vote.blockHash == c.block.hash && s.vote.step == .precommit && s.vote.height == c.block.height
                    && !seen.contains(s.vote.validator) && signer.verify(s.signature, of: s.vote.canonicalBytes, by: s.vote.validator) {
                    seen.insert(s.vote.validator)
                    power += set.power(of: s.vote.validator)
                }
                if !set.isQuorum(power) { problems.append("commit at height \(h + 1) has only \(power) of \(set.totalPower) power in precommits") }
            }
        }
        return problems
    }

    /// What a faulty validator sends instead of `m`: (target or nil for everyone, message).
    static func misbehave(_ m: ConsensusMessage, behaviour: ByzantineBehaviour?, node: String, n: Int,
                          signer: SimulatedSigner) -> [(Int?, ConsensusMessage)] {
        func signedVote(_ v: ConsensusVote) -> ConsensusMessage { .vote(SignedVote(vote: v, signature: signer.sign(v.canonicalBytes, as: node))) }
        func proposal(_ p: Proposal, block: Block) -> Proposal {
            var q = p
            q.block = block
            q.signature = signer.sign(q.signedBytes, as: node)
            return q
        }
        switch (behaviour, m) {
        case (.equivocate, .proposal(let p)):
            let other = p.block.with(transactions: [Array("conflicting \(p.height) \(p.round)".utf8)])
            let half = n / 2
            return (0..<n).map { ($0, .proposal($0 < half ? p : proposal(p, block: other))) }
        case (.equivocate, .vote(let s)), (.doubleVote, .vote(let s)):
            var conflicting = s.vote
            conflicting.blockHash = s.vote.blockHash.isEmpty ? Array(repeating: 0xEE, count: 32) : []
            let half = n / 2
            if behaviour == .doubleVote { return [(nil, m), (nil, signedVote(conflicting))] }
            return (0..<n).map { ($0, $0 < half ? m : signedVote(conflicting)) }
        case (.invalidBlocks, .proposal(let p)):
            let bad = p.block.with(transactions: [Array("invalid".utf8)])
            return [(nil, .proposal(proposal(p, block: bad)))]
        default:
            return [(nil, m)]
        }
    }
}
