import Crypto
import Foundation
import HashTreeCollections
import Testing
@testable import Ledger
import Signal

/// Seeded random histories, valid and invalid transactions mixed, blocks at random times with
/// random proposers. After every transaction: tokens are conserved, offers are never
/// overbooked, locks match live offers, and a rejected transaction left the state untouched.
/// Replaying the same history gives the same state, bit for bit.
@Suite("Ledger properties")
struct PropertyTests {
    static let users = ["pu-1", "pu-2", "pbs-1"], mnos = ["mno-a", "mno-b"], validators = ["v1", "v2", "v3", "v4"]
    static let funded: [String: Int64] = ["mno-a": 20_000, "mno-b": 20_000, "pu-1": 8_000, "pu-2": 8_000, "pbs-1": 8_000, "sensor-1": 100, "sensor-2": 100]

    /// One random transaction: often valid, sometimes not.
    static func randomTransaction(_ f: LedgerFixture, _ rng: inout SeededRandom) -> SignedTransaction {
        let c = f.contract
        func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &rng)] }
        let user = pick(users), mno = pick(mnos)
        let roll = Int.random(in: 0..<170, using: &rng)
        if roll >= 100 { return randomTokenTransaction(f, &rng) }
        switch roll {
        case 0..<8: return f.tx(user, .topUp(amount: Int64.random(in: -5...400, using: &rng)))
        case 8..<16: return f.tx(pick(users + mnos), .withdraw(amount: Int64.random(in: 1...3_000, using: &rng)))
        case 16..<30:
            let band = Int64.random(in: 1...40, using: &rng) * 1_000_000
            return f.tx(mno, LedgerFixture.offer("o\(Int.random(in: 0..<60, using: &rng))", low: 3_400_000_000 + Int64.random(in: 0..<20, using: &rng) * 10_000_000,
                                                  bandwidth: band, area: pick(["cell-1", "cell-2"]), start: f.time - 60_000_000_000,
                                                  hours: Int64.random(in: 1...4, using: &rng), price: Int64.random(in: 0...20, using: &rng),
                                                  deposit: Int64.random(in: 0...1_500, using: &rng)))
        case 30..<48:
            return f.tx(user, .demand(DemandRequest(id: "d\(Int.random(in: 0..<200, using: &rng))", bandwidthHz: Int64.random(in: 1...25, using: &rng) * 1_000_000,
                                                    durationNs: Int64.random(in: 60...7_200, using: &rng) * 1_000_000_000, area: pick(["cell-1", "cell-2"]),
                                                    startNs: 0, deposit: Int64.random(in: 0...600, using: &rng))))
        case 48..<56: return f.tx(pick(mnos + validators + users), .closeRound)
        case 56..<70:
            guard let grant = c.grants.isEmpty ? nil : pick(c.grants) else { return f.tx(user, .closeRound) }
            let kind = pick(["power", "frequency", "time", "degradation"])
            let wrongSuspect = Int.random(in: 0..<10, using: &rng) == 0
            return f.tx(pick(["sensor-1", "sensor-1", "pu-1"]),
                        f.evidence(by: "sensor-1", grant: grant.id, kind: kind, rule: kind, suspect: wrongSuspect ? "pu-2" : nil,
                                   startNs: grant.startNs + Int64.random(in: 0..<50, using: &rng) * 10_000_000_000, nonce: UInt8.random(in: 0...255, using: &rng)))
        case 70..<88:
            guard let k = c.cases.isEmpty ? nil : pick(Array(c.cases)) else { return f.tx(pick(validators), .topUp(amount: 1)) }
            return f.tx(pick(validators + ["pu-1"]), .vote(caseID: k.id, guilty: Bool.random(using: &rng)))
        case 88..<93: return f.tx(user, .topUp(amount: 1), key: pick(users))  // maybe the wrong key
        case 93..<97: return f.tx(user, .topUp(amount: 1), nonce: UInt64.random(in: 0...3, using: &rng))  // maybe replayed
        default:
            let v = pick(validators)
            func vote(_ h: UInt8) -> SignedVote {
                let vote = ConsensusVote(step: .prevote, height: Int64.random(in: 1...3, using: &rng), round: 0, blockHash: Array(repeating: h, count: 32), validator: v)
                return SignedVote(vote: vote, signature: Array(try! DevKeys.signing(v).signature(for: vote.canonicalBytes)))
            }
            return f.tx("sensor-1", .equivocation(first: vote(1), second: vote(UInt8.random(in: 1...2, using: &rng))))
        }
    }

    /// One random token transaction (mint, split, merge, transfer, ask, bid, cancel): often
    /// valid, sometimes not (someone else's token, a point outside it, a price beyond funds).
    static func randomTokenTransaction(_ f: LedgerFixture, _ rng: inout SeededRandom) -> SignedTransaction {
        let c = f.contract
        func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &rng)] }
        // Mostly live tokens and offers (most of a long history has ended).
        let all = Array(c.tokens.values).sorted { $0.id < $1.id }, live = all.filter { $0.endNs > c.timeNs }
        var tokens = live.isEmpty || Int.random(in: 0..<10, using: &rng) == 0 ? all : live
        let listed = tokens.filter { $0.ask != nil }
        if !listed.isEmpty, Bool.random(using: &rng) { tokens = listed }
        let liveOffers = c.offers.filter { $0.endNs > c.timeNs && $0.freeHz > 0 }
        let anyone = users + mnos + ["v1"]
        let id = "t\(Int.random(in: 0..<400, using: &rng))"
        guard let t = tokens.isEmpty ? nil : pick(tokens), Int.random(in: 0..<5, using: &rng) > 0 else {
            guard let o = liveOffers.isEmpty ? (c.offers.isEmpty ? nil : pick(c.offers)) : pick(liveOffers) else { return f.tx(pick(mnos), .mint(id: id, offerID: "none", bandwidthHz: 1)) }
            return f.tx(Int.random(in: 0..<8, using: &rng) == 0 ? pick(mnos) : o.mno,
                        .mint(id: id, offerID: o.id, bandwidthHz: Int64.random(in: 1...8, using: &rng) * 1_000_000))
        }
        let owner = Int.random(in: 0..<8, using: &rng) == 0 ? pick(anyone) : t.owner
        switch Int.random(in: 0..<7, using: &rng) {
        case 0:
            let at: Transaction.SplitPoint = Bool.random(using: &rng)
                ? .frequency(Hz: t.frequencyLowHz + Int64.random(in: -1...Int64(t.bandwidthHz / 1_000_000) + 1, using: &rng) * 1_000_000)
                : .time(ns: t.startNs + Int64.random(in: -1...5, using: &rng) * (t.endNs - t.startNs) / 4)
            return f.tx(owner, .split(tokenID: t.id, at: at, lowID: id, highID: "\(id)h"))
        case 1:
            let other = pick(tokens)
            return f.tx(owner, .merge(first: t.id, second: other.id, id: id))
        case 2: return f.tx(owner, .transfer(tokenID: t.id, to: pick(anyone + ["nobody"])))
        case 3:
            let lease = Bool.random(using: &rng)
            return f.tx(owner, .ask(AskRequest(tokenID: t.id, priceMilli: Int64.random(in: 0...30, using: &rng), mode: lease ? .lease : .purchase,
                                               leaseEndNs: lease ? t.endNs - Int64.random(in: 0...1, using: &rng) * (t.endNs - t.startNs) / 2 : nil,
                                               streamed: lease && Bool.random(using: &rng))))
        case 4, 5:
            let lease = Bool.random(using: &rng)
            let end = lease ? (t.ask?.leaseEndNs ?? t.endNs - Int64.random(in: 0...1, using: &rng) * (t.endNs - t.startNs) / 2) : t.endNs
            let product = Product(area: t.area, frequencyLowHz: t.frequencyLowHz, frequencyHighHz: t.frequencyHighHz, startNs: t.startNs, endNs: end)
            return f.tx(pick(users + anyone), .bid(BidRequest(id: "b\(Int.random(in: 0..<300, using: &rng))", product: product, mode: t.ask?.mode ?? (lease ? .lease : .purchase),
                                                      maxPriceMilli: (t.ask?.priceMilli ?? 10) + Int64.random(in: -5...10, using: &rng),
                                                      streamed: t.ask?.streamed ?? false)))
        default:
            let open = Array(c.bids.keys).sorted()
            if let b = open.isEmpty ? nil : pick(open), Bool.random(using: &rng) { return f.tx(c.bids[b]!.bidder, .cancel(orderID: b)) }
            return f.tx(owner, .cancel(orderID: t.id))
        }
    }

    /// Tokens: each offer's minted Hz·s is exactly the sum over its live tokens (a split or a
    /// merge neither creates nor loses any right), tokens of one offer never overlap, and
    /// nothing is both granted and minted.
    static func checkTokenInvariants(_ c: Contract) -> [String] {
        var problems: [String] = []
        let byOffer = Dictionary(grouping: c.tokens.values, by: \.offerID)
        for o in c.offers {
            if o.grantedHz + o.tokenizedHz > o.bandwidthHz { problems.append("offer \(o.id) granted + minted beyond its band") }
            let tokens = byOffer[o.id] ?? []
            let area = tokens.reduce(Int128(0)) { $0 + Int128($1.bandwidthHz) * Int128($1.endNs - $1.startNs) }
            if area != Int128(o.tokenizedHz) * Int128(o.endNs - o.startNs) { problems.append("offer \(o.id): tokens cover \(area) Hz·ns, minted \(o.tokenizedHz) Hz") }
            for (i, a) in tokens.enumerated() {
                if a.frequencyLowHz < o.frequencyHighHz - o.tokenizedHz || a.frequencyHighHz > o.frequencyHighHz { problems.append("token \(a.id) outside the minted band") }
                for b in tokens[(i + 1)...] where a.frequencyLowHz < b.frequencyHighHz && b.frequencyLowHz < a.frequencyHighHz && a.startNs < b.endNs && b.startNs < a.endNs {
                    problems.append("tokens \(a.id) and \(b.id) overlap")
                }
                if let lease = a.lease, lease.endNs > a.endNs || lease.lessee == a.owner { problems.append("token \(a.id): bad lease") }
            }
        }
        return problems
    }

    static func checkInvariants(_ c: Contract, genesisTotal: Int64) -> [String] {
        var problems: [String] = []
        let s = c.supply
        if s.balances + s.deposits + s.escrow + s.treasury + s.allocations != genesisTotal { problems.append("tokens not conserved: \(s)") }
        for o in c.offers {
            let granted = c.grants.filter { $0.offerID == o.id }
            if o.grantedHz > o.bandwidthHz || granted.reduce(0, { $0 + $1.frequencyHighHz - $1.frequencyLowHz }) != o.grantedHz {
                problems.append("offer \(o.id) overbooked or miscounted")
            }
            let sorted = granted.sorted { $0.frequencyLowHz < $1.frequencyLowHz }
            for (a, b) in zip(sorted, sorted.dropFirst()) where a.frequencyHighHz > b.frequencyLowHz { problems.append("grants \(a.id) and \(b.id) overlap") }
            if let first = sorted.first, first.frequencyLowHz < o.frequencyLowHz { problems.append("grant below offer \(o.id)") }
            if let last = sorted.last, last.frequencyHighHz > o.frequencyHighHz { problems.append("grant above offer \(o.id)") }
        }
        for (id, a) in c.accounts {
            let locks = c.offers.filter { $0.mno == id && !$0.released }.reduce(0) { $0 + $1.deposit }
            if a.locked != locks { problems.append("\(id) locks \(a.locked), live offers \(locks)") }
            if a.balance < 0 || a.deposit < 0 || a.trustMilli < 0 || a.trustMilli > c.parameters.trustMaxMilli { problems.append("\(id) out of range") }
        }
        return problems
    }

    @Test("Random histories conserve tokens, never overbook, and rejected transactions change nothing", arguments: 0..<24)
    func randomHistory(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        var f = LedgerFixture(funded: Self.funded)
        let total = f.tokenTotal
        var history: [(BlockContext, [SignedTransaction])] = []
        f.nextBlock()
        var block: [SignedTransaction] = []
        for (role, id) in [(Role.mno, "mno-a"), (.mno, "mno-b"), (.pu, "pu-1"), (.pu, "pu-2"), (.pbs, "pbs-1"), (.sensor, "sensor-1")] {
            let tx = f.tx(id, LedgerFixture.register(role, id, deposit: id.hasPrefix("mno") ? 8_000 : 100))
            _ = f.contract.apply(tx)
            block.append(tx)
        }
        var accepted = 0
        for step in 0..<600 {
            if Int.random(in: 0..<6, using: &rng) == 0 {
                history.append((BlockContext(height: f.height, timeNs: f.time, proposer: f.proposer), block))
                block = []
                f.nextBlock(seconds: Int64.random(in: 1...900, using: &rng), proposer: Self.validators[Int.random(in: 0..<4, using: &rng)])
            }
            let tx = Self.randomTransaction(f, &rng)
            let before = f.contract.canonicalState
            let result = f.contract.apply(tx)
            block.append(tx)
            if result.isSuccess { accepted += 1 } else {
                #expect(f.contract.canonicalState == before, "seed \(seed) step \(step): rejected \(tx.transaction.kind) changed the state")
            }
            let problems = Self.checkInvariants(f.contract, genesisTotal: total) + Self.checkTokenInvariants(f.contract)
            #expect(problems.isEmpty, "seed \(seed) step \(step) after \(tx.transaction.kind): \(problems)")
            if !problems.isEmpty { return }
        }
        history.append((BlockContext(height: f.height, timeNs: f.time, proposer: f.proposer), block))
        #expect(accepted > 100, "the history exercised the rules: \(accepted) accepted")
        #expect(!f.contract.grants.isEmpty && f.contract.cases.contains { $0.verdict != .open }, "seed \(seed): grants and decided cases")
        #expect(!f.contract.tokens.isEmpty && !f.contract.trades.isEmpty, "seed \(seed): tokens minted and traded")

        // Replaying the history from genesis reaches the same state, bit for bit.
        var replay = LedgerFixture(funded: Self.funded).contract
        for (context, txs) in history { _ = replay.apply(block: context, txs) }
        var original = f.contract
        _ = original.endBlock(BlockContext(height: f.height, timeNs: f.time, proposer: f.proposer))
        #expect(replay.stateHash == original.stateHash, "seed \(seed)")
        // The growing sections' chains, kept up block by block, equal chains rebuilt from the
        // snapshot's content (restore recomputes them and checks the hash).
        let restored = try Contract.restore(snapshot: try original.snapshot(), stateHash: original.stateHash)
        #expect(restored.canonicalState == original.canonicalState, "seed \(seed)")
        #expect(restored.validatorSet.map { "\($0.id)=\($0.power)" } == original.validatorSet.map { "\($0.id)=\($0.power)" }, "seed \(seed)")
    }
}
