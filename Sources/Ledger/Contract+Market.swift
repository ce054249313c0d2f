import HashTreeCollections

/// The token market (docs/ledger.md, "Market"): a continuous limit-order book per product
/// (area, band, window) and mode, matched when an order arrives, price then time priority, at
/// the resting order's price.
extension Contract {
    /// What a trade of `product` at `priceMilli` per MHz·s costs.
    public static func value(_ product: Product, priceMilli: Int64) -> Int64 {
        cost(hz: product.frequencyHighHz - product.frequencyLowHz, ns: product.endNs - product.startNs, priceMilli: priceMilli)
    }

    /// What a token's ask sells: its whole right, or for a lease its band up to the lease's end.
    static func product(of token: SpectrumToken, leaseEndNs: Int64?) -> Product {
        Product(area: token.area, frequencyLowHz: token.frequencyLowHz, frequencyHighHz: token.frequencyHighHz, startNs: token.startNs,
                endNs: leaseEndNs ?? token.endNs)
    }

    func collateral(onRent rent: Int64) -> Int64 { Int64((Int128(rent) * Int128(parameters.leaseCollateralPermille) + 999) / 1000) }

    mutating func nextSequence() -> Int64 {
        orderSequence += 1
        return orderSequence
    }

    // MARK: Orders

    mutating func ask(_ account: Account, _ request: AskRequest) throws(LedgerError) -> [String] {
        let token = try ownedToken(request.tokenID, by: account)
        guard request.priceMilli >= 0 else { throw .invalidField(field: "price_milli", problem: "must be ≥ 0") }
        switch request.mode {
        case .purchase:
            guard request.leaseEndNs == nil, !request.streamed else { throw .invalidField(field: "lease_end", problem: "only a lease has an end or streamed rent") }
        case .lease:
            guard let end = request.leaseEndNs else { throw .invalidField(field: "lease_end", problem: "is required for a lease") }
            guard end > max(timeNs, token.startNs), end <= token.endNs else {
                throw .invalidField(field: "lease_end", problem: "\(end) ns is not after now and the token's start, and within its end \(token.endNs) ns")
            }
        }
        let ask = Ask(priceMilli: request.priceMilli, mode: request.mode, leaseEndNs: request.leaseEndNs, streamed: request.streamed,
                      sequence: nextSequence(), forced: false)
        return list(token.id, ask, by: account.id)
    }

    /// Puts an ask on its book, then trades it against the best waiting bid, if any.
    mutating func list(_ tokenID: String, _ ask: Ask, by owner: String) -> [String] {
        tokens[tokenID]!.ask = ask
        let product = Self.product(of: tokens[tokenID]!, leaseEndNs: ask.leaseEndNs), key = product.bookKey(ask.mode)
        market.asks[key, default: []].append(tokenID)
        var events = ["\(owner) asks \(Milli(ask.priceMilli)) per MHz·s to \(ask.mode == .lease ? "lease" : "sell") \(tokenID)\(ask.forced ? " (forced sale)" : "")"]
        let best = (market.bids[key] ?? []).compactMap { bids[$0] }
            .filter { $0.maxPriceMilli >= ask.priceMilli && $0.streamed == ask.streamed && $0.bidder != owner }
            .min { ($1.maxPriceMilli, $0.sequence) < ($0.maxPriceMilli, $1.sequence) }
        if let bid = best { events += settle(tokenID: tokenID, bid: bid, priceMilli: bid.maxPriceMilli) }
        return events
    }

