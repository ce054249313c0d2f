import HashTreeCollections
import Crypto
import Evidence

extension Contract {
    /// The state in a fixed binary layout, maps in key order; sections that only grow (open
    /// demands, demand ids, grants, rounds, evidence, decided cases) as their count and
    /// `StateChain` over their items in arrival (decision) order. Two contracts with equal bytes are
    /// the same state (arrival order included). Its SHA-256 is what nodes compare (the app
    /// hash); its size does not grow with those sections, so neither does a commit's cost.
    public var canonicalState: [UInt8] {
        var w = CanonicalWriter()
        for b in "TBST".utf8 { w.u8(b) }
        w.u16(3)
        for v in [height, timeNs, period, treasury, genesisSupply] { w.i64(v) }
        w.u64(UInt64(accounts.count))
        for id in accounts.keys.sorted() {
            let a = accounts[id]!
            w.string(a.id); w.u8(a.role.code); w.data(a.signingKey); w.data(a.agreementKey)
            for v in [a.balance, a.deposit, a.registrationDeposit, a.locked, a.trustMilli] { w.i64(v) }
            w.u64(a.nonce)
            for list in [a.accessedPeriods, a.violationPeriods] {
                w.u64(UInt64(list.count))
                for p in list { w.i64(p) }
            }
        }
        w.u64(UInt64(allocations.count))
        for key in allocations.keys.sorted() { w.string(key); w.i64(allocations[key]!) }
        w.u64(UInt64(offers.count))
        for o in offers {
            w.string(o.id); w.string(o.mno); w.string(o.area)
            for v in [o.frequencyLowHz, o.frequencyHighHz, o.startNs, o.endNs, o.unitPriceMilli, o.deposit, o.grantedHz, o.tokenizedHz] { w.i64(v) }
            w.bool(o.released)
            Self.write(o.rules, &w)
        }
        for (count, chain) in [(openDemands.count, chains.openDemands), (demandIDs.count, chains.demandIDs), (grants.count, chains.grants),
                               (rounds.count, chains.rounds)] {
            w.u64(UInt64(count))
            w.data(chain.digest)
        }
        // Cases: the decided ones as a chain in decision order, the open ones in full; every
        // case's corroborations are the evidence chain's records that name it.
        w.u64(UInt64(cases.count))
        w.u64(UInt64(decisionOrder.count))
        w.data(chains.decidedCases.digest)
        w.u64(UInt64(chains.openCases.count))
        for i in chains.openCases { w.data(chains.openCaseDigests[i]!) }
        w.u64(UInt64(evidence.count))
        w.data(chains.evidence.digest)
        w.u64(UInt64(authorizations.count))
        for id in authorizations.keys.sorted() {
            w.string(id)
            w.u64(UInt64(authorizations[id]!.count))
            for a in authorizations[id]! { w.data(a.encapsulatedKey); w.data(a.ciphertext); w.data(a.signature) }
        }
        w.u64(UInt64(punishedEquivocations.count))
        for key in punishedEquivocations.sorted() { w.string(key) }
        for v in [produced.blocks, produced.rewardStart, produced.rewardLength, produced.penaltyStart, produced.penaltyLength] { w.i64(v) }
        for counts in [produced.reward, produced.penalty] {
            w.u64(UInt64(counts.count))
            for id in counts.keys.sorted() { w.string(id); w.i64(counts[id]!) }
        }
        // Tokens and bids change in place: each one's SHA-256, in id order.
        w.u64(UInt64(tokens.count))
        for id in tokens.keys.sorted() {
            var t = CanonicalWriter()
            Self.write(tokens[id]!, &t)
            w.data(Array(SHA256.hash(data: t.bytes)))
        }
        w.u64(UInt64(bids.count))
        for id in bids.keys.sorted() {
            var b = CanonicalWriter()
            Self.write(bids[id]!, &b)
            w.data(Array(SHA256.hash(data: b.bytes)))
        }
        for (count, chain) in [(usedTokenOrder.count, chains.tokenIDs), (trades.count, chains.trades)] {
            w.u64(UInt64(count))
            w.data(chain.digest)
        }
        w.i64(orderSequence)
        return w.bytes
    }

