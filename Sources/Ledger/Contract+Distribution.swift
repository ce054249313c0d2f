import HashTreeCollections
extension Contract {
    /// 10^18: Hz × ns × thousandths of a token per MHz·s → tokens.
    static let priceScale: Int128 = 1_000_000_000_000_000_000

    /// Tokens for `hz` over `ns` at `priceMilli` per MHz·s, rounded up (never undercharged).
    static func cost(hz: Int64, ns: Int64, priceMilli: Int64) -> Int64 {
        let product = Int128(hz) * Int128(ns) * Int128(priceMilli)
        return Int64((product + priceScale - 1) / priceScale)
    }

    /// The most bandwidth `tokens` pay for over `ns` at `priceMilli` (Algorithm 1, line 9).
    static func affordableHz(tokens: Int64, ns: Int64, priceMilli: Int64) -> Int64 {
        guard priceMilli > 0 else { return .max }
        return Int64(min(Int128(Int64.max), Int128(tokens) * priceScale / (Int128(ns) * Int128(priceMilli))))
    }

    /// κ × bandwidth × duration, tokens, rounded up.
    func requiredOfferDeposit(hz: Int64, ns: Int64) -> Int64 { Self.cost(hz: hz, ns: ns, priceMilli: parameters.kappaMilliPerMHzSecond) }

    mutating func offer(_ account: Account, _ o: OfferRequest) throws(LedgerError) -> [String] {
        try Self.require(account, [.mno])
        guard Genesis.isValidID(o.id) else { throw .invalidField(field: "id", problem: "\"\(o.id)\" is not 1–64 of A–Z a–z 0–9 . _ -") }
        guard offerIndex[o.id] == nil else { throw .duplicateID(o.id) }
        try Self.positive(o.frequencyLowHz, "freq_low_hz")
        guard o.frequencyHighHz > o.frequencyLowHz else { throw .invalidField(field: "freq_high_hz", problem: "\(o.frequencyHighHz) is not above freq_low_hz \(o.frequencyLowHz)") }
        guard !o.area.isEmpty, o.area.utf8.count <= 128 else { throw .invalidField(field: "area", problem: "must be 1–128 bytes") }
        guard o.endNs > o.startNs else { throw .invalidField(field: "end", problem: "\(o.endNs) is not after start \(o.startNs)") }
        guard o.endNs > timeNs else { throw .invalidField(field: "end", problem: "\(o.endNs) ns is already past (block time \(timeNs) ns)") }
        guard o.unitPriceMilli >= 0 else { throw .invalidField(field: "unit_price_milli", problem: "must be ≥ 0") }
        try Self.positive(o.rules.maxOccupancyNs, "max_occupancy")
        guard (o.rules.nominalPsdMilliDbmPerMHz == nil) == (o.rules.nominalToleranceMilliDB == nil), (o.rules.nominalToleranceMilliDB ?? 0) >= 0 else {
            throw .invalidField(field: "nominal", problem: "needs both psd and a tolerance ≥ 0")
        }
        let required = requiredOfferDeposit(hz: o.frequencyHighHz - o.frequencyLowHz, ns: o.endNs - o.startNs)
        guard o.deposit >= required else { throw .depositTooSmall(required: required, offered: o.deposit) }
        guard account.available >= o.deposit else { throw .insufficientFunds(account: account.id, needed: o.deposit, available: max(0, account.available)) }
        offerIndex[o.id] = offers.count
        offers.append(Offer(mno: account.id, terms: o))
        accounts[account.id]!.locked += o.deposit
        return ["offer \(o.id) by \(account.id): \(o.frequencyLowHz)–\(o.frequencyHighHz) Hz in \(o.area), deposit \(o.deposit) locked (κ requires \(required))"]
    }

    mutating func demand(_ account: Account, _ d: DemandRequest) throws(LedgerError) -> [String] {
        try Self.require(account, [.pbs, .pu])
        guard Genesis.isValidID(d.id) else { throw .invalidField(field: "id", problem: "\"\(d.id)\" is not 1–64 of A–Z a–z 0–9 . _ -") }
        guard !demandIDs.contains(d.id) else { throw .duplicateID(d.id) }
        try Self.positive(d.bandwidthHz, "bandwidth_hz")
        try Self.positive(d.durationNs, "duration")
        guard !d.area.isEmpty, d.area.utf8.count <= 128 else { throw .invalidField(field: "area", problem: "must be 1–128 bytes") }
        guard d.startNs >= 0 else { throw .invalidField(field: "start", problem: "must be ≥ 0 (0: when the offer starts)") }
        guard d.deposit >= 0 else { throw .invalidField(field: "deposit", problem: "must be ≥ 0") }
        guard account.balance >= d.deposit else { throw .insufficientFunds(account: account.id, needed: d.deposit, available: account.balance) }
        demandIDs.insert(d.id)
        demandOrder.append(d.id)
        chains.demandIDs.add(Array(d.id.utf8))
        accounts[account.id]!.balance -= d.deposit
        let demand = Demand(id: d.id, user: account.id, bandwidthHz: d.bandwidthHz, durationNs: d.durationNs, area: d.area,
                            startNs: d.startNs, deposit: d.deposit)
        openDemands.append(demand)
        chains.openDemands.add { Self.write(demand, &$0) }
        return ["demand \(d.id) by \(account.id): \(d.bandwidthHz) Hz for \(d.durationNs) ns in \(d.area), rank \(openDemands.count - 1), \(d.deposit) in escrow"]
    }