    mutating func bid(_ account: Account, _ request: BidRequest) throws(LedgerError) -> [String] {
        let p = request.product
        guard Genesis.isValidID(request.id) else { throw .invalidField(field: "id", problem: "\"\(request.id)\" is not 1–64 of A–Z a–z 0–9 . _ -") }
        guard bids[request.id] == nil, !usedTokenIDs.contains(request.id) else { throw .duplicateID(request.id) }
        guard !p.area.isEmpty, p.area.utf8.count <= 128 else { throw .invalidField(field: "area", problem: "must be 1–128 bytes") }
        try Self.positive(p.frequencyLowHz, "freq_low_hz")
        guard p.frequencyHighHz > p.frequencyLowHz else { throw .invalidField(field: "freq_high_hz", problem: "\(p.frequencyHighHz) is not above freq_low_hz \(p.frequencyLowHz)") }
        guard p.endNs > p.startNs else { throw .invalidField(field: "end", problem: "\(p.endNs) is not after start \(p.startNs)") }
        guard p.endNs > timeNs else { throw .invalidField(field: "end", problem: "\(p.endNs) ns is already past (block time \(timeNs) ns)") }
        guard request.maxPriceMilli >= 0 else { throw .invalidField(field: "max_price_milli", problem: "must be ≥ 0") }
        guard request.mode == .lease || !request.streamed else { throw .invalidField(field: "streamed", problem: "only a lease streams its rent") }
        let most = Self.value(p, priceMilli: request.maxPriceMilli)
        let escrow = request.mode == .purchase ? most : (request.streamed ? 0 : most) + collateral(onRent: most)
        guard account.balance >= escrow else { throw .insufficientFunds(account: account.id, needed: escrow, available: account.balance) }
        accounts[account.id]!.balance -= escrow
        let bid = Bid(id: request.id, bidder: account.id, product: p, mode: request.mode, maxPriceMilli: request.maxPriceMilli,
                      streamed: request.streamed, escrow: escrow, sequence: nextSequence())
        let key = p.bookKey(request.mode)
        bids[bid.id] = bid
        market.bids[key, default: []].append(bid.id)
        var events = ["bid \(bid.id) by \(account.id): up to \(Milli(bid.maxPriceMilli)) per MHz·s to \(request.mode == .lease ? "lease" : "buy") "
                      + "\(p.frequencyLowHz)–\(p.frequencyHighHz) Hz in \(p.area), \(p.startNs)–\(p.endNs) ns; \(escrow) in escrow"]
        let best = (market.asks[key] ?? []).compactMap { id in tokens[id].flatMap { t in t.ask.map { (t, $0) } } }
            .filter { t, ask in ask.priceMilli <= bid.maxPriceMilli && ask.streamed == bid.streamed && t.owner != account.id && t.endNs > timeNs }
            .min { ($0.1.priceMilli, $0.1.sequence) < ($1.1.priceMilli, $1.1.sequence) }
        if let (token, ask) = best { events += settle(tokenID: token.id, bid: bid, priceMilli: ask.priceMilli) }
        return events
    }

    /// Withdraws an ask (by its token's id) or a bid; a bid's escrow returns to the bidder.
    mutating func cancel(_ account: Account, orderID: String) throws(LedgerError) -> [String] {
        if let bid = bids[orderID] {
            guard bid.bidder == account.id else { throw .invalidField(field: "order_id", problem: "bid \(orderID) is \(bid.bidder)'s") }
            removeBid(bid, refund: bid.escrow)
            return ["bid \(orderID) cancelled by \(account.id); \(bid.escrow) returned"]
        }
        guard let token = tokens[orderID], let ask = token.ask else { throw .unknownOrder(orderID) }
        guard token.owner == account.id else { throw .notOwner(token: orderID, account: account.id, owner: token.owner) }
        guard !ask.forced else { throw .tokenUnavailable(token: orderID, reason: "is in a forced sale; its ask cannot be withdrawn") }
        unlist(orderID)
        return ["ask on \(orderID) withdrawn by \(account.id)"]
    }

    mutating func unlist(_ tokenID: String) {
        guard let token = tokens[tokenID], let ask = token.ask else { return }
        let key = Self.product(of: token, leaseEndNs: ask.leaseEndNs).bookKey(ask.mode)
        market.asks[key]?.removeAll { $0 == tokenID }
        if market.asks[key]?.isEmpty == true { market.asks[key] = nil }
        tokens[tokenID]!.ask = nil
    }

