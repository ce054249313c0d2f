import HashTreeCollections

/// The derived indexes of the token market (not in snapshots; rebuilt on restore): which
/// tokens are listed and which bids wait, per order book, and which tokens are leased.
struct MarketIndex: Sendable, Equatable {
    /// Book key → listed token ids, in listing order.
    var asks: TreeDictionary<String, [String]> = [:]
    /// Book key → bid ids, in arrival order.
    var bids: TreeDictionary<String, [String]> = [:]
    /// Ids of leased tokens, sorted.
    var leased: [String] = []

    mutating func insertLeased(_ id: String) {
        let i = leased.partitioningIndex { $0 >= id }
        if i == leased.count || leased[i] != id { leased.insert(id, at: i) }
    }

    mutating func removeLeased(_ id: String) {
        let i = leased.partitioningIndex { $0 >= id }
        if i < leased.count, leased[i] == id { leased.remove(at: i) }
    }
}

extension Array {
    /// The first index whose element satisfies `belongs` (which must be false, then true).
    func partitioningIndex(where belongs: (Element) -> Bool) -> Int {
        var lo = 0, hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            if belongs(self[mid]) { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }
}

extension Contract {
    // MARK: Reading rights

    /// A grant or a token's right, as a grant (tokens: their holder now, and the grant period in
    /// progress, the one the next `close_round` ends).
    public func right(_ id: String) -> LedgerGrant? {
        if let g = grantIndex[id] { return grants[g] }
        return tokens[id].map { $0.asGrant(period: period + 1) }
    }

    /// A token by id (for callers that do not import HashTreeCollections).
    public func token(_ id: String) -> SpectrumToken? { tokens[id] }

    /// What the sensing agent enforces: every grant, and every token's right not yet ended.
    public var enforceableGrants: [LedgerGrant] {
        grants + tokens.values.filter { $0.endNs > timeNs }.sorted { $0.id < $1.id }.map { $0.asGrant(period: period + 1) }
    }

    // MARK: Mint, split, merge, transfer

    private func checkNewTokenID(_ id: String, field: String) throws(LedgerError) {
        guard Genesis.isValidID(id) else { throw .invalidField(field: field, problem: "\"\(id)\" is not 1–64 of A–Z a–z 0–9 . _ -") }
        guard !usedTokenIDs.contains(id), bids[id] == nil else { throw .duplicateID(id) }
    }

    /// A token its owner may change now: owned by `account`, not ended, leased, listed or frozen.
    func ownedToken(_ id: String, by account: Account) throws(LedgerError) -> SpectrumToken {
        guard let t = tokens[id] else { throw .unknownToken(id) }
        guard t.owner == account.id else { throw .notOwner(token: id, account: account.id, owner: t.owner) }
        guard t.endNs > timeNs else { throw .tokenUnavailable(token: id, reason: "ended at \(t.endNs) ns") }
        if let lease = t.lease { throw .tokenUnavailable(token: id, reason: "is leased to \(lease.lessee) until \(lease.endNs) ns") }
        guard t.ask == nil else { throw .tokenUnavailable(token: id, reason: "is listed; cancel its ask first") }
        guard t.frozenUntilHeight <= height else { throw .tokenUnavailable(token: id, reason: "is frozen until height \(t.frozenUntilHeight)") }
        return t
    }

    mutating func addToken(_ token: SpectrumToken) {
        tokens[token.id] = token
        usedTokenIDs.insert(token.id)
        usedTokenOrder.append(token.id)
        chains.tokenIDs.add(Array(token.id.utf8))
    }

    /// An MNO tokenizes `bandwidthHz` from the top of its offer's free band, for the offer's
    /// whole window; the offer's deposit, already locked, backs it.
    mutating func mint(_ account: Account, id: String, offerID: String, bandwidthHz: Int64) throws(LedgerError) -> [String] {
        try Self.require(account, [.mno])
        try checkNewTokenID(id, field: "id")
        guard let o = offerIndex[offerID] else { throw .invalidField(field: "offer_id", problem: "no offer \(offerID)") }
        let offer = offers[o]
        guard offer.mno == account.id else { throw .invalidField(field: "offer_id", problem: "\(offerID) is \(offer.mno)'s, not \(account.id)'s") }
        guard !offer.released, offer.endNs > timeNs else { throw .invalidField(field: "offer_id", problem: "\(offerID) has ended") }
        try Self.positive(bandwidthHz, "bandwidth_hz")
        guard bandwidthHz <= offer.freeHz else {
            throw .invalidField(field: "bandwidth_hz", problem: "\(bandwidthHz) Hz is more than the \(offer.freeHz) Hz of \(offerID) neither granted nor minted")
        }
        let high = offer.frequencyHighHz - offer.tokenizedHz
        offers[o].tokenizedHz += bandwidthHz
        markAccess(account.id, period: period + 1)
        addToken(SpectrumToken(id: id, mno: account.id, offerID: offerID, owner: account.id, area: offer.area, frequencyLowHz: high - bandwidthHz,
                               frequencyHighHz: high, startNs: offer.startNs, endNs: offer.endNs, rules: offer.rules))
        return ["token \(id) minted by \(account.id) from \(offerID): \(high - bandwidthHz)–\(high) Hz in \(offer.area), \(offer.startNs)–\(offer.endNs) ns"]
    }