    /// SHA-256 of `canonicalState`, hex.
    public var stateHash: String { hex(SHA256.hash(data: canonicalState)) }

    /// A case has its verdict: it joins the decided chain and leaves the open list.
    mutating func caseDecided(_ c: Int) {
        decisionOrder.append(c)
        // Open cases are ascending: find by bisection (decisions come in bursts at deadlines).
        var lo = 0, hi = chains.openCases.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if chains.openCases[mid] < c { lo = mid + 1 } else { hi = mid }
        }
        if lo < chains.openCases.count, chains.openCases[lo] == c { chains.openCases.remove(at: lo) }
        chains.openCaseDigests[c] = nil
        chains.decidedCases.add { Self.write(cases[c], &$0) }
    }

    /// An open case was opened or changed: its digest again.
    mutating func caseChanged(_ c: Int) {
        var w = CanonicalWriter()
        Self.write(cases[c], &w)
        chains.openCaseDigests[c] = Array(SHA256.hash(data: w.bytes))
    }

    /// Records an evidence record and the case it opened or corroborates.
    mutating func addEvidence(_ recordID: String, case caseID: String) {
        evidence[recordID] = caseID
        evidenceOrder.append(recordID)
        chains.evidence.add { w in w.string(recordID); w.string(caseID) }
    }

    /// Recomputes every chain from the state (after a restore). Throws when the arrival-order
    /// lists do not hold exactly the sets and maps they order.
    mutating func rebuildChains() throws(LedgerError) {
        guard demandOrder.count == demandIDs.count, TreeSet(demandOrder) == demandIDs else {
            throw .malformed(problem: "snapshot's demand order does not match its demand ids")
        }
        guard evidenceOrder.count == evidence.count, evidenceOrder.allSatisfy({ evidence[$0] != nil }) else {
            throw .malformed(problem: "snapshot's evidence order does not match its evidence")
        }
        var rebuilt = StateChains()
        for d in openDemands { rebuilt.openDemands.add { Self.write(d, &$0) } }
        for id in demandOrder { rebuilt.demandIDs.add(Array(id.utf8)) }
        for g in grants { rebuilt.grants.add { Self.write(g, &$0) } }
        for r in rounds { rebuilt.rounds.add { Self.write(r, &$0) } }
        for id in evidenceOrder { rebuilt.evidence.add { w in w.string(id); w.string(evidence[id]!) } }
        guard decisionOrder.allSatisfy({ cases.indices.contains($0) && cases[$0].verdict != .open }), Set(decisionOrder).count == decisionOrder.count,
              decisionOrder.count == cases.filter({ $0.verdict != .open }).count else {
            throw .malformed(problem: "snapshot's decision order does not match its decided cases")
        }
        for c in decisionOrder { rebuilt.decidedCases.add { Self.write(cases[c], &$0) } }
        guard usedTokenOrder.count == usedTokenIDs.count, TreeSet(usedTokenOrder) == usedTokenIDs,
              tokens.keys.allSatisfy({ usedTokenIDs.contains($0) }) else {
            throw .malformed(problem: "snapshot's token ids do not match its tokens")
        }
        for id in usedTokenOrder { rebuilt.tokenIDs.add(Array(id.utf8)) }
        for t in trades { rebuilt.trades.add { Self.write(t, &$0) } }
        market = MarketIndex()
        for (id, t) in tokens.sorted(by: { ($0.value.ask?.sequence ?? 0) < ($1.value.ask?.sequence ?? 0) }) {
            if let ask = t.ask { market.asks[Self.product(of: t, leaseEndNs: ask.leaseEndNs).bookKey(ask.mode), default: []].append(id) }
            if t.lease != nil { market.insertLeased(id) }
        }
        for bid in bids.values.sorted(by: { $0.sequence < $1.sequence }) { market.bids[bid.product.bookKey(bid.mode), default: []].append(bid.id) }
        rebuilt.openCases = cases.indices.filter { cases[$0].verdict == .open }
        // Corroborations are hashed through the evidence chain: they must be exactly its records.
        var corroborations = [[String]](repeating: [], count: cases.count)
        for id in evidenceOrder where evidence[id] != id {
            guard let c = caseIndex[evidence[id]!] else { throw .malformed(problem: "snapshot's evidence \(id) names no case") }
            corroborations[c].append(id)
        }
        guard corroborations == cases.map(\.corroborations) else { throw .malformed(problem: "snapshot's corroborations do not match its evidence") }
        chains = rebuilt
        for c in chains.openCases { caseChanged(c) }
    }

    /// A case without its corroborations.
    static func write(_ c: ArbitrationCase, _ w: inout CanonicalWriter) {
        for s in [c.id, c.grantID, c.kind, c.rule, c.suspect, c.reporter, c.harmedParty, c.verdict.rawValue] { w.string(s) }
        for v in [c.startNs, c.endNs, c.openedHeight, c.deadlineHeight, c.penalty, c.paidToReporter, c.paidToHarmed] { w.i64(v) }
        w.optional(c.decidedHeight)
        w.u64(UInt64(c.validators.count))
        for v in c.validators { w.string(v.id); w.i64(v.power) }
        w.u64(UInt64(c.votes.count))
        for v in c.votes { w.string(v.validator); w.bool(v.guilty); w.i64(v.power); w.i64(v.height) }
    }

    static func write(_ d: Demand, _ w: inout CanonicalWriter) {
        w.string(d.id); w.string(d.user); w.string(d.area)
        for v in [d.bandwidthHz, d.durationNs, d.startNs, d.deposit] { w.i64(v) }
    }

    static func write(_ g: LedgerGrant, _ w: inout CanonicalWriter) {
        for s in [g.id, g.holder, g.mno, g.offerID, g.demandID, g.area] { w.string(s) }
        for v in [g.period, g.frequencyLowHz, g.frequencyHighHz, g.startNs, g.endNs, g.pricePaid] { w.i64(v) }
        write(g.rules, &w)
    }

    static func write(_ r: Round, _ w: inout CanonicalWriter) {
        w.i64(r.period); w.string(r.closedBy); w.i64(r.height)
        w.u64(UInt64(r.entries.count))
        for e in r.entries {
            w.string(e.demandID); w.string(e.user)
            for v in [e.rank, e.trustMilli, e.priorityNano, e.servedOrder, e.grantedHz, e.paid, e.refunded] { w.i64(v) }
        }
    }

    static func write(_ t: SpectrumToken, _ w: inout CanonicalWriter) {
        for s in [t.id, t.mno, t.offerID, t.owner, t.area] { w.string(s) }
        for v in [t.frequencyLowHz, t.frequencyHighHz, t.startNs, t.endNs, t.frozenUntilHeight, t.lastSaleHeight] { w.i64(v) }
        write(t.rules, &w)
        w.optional(t.lastPriceMilli)
        w.string(t.lastSeller ?? "")
        w.bool(t.lease != nil)
        if let l = t.lease {
            w.string(l.lessee)
            for v in [l.startNs, l.endNs, l.rent, l.paid, l.collateral] { w.i64(v) }
            w.bool(l.streamed)
        }
        w.bool(t.ask != nil)
        if let a = t.ask {
            w.i64(a.priceMilli); w.u8(a.mode.code); w.optional(a.leaseEndNs); w.bool(a.streamed); w.i64(a.sequence); w.bool(a.forced)
        }
    }

    static func write(_ b: Bid, _ w: inout CanonicalWriter) {
        for s in [b.id, b.bidder, b.product.area] { w.string(s) }
        for v in [b.product.frequencyLowHz, b.product.frequencyHighHz, b.product.startNs, b.product.endNs, b.maxPriceMilli, b.escrow, b.sequence] { w.i64(v) }
        w.u8(b.mode.code); w.bool(b.streamed)
    }

    static func write(_ t: Trade, _ w: inout CanonicalWriter) {
        for s in [t.tokenID, t.seller, t.buyer] { w.string(s) }
        for v in [t.height, t.priceMilli, t.value] { w.i64(v) }
        w.u8(t.mode.code); w.bool(t.wash)
    }

    static func write(_ r: UsageRules, _ w: inout CanonicalWriter) {
        w.i64(r.maxPsdMilliDbmPerMHz); w.i64(r.outOfBandMaxMilliDbmPerMHz); w.i64(r.maxOccupancyNs)
        w.optional(r.nominalPsdMilliDbmPerMHz); w.optional(r.nominalToleranceMilliDB)
    }
}