    mutating func removeBid(_ bid: Bid, refund: Int64) {
        let key = bid.product.bookKey(bid.mode)
        market.bids[key]?.removeAll { $0 == bid.id }
        if market.bids[key]?.isEmpty == true { market.bids[key] = nil }
        bids[bid.id] = nil
        accounts[bid.bidder]!.balance += refund
    }

    // MARK: Settlement

    /// Trades a listed token against a bid at `priceMilli`: a purchase moves ownership and
    /// pays the seller; a lease lends the use, takes the lessee's collateral and the rent (up
    /// front, or streamed block by block).
    mutating func settle(tokenID: String, bid: Bid, priceMilli: Int64) -> [String] {
        let token = tokens[tokenID]!, ask = token.ask!, seller = token.owner, buyer = bid.bidder
        let value = Self.value(bid.product, priceMilli: priceMilli)
        unlist(tokenID)
        var events: [String] = []
        var spent: Int64
        var wash = false
        switch bid.mode {
        case .purchase:
            spent = value
            wash = token.lastSeller == buyer && height - token.lastSaleHeight <= parameters.washWindowBlocks
            let fee = wash ? value * parameters.washFeePermille / 1000 : 0
            treasury += fee
            if ask.forced { accounts[seller]!.deposit += value - fee } else { accounts[seller]!.balance += value - fee }
            tokens[tokenID]!.owner = buyer
            tokens[tokenID]!.lastSeller = seller
            tokens[tokenID]!.lastSaleHeight = height
            if ask.forced { tokens[tokenID]!.frozenUntilHeight = 0 }
            if !wash { tokens[tokenID]!.lastPriceMilli = priceMilli }
            events.append("trade: \(tokenID) sold by \(seller) to \(buyer) at \(Milli(priceMilli)) per MHz·s for \(value)"
                          + (wash ? "; WASH TRADE (bought back within \(parameters.washWindowBlocks) blocks): \(fee) to the treasury, no price set" : ""))
        case .lease:
            let held = collateral(onRent: value), upfront = bid.streamed ? 0 : value
            spent = upfront + held
            accounts[seller]!.balance += upfront
            tokens[tokenID]!.lease = Lease(lessee: buyer, startNs: max(timeNs, token.startNs), endNs: bid.product.endNs, rent: value, paid: upfront,
                                           streamed: bid.streamed, collateral: held)
            market.insertLeased(tokenID)
            events.append("trade: \(tokenID) leased by \(seller) to \(buyer) until \(bid.product.endNs) ns at \(Milli(priceMilli)) per MHz·s, rent \(value) "
                          + (bid.streamed ? "streamed per block" : "paid up front") + ", collateral \(held)")
        }
        removeBid(bid, refund: bid.escrow - spent)
        // Holding a right counts as access in the grant period in progress (the trust formula's N_a).
        markAccess(buyer, period: period + 1)
        let trade = Trade(height: height, tokenID: tokenID, seller: seller, buyer: buyer, mode: bid.mode, priceMilli: priceMilli, value: value, wash: wash)
        trades.append(trade)
        chains.trades.add { Self.write(trade, &$0) }
        return events
    }

    // MARK: Blocks