    /// Splits a token into two that cover it exactly: below and above a frequency, or before
    /// and after a time. The parent's id is retired.
    mutating func split(_ account: Account, tokenID: String, at point: Transaction.SplitPoint, lowID: String, highID: String) throws(LedgerError) -> [String] {
        let t = try ownedToken(tokenID, by: account)
        try checkNewTokenID(lowID, field: "low_id")
        try checkNewTokenID(highID, field: "high_id")
        guard lowID != highID else { throw .invalidField(field: "high_id", problem: "must differ from low_id") }
        var low = t, high = t
        low.id = lowID
        high.id = highID
        switch point {
        case .frequency(let hz):
            guard hz > t.frequencyLowHz, hz < t.frequencyHighHz else {
                throw .invalidField(field: "at_hz", problem: "\(hz) is not inside \(t.frequencyLowHz)–\(t.frequencyHighHz) Hz")
            }
            low.frequencyHighHz = hz
            high.frequencyLowHz = hz
        case .time(let ns):
            guard ns > t.startNs, ns < t.endNs else { throw .invalidField(field: "at_ns", problem: "\(ns) is not inside \(t.startNs)–\(t.endNs) ns") }
            low.endNs = ns
            high.startNs = ns
        }
        tokens[tokenID] = nil
        addToken(low)
        addToken(high)
        return ["token \(tokenID) split by \(account.id) into \(lowID) and \(highID)"]
    }

    /// Joins two adjacent tokens of one owner, minted from the same offer (same MNO, area and
    /// rules): same window and touching bands, or same band and touching windows.
    mutating func merge(_ account: Account, first: String, second: String, id: String) throws(LedgerError) -> [String] {
        guard first != second else { throw .invalidField(field: "second", problem: "must differ from first") }
        let a = try ownedToken(first, by: account), b = try ownedToken(second, by: account)
        try checkNewTokenID(id, field: "id")
        guard a.offerID == b.offerID, a.mno == b.mno, a.area == b.area, a.rules == b.rules else {
            throw .invalidField(field: "second", problem: "\(second) is not from the same offer as \(first)")
        }
        var merged = a
        merged.id = id
        if a.startNs == b.startNs, a.endNs == b.endNs, a.frequencyHighHz == b.frequencyLowHz || b.frequencyHighHz == a.frequencyLowHz {
            merged.frequencyLowHz = min(a.frequencyLowHz, b.frequencyLowHz)
            merged.frequencyHighHz = max(a.frequencyHighHz, b.frequencyHighHz)
        } else if a.frequencyLowHz == b.frequencyLowHz, a.frequencyHighHz == b.frequencyHighHz, a.endNs == b.startNs || b.endNs == a.startNs {
            merged.startNs = min(a.startNs, b.startNs)
            merged.endNs = max(a.endNs, b.endNs)
        } else {
            throw .invalidField(field: "second", problem: "\(first) and \(second) do not touch: they need the same window and adjacent bands, or the same band and adjacent windows")
        }
        merged.lastPriceMilli = a.lastPriceMilli == b.lastPriceMilli ? a.lastPriceMilli : nil
        let recent = a.lastSaleHeight >= b.lastSaleHeight ? a : b
        merged.lastSeller = recent.lastSeller
        merged.lastSaleHeight = recent.lastSaleHeight
        tokens[first] = nil
        tokens[second] = nil
        addToken(merged)
        return ["tokens \(first) and \(second) merged by \(account.id) into \(id): \(merged.frequencyLowHz)–\(merged.frequencyHighHz) Hz, \(merged.startNs)–\(merged.endNs) ns"]
    }

    /// Gives a token to another account (no price: it sets none).
    mutating func transfer(_ account: Account, tokenID: String, to recipient: String) throws(LedgerError) -> [String] {
        _ = try ownedToken(tokenID, by: account)
        guard accounts[recipient] != nil else { throw .unknownAccount(recipient) }
        guard recipient != account.id else { throw .invalidField(field: "to", problem: "is the owner already") }
        tokens[tokenID]!.owner = recipient
        return ["token \(tokenID) transferred by \(account.id) to \(recipient)"]
    }
}