    /// Closes the round (BEAST step 3, Algorithm 1): every open demand gets its priority index
    /// from its arrival rank and its user's trust; in descending priority (ties: earlier
    /// arrival) each is served from the live offers in its area whose window holds it, in the
    /// order the offers were posted, taking the lowest free part of each band, until it has
    /// its bandwidth, its deposit is spent, or the offers are exhausted. It pays the MNO for
    /// what it gets; the rest of its deposit is returned.
    mutating func closeRound(_ account: Account) throws(LedgerError) -> [String] {
        try Self.require(account, [.mno, .validator])
        let period = self.period + 1
        let p = parameters
        var entries = openDemands.enumerated().map { rank, d in
            let trust = accounts[d.user]?.trustMilli ?? 0
            return RoundEntry(demandID: d.id, user: d.user, rank: Int64(rank), trustMilli: trust,
                              priorityNano: PriorityIndex.nano(rank: Int64(rank), trustMilli: trust, thresholdMilli: p.trustThresholdMilli,
                                                               omegaMilli: p.omegaMilli, scaleMilli: p.sigmoidScaleMilli),
                              servedOrder: 0, grantedHz: 0, paid: 0, refunded: 0)
        }
        let order = entries.indices.sorted { a, b in
            entries[a].priorityNano != entries[b].priorityNano ? entries[a].priorityNano > entries[b].priorityNano : entries[a].rank < entries[b].rank
        }
        var events = ["round \(period) closed by \(account.id): \(entries.count) demands"]
        for (served, e) in order.enumerated() {
            let d = openDemands[e]
            var wanted = d.bandwidthHz, budget = d.deposit
            entries[e].servedOrder = Int64(served)
            for o in offers.indices where wanted > 0 {
                let offer = offers[o]
                let start = d.startNs == 0 ? offer.startNs : d.startNs
                let (end, overflow) = start.addingReportingOverflow(d.durationNs)
                guard !offer.released, offer.area == d.area, !overflow, start >= offer.startNs, end <= offer.endNs, end > timeNs else { continue }
                let take = min(wanted, offer.freeHz,
                               Self.affordableHz(tokens: budget, ns: d.durationNs, priceMilli: offer.unitPriceMilli))
                guard take > 0 else { continue }
                let price = Self.cost(hz: take, ns: d.durationNs, priceMilli: offer.unitPriceMilli)
                let low = offer.frequencyLowHz + offer.grantedHz
                let grant = LedgerGrant(id: "\(d.id)@\(offer.id)", holder: d.user, mno: offer.mno, offerID: offer.id, demandID: d.id, period: period,
                                        frequencyLowHz: low, frequencyHighHz: low + take, area: d.area, startNs: start, endNs: end,
                                        pricePaid: price, rules: offer.rules)
                grantIndex[grant.id] = grants.count
                grants.append(grant)
                chains.grants.add { Self.write(grant, &$0) }
                offers[o].grantedHz += take
                wanted -= take
                budget -= price
                accounts[offer.mno]!.balance += price
                entries[e].grantedHz += take
                entries[e].paid += price
                markAccess(offer.mno, period: period)
                events.append("grant \(grant.id): \(grant.frequencyLowHz)–\(grant.frequencyHighHz) Hz to \(d.user) (priority \(Nano(entries[e].priorityNano))), paid \(price) to \(offer.mno)")
            }
            if entries[e].grantedHz > 0 { markAccess(d.user, period: period) }
            accounts[d.user]!.balance += budget
            entries[e].refunded = budget
        }
        openDemands = []
        chains.openDemands = StateChain()
        self.period = period
        let round = Round(period: period, closedBy: account.id, height: height, entries: entries)
        rounds.append(round)
        chains.rounds.add { Self.write(round, &$0) }
        events += recomputeBehaviourTrust()
        return events
    }

    mutating func markAccess(_ id: String, period: Int64) {
        if accounts[id]!.accessedPeriods.last != period { accounts[id]!.accessedPeriods.append(period) }
    }
}

/// Billionths printed as a decimal.
struct Nano: CustomStringConvertible {
    let value: Int64
    init(_ value: Int64) { self.value = value }
    var description: String {
        let fraction = String(value.magnitude % 1_000_000_000)
        return "\(value < 0 ? "-" : "")\(value.magnitude / 1_000_000_000).\(String(repeating: "0", count: 9 - fraction.count))\(fraction)"
    }
}