    /// At the start of a block: streamed rent is paid up to the block's time; a lessee that
    /// cannot pay defaults (its collateral goes to the owner, the use returns to the owner);
    /// leases that have ended return; bids for windows that have passed are refunded.
    mutating func settleMarket() -> [String] {
        var events: [String] = []
        for id in market.leased {
            guard let lease = tokens[id]?.lease else { continue }
            let owner = tokens[id]!.owner
            let span = lease.endNs - lease.startNs
            let elapsed = min(max(timeNs - lease.startNs, 0), span)
            let accrued = span <= 0 ? lease.rent : Int64(Int128(lease.rent) * Int128(elapsed) / Int128(span))
            let due = lease.streamed ? accrued - lease.paid : 0
            if due > 0 {
                if accounts[lease.lessee]!.balance >= due {
                    accounts[lease.lessee]!.balance -= due
                    accounts[owner]!.balance += due
                    tokens[id]!.lease!.paid += due
                } else {
                    accounts[owner]!.balance += lease.collateral
                    endLease(id)
                    events.append("lease of \(id) to \(lease.lessee) DEFAULTED: \(due) rent due, unpaid; collateral \(lease.collateral) to \(owner), the use returns to \(owner)")
                    continue
                }
            }
            if lease.endNs <= timeNs {
                accounts[lease.lessee]!.balance += tokens[id]!.lease!.collateral
                endLease(id)
                events.append("lease of \(id) to \(lease.lessee) ended; the use returns to \(owner)")
            }
        }
        for id in bids.keys.sorted() where bids[id]!.product.endNs <= timeNs {
            let bid = bids[id]!
            removeBid(bid, refund: bid.escrow)
            events.append("bid \(id) expired unfilled; \(bid.escrow) returned to \(bid.bidder)")
        }
        return events
    }

    mutating func endLease(_ id: String) {
        tokens[id]!.lease = nil
        market.removeLeased(id)
    }

    // MARK: Arbitration

    /// A case opened against the holder of a token freezes the token until the case's
    /// deadline: the holder cannot sell or lend it away from the liability.
    mutating func freezeForCase(rightID: String, until deadline: Int64) {
        guard tokens[rightID] != nil else { return }
        tokens[rightID]!.frozenUntilHeight = max(tokens[rightID]!.frozenUntilHeight, deadline + 1)
    }

    /// Takes up to `amount` of a conviction's penalty from the lease collateral the suspect
    /// posted on the right the case is about; returns what it took.
    mutating func takeCollateral(rightID: String, suspect: String, amount: Int64) -> Int64 {
        guard let lease = tokens[rightID]?.lease, lease.lessee == suspect else { return 0 }
        let taken = min(amount, lease.collateral)
        tokens[rightID]!.lease!.collateral -= taken
        return taken
    }

    /// After a conviction: the convict's tokens freeze for `token_freeze_blocks`; if its
    /// deposit no longer covers another penalty, it loses its rights: the uses it leases
    /// return to their owners (its collateral to them) and the tokens it owns are put up for
    /// a forced sale, whose proceeds restore its deposit.
    mutating func sanctionHolder(_ convict: String) -> [String] {
        var events: [String] = []
        let insolvent = accounts[convict]!.deposit < parameters.penaltyFee
        for id in tokens.keys.sorted() {
            guard let t = tokens[id], t.endNs > timeNs, t.holder == convict || t.owner == convict else { continue }
            tokens[id]!.frozenUntilHeight = max(t.frozenUntilHeight, height + parameters.tokenFreezeBlocks)
            guard insolvent else { continue }
            if let lease = t.lease, lease.lessee == convict {
                accounts[t.owner]!.balance += lease.collateral
                endLease(id)
                events.append("\(convict) can no longer cover a penalty: its lease of \(id) ends, collateral \(lease.collateral) to \(t.owner)")
            } else if t.owner == convict, t.lease == nil {
                unlist(id)
                let price = t.lastPriceMilli ?? offers[offerIndex[t.offerID]!].unitPriceMilli
                events += list(id, Ask(priceMilli: price, mode: .purchase, leaseEndNs: nil, streamed: false, sequence: nextSequence(), forced: true), by: convict)
            }
        }
        return events
    }

    /// Escrowed in the market: bids' escrow and leases' collateral.
    var marketEscrow: Int64 {
        bids.values.reduce(0) { $0 + $1.escrow } + market.leased.reduce(0) { $0 + (tokens[$1]?.lease?.collateral ?? 0) }
    }
}
