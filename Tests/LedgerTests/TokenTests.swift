import Foundation
import HashTreeCollections
import Testing
import Enforcement
import Signal
@testable import Evidence
@testable import Ledger

/// Spectrum tokens: mint, split, merge, transfer, the order book, leases (up front and
/// streamed), default, wash trades, and the interplay with arbitration.
@Suite("Spectrum tokens")
struct TokenTests {
    static let hour: Int64 = 3_600_000_000_000
    static let top: Int64 = 3_570_000_000

    /// mno-a's offer o1 (3.55–3.57 GHz, 6 h from t0, in cell-17) with token t1 minted from
    /// the top 10 MHz; users pu-1, pu-2, pbs-1 and sensor-1 registered.
    static func minted(parameters: LedgerParameters = LedgerParameters()) -> LedgerFixture {
        var f = LedgerFixture(parameters: parameters, funded: ["mno-a": 20_000, "pu-1": 20_000, "pu-2": 20_000, "pbs-1": 20_000, "sensor-1": 100])
        f.nextBlock()
        for (role, id, deposit) in [(Role.mno, "mno-a", Int64(10_000)), (.pu, "pu-1", 200), (.pu, "pu-2", 200), (.pbs, "pbs-1", 300), (.sensor, "sensor-1", 50)] {
            _ = try! f.send(id, LedgerFixture.register(role, id, deposit: deposit)).get()
        }
        f.nextBlock()
        _ = try! f.send("mno-a", LedgerFixture.offer("o1")).get()
        _ = try! f.send("mno-a", .mint(id: "t1", offerID: "o1", bandwidthHz: 10_000_000)).get()
        return f
    }

    static func product(_ t: SpectrumToken, end: Int64? = nil) -> Product {
        Product(area: t.area, frequencyLowHz: t.frequencyLowHz, frequencyHighHz: t.frequencyHighHz, startNs: t.startNs, endNs: end ?? t.endNs)
    }

    @Test("Mint takes the top of the offer's free band for its window; a round then grants only what is left")
    func mintAndRound() throws {
        var f = Self.minted()
        let t = try #require(f.contract.tokens["t1"])
        #expect(t.frequencyLowHz == Self.top - 10_000_000 && t.frequencyHighHz == Self.top && t.owner == "mno-a" && t.holder == "mno-a")
        #expect(t.startNs == LedgerFixture.t0 && t.endNs == LedgerFixture.t0 + 6 * Self.hour && t.rules == LedgerFixture.rules)
        #expect(f.send("mno-a", .mint(id: "t2", offerID: "o1", bandwidthHz: 10_000_001)).failure?.code == "invalid_field")
        #expect(f.send("mno-a", .mint(id: "t1", offerID: "o1", bandwidthHz: 1)).failure == .duplicateID("t1"))
        #expect(f.send("pu-1", .mint(id: "t3", offerID: "o1", bandwidthHz: 1)).failure?.code == "wrong_role")
        _ = try f.send("pu-1", LedgerFixture.demand("d1", bandwidth: 15_000_000, deposit: 1_000)).get()
        f.nextBlock()
        _ = try f.send("v1", .closeRound).get()
        let grant = try #require(f.contract.grants.first)
        #expect(grant.frequencyLowHz == 3_550_000_000 && grant.frequencyHighHz == Self.top - 10_000_000, "the round grants only the unminted 10 MHz")
    }

    @Test("Split by frequency and time covers the parent exactly; merge restores it; ids are never reused")
    func splitAndMerge() throws {
        var f = Self.minted()
        let parent = f.contract.tokens["t1"]!
        _ = try f.send("mno-a", .split(tokenID: "t1", at: .frequency(Hz: Self.top - 4_000_000), lowID: "lo", highID: "hi")).get()
        let lo = f.contract.tokens["lo"]!, hi = f.contract.tokens["hi"]!
        #expect(f.contract.tokens["t1"] == nil)
        #expect(lo.frequencyLowHz == parent.frequencyLowHz && lo.frequencyHighHz == Self.top - 4_000_000 && hi.frequencyLowHz == lo.frequencyHighHz && hi.frequencyHighHz == Self.top)
        let mid = parent.startNs + 2 * Self.hour
        _ = try f.send("mno-a", .split(tokenID: "hi", at: .time(ns: mid), lowID: "hi-a", highID: "hi-b")).get()
        #expect(f.contract.tokens["hi-a"]!.endNs == mid && f.contract.tokens["hi-b"]!.startNs == mid)
        // Points outside, reused ids, and tokens that do not touch are refused.
        #expect(f.send("mno-a", .split(tokenID: "lo", at: .frequency(Hz: lo.frequencyHighHz), lowID: "x", highID: "y")).failure?.code == "invalid_field")
        #expect(f.send("mno-a", .split(tokenID: "lo", at: .time(ns: lo.startNs), lowID: "x", highID: "y")).failure?.code == "invalid_field")
        #expect(f.send("mno-a", .split(tokenID: "lo", at: .time(ns: mid), lowID: "t1", highID: "y")).failure == .duplicateID("t1"))
        #expect(f.send("mno-a", .merge(first: "lo", second: "hi-b", id: "m")).failure?.code == "invalid_field")
        // Merging back in reverse order gives the parent's right again.
        _ = try f.send("mno-a", .merge(first: "hi-b", second: "hi-a", id: "hi2")).get()
        _ = try f.send("mno-a", .merge(first: "lo", second: "hi2", id: "whole")).get()
        let whole = f.contract.tokens["whole"]!
        #expect([whole.frequencyLowHz, whole.frequencyHighHz, whole.startNs, whole.endNs] == [parent.frequencyLowHz, parent.frequencyHighHz, parent.startNs, parent.endNs])
        #expect(f.contract.tokens.count == 1)
    }

    @Test("Only the owner's signature moves a right: a validator or trader acting for it is refused")
    func ownerSignatureRequired() throws {
        var f = Self.minted()
        let before = f.contract.canonicalState
        #expect(f.send("v1", .transfer(tokenID: "t1", to: "v1")).failure == .notOwner(token: "t1", account: "v1", owner: "mno-a"))
        #expect(f.send("pu-1", .split(tokenID: "t1", at: .frequency(Hz: Self.top - 1), lowID: "a", highID: "b")).failure?.code == "not_owner")
        #expect(f.send("pu-1", .ask(AskRequest(tokenID: "t1", priceMilli: 0, mode: .purchase))).failure?.code == "not_owner")
        // A transaction in the owner's name signed by another key does not verify.
        #expect(f.contract.apply(f.tx("mno-a", .transfer(tokenID: "t1", to: "pu-1"), key: "v1")).failure == .badSignature)
        #expect(f.contract.canonicalState == before)
        _ = try f.send("mno-a", .transfer(tokenID: "t1", to: "pu-1")).get()
        #expect(f.contract.tokens["t1"]!.owner == "pu-1")
    }

    @Test("The order book matches price then time, at the resting order's price; escrow is refunded; a trader never meets itself")
    func orderBook() throws {
        var f = Self.minted()
        _ = try f.send("mno-a", .split(tokenID: "t1", at: .frequency(Hz: Self.top - 5_000_000), lowID: "a", highID: "b")).get()
        let a = f.contract.tokens["a"]!
        // Ask first, then two bids: the first bid at or above the ask trades at the ask's price.
        _ = try f.send("mno-a", .ask(AskRequest(tokenID: "a", priceMilli: 10, mode: .purchase))).get()
        let total = f.tokenTotal, balance = f.contract.accounts["pu-1"]!.balance
        let low = try f.send("pu-2", .bid(BidRequest(id: "b-low", product: Self.product(a), mode: .purchase, maxPriceMilli: 9))).get()
        #expect(!low.events.contains { $0.hasPrefix("trade") }, "below the ask: no trade")
        _ = try f.send("pu-1", .bid(BidRequest(id: "b-high", product: Self.product(a), mode: .purchase, maxPriceMilli: 20))).get()
        let value = Contract.value(Self.product(a), priceMilli: 10)
        #expect(value == 5 * 6 * 3_600 * 10 / 1_000)  // 5 MHz × 6 h × 0.010 per MHz·s
        #expect(f.contract.tokens["a"]!.owner == "pu-1" && f.contract.tokens["a"]!.lastPriceMilli == 10)
        #expect(f.contract.accounts["pu-1"]!.balance == balance - value, "paid the ask's price, the rest of the escrow back")
        #expect(f.tokenTotal == total)
        // Bid first, then asks: the best (highest, then earliest) bid trades at its own price.
        let b = f.contract.tokens["b"]!
        _ = try f.send("pbs-1", .bid(BidRequest(id: "b1", product: Self.product(b), mode: .purchase, maxPriceMilli: 12))).get()
        _ = try f.send("pu-1", .bid(BidRequest(id: "b2", product: Self.product(b), mode: .purchase, maxPriceMilli: 15))).get()
        _ = try f.send("pu-2", .bid(BidRequest(id: "b3", product: Self.product(b), mode: .purchase, maxPriceMilli: 15))).get()
        _ = try f.send("mno-a", .ask(AskRequest(tokenID: "b", priceMilli: 11, mode: .purchase))).get()
        #expect(f.contract.tokens["b"]!.owner == "pu-1" && f.contract.trades.last!.priceMilli == 15)
        #expect(f.contract.bids["b2"] == nil && f.contract.bids["b1"] != nil && f.contract.bids["b3"] != nil)
        // pu-1 lists b; its own bid never matches it, pu-2's does.
        _ = try f.send("pu-1", .bid(BidRequest(id: "self", product: Self.product(b), mode: .purchase, maxPriceMilli: 30))).get()
        _ = try f.send("pu-1", .ask(AskRequest(tokenID: "b", priceMilli: 14, mode: .purchase))).get()
        #expect(f.contract.tokens["b"]!.owner == "pu-2", "the best bid but its own was taken: pu-2's at 15")
        #expect(f.tokenTotal == total)
        // Cancelling returns a bid's escrow in full.
        let pbs = f.contract.accounts["pbs-1"]!.balance, escrow = f.contract.bids["b1"]!.escrow
        _ = try f.send("pbs-1", .cancel(orderID: "b1")).get()
        #expect(f.contract.accounts["pbs-1"]!.balance == pbs + escrow)
        #expect(f.send("pbs-1", .cancel(orderID: "b1")).failure == .unknownOrder("b1"))
    }

    @Test("A lease lends the use until its end, then the right returns; the lessee is the grant's holder meanwhile")
    func upfrontLease() throws {
        var f = Self.minted()
        let t = f.contract.tokens["t1"]!, end = t.startNs + Self.hour
        _ = try f.send("mno-a", .ask(AskRequest(tokenID: "t1", priceMilli: 10, mode: .lease, leaseEndNs: end))).get()
        let mno = f.contract.accounts["mno-a"]!.balance, user = f.contract.accounts["pu-1"]!.balance
        _ = try f.send("pu-1", .bid(BidRequest(id: "l1", product: Self.product(t, end: end), mode: .lease, maxPriceMilli: 10))).get()
        let rent = Contract.value(Self.product(t, end: end), priceMilli: 10), collateral = (rent * 200 + 999) / 1000
        let lease = try #require(f.contract.tokens["t1"]!.lease)
        #expect(lease.lessee == "pu-1" && lease.rent == rent && lease.paid == rent && lease.collateral == collateral)
        #expect(f.contract.accounts["mno-a"]!.balance == mno + rent && f.contract.accounts["pu-1"]!.balance == user - rent - collateral)
        #expect(f.contract.right("t1")?.holder == "pu-1" && f.contract.right("t1")?.endNs == end)
        #expect(f.send("mno-a", .transfer(tokenID: "t1", to: "pu-2")).failure?.code == "token_unavailable", "a leased right cannot be moved")
        // The grants the agent enforces name the lessee; the JSON decodes as a grant file.
        let state = f.contract.jsonValue
        guard case .object(let root) = state, let grants = root["grants"] else { Issue.record("no grants"); return }
        let file = try GrantFile.decode(json: Data(try JSONWriter.write(.object(JSONObject([("grants", grants)]))).utf8), path: "state")
        #expect(file.first { $0.id == "t1" }?.holder == "pu-1")
        f.nextBlock(seconds: 3_601)
        #expect(f.contract.tokens["t1"]!.lease == nil && f.contract.right("t1")?.holder == "mno-a")
        #expect(f.contract.accounts["pu-1"]!.balance == user - rent, "collateral returned at the end")
    }

    @Test("Streamed rent is paid block by block; a lessee that cannot pay defaults: its collateral goes to the owner and the use returns")
    func streamedLeaseAndDefault() throws {
        var f = Self.minted()
        let t = f.contract.tokens["t1"]!, end = t.startNs + 4 * Self.hour
        _ = try f.send("mno-a", .ask(AskRequest(tokenID: "t1", priceMilli: 20, mode: .lease, leaseEndNs: end, streamed: true))).get()
        let total = f.tokenTotal
        _ = try f.send("pu-2", .bid(BidRequest(id: "l1", product: Self.product(t, end: end), mode: .lease, maxPriceMilli: 20, streamed: true))).get()
        let lease = try #require(f.contract.tokens["t1"]!.lease)
        #expect(lease.paid == 0 && lease.streamed)
        let mno = f.contract.accounts["mno-a"]!.balance
        f.nextBlock(seconds: 600)
        let paid = f.contract.tokens["t1"]!.lease!.paid
        let expected = Int64(Int128(lease.rent) * Int128(f.time - lease.startNs) / Int128(lease.endNs - lease.startNs))
        #expect(paid == expected && paid > 0 && f.contract.accounts["mno-a"]!.balance == mno + paid)
        #expect(f.tokenTotal == total)
        // pu-2 spends its balance elsewhere (moves it to its deposit) and can no longer pay.
        _ = try f.send("pu-2", .topUp(amount: f.contract.accounts["pu-2"]!.balance)).get()
        let events = f.nextBlock(seconds: 600) + f.contract.beginBlock(BlockContext(height: f.height, timeNs: f.time))
        #expect(f.contract.tokens["t1"]!.lease == nil && f.contract.right("t1")?.holder == "mno-a", "\(events)")
        #expect(f.contract.accounts["mno-a"]!.balance == mno + paid + lease.collateral)
        #expect(f.tokenTotal == total)
    }

    @Test("A round trip between two accounts is a wash trade: flagged, fined, and it sets no price")
    func washTrade() throws {
        var f = Self.minted()
        let t = f.contract.tokens["t1"]!
        _ = try f.send("mno-a", .transfer(tokenID: "t1", to: "pu-1")).get()
        _ = try f.send("pu-1", .ask(AskRequest(tokenID: "t1", priceMilli: 5, mode: .purchase))).get()
        _ = try f.send("pu-2", .bid(BidRequest(id: "w1", product: Self.product(t), mode: .purchase, maxPriceMilli: 5))).get()
        #expect(f.contract.trades.last?.wash == false && f.contract.tokens["t1"]!.lastPriceMilli == 5)
        f.nextBlock()
        // pu-2 sells it straight back to pu-1 at an inflated price.
        _ = try f.send("pu-2", .ask(AskRequest(tokenID: "t1", priceMilli: 9, mode: .purchase))).get()
        let treasury = f.contract.treasury
        _ = try f.send("pu-1", .bid(BidRequest(id: "w2", product: Self.product(t), mode: .purchase, maxPriceMilli: 9))).get()
        let trade = try #require(f.contract.trades.last)
        #expect(trade.wash && trade.buyer == "pu-1" && trade.seller == "pu-2")
        #expect(f.contract.tokens["t1"]!.lastPriceMilli == 5, "the wash trade's price is not the market's")
        #expect(f.contract.treasury == treasury + trade.value / 10)
    }

    @Test("Evidence about a token accuses its holder and freezes it; conviction takes lease collateral first and an insolvent owner's rights go to a forced sale")
    func arbitration() throws {
        var p = LedgerParameters()
        p.penaltyFee = 250
        var f = Self.minted(parameters: p)
        let t = f.contract.tokens["t1"]!, end = t.startNs + 3 * Self.hour
        _ = try f.send("mno-a", .split(tokenID: "t1", at: .frequency(Hz: Self.top - 5_000_000), lowID: "a", highID: "b")).get()
        _ = try f.send("mno-a", .transfer(tokenID: "b", to: "pu-1")).get()
        _ = try f.send("mno-a", .ask(AskRequest(tokenID: "a", priceMilli: 1, mode: .lease, leaseEndNs: end))).get()
        let a = f.contract.tokens["a"]!
        _ = try f.send("pu-1", .bid(BidRequest(id: "l", product: Self.product(a, end: end), mode: .lease, maxPriceMilli: 1))).get()
        let collateral = f.contract.tokens["a"]!.lease!.collateral
        #expect(collateral > 0 && collateral < 250)
        // A violation on a: the case is against its lessee pu-1.
        let receipt = try f.send("sensor-1", f.evidence(by: "sensor-1", grant: "a")).get()
        let c = try #require(f.contract.cases.last)
        #expect(c.suspect == "pu-1" && c.grantID == "a", "\(receipt.events)")
        #expect(f.contract.tokens["a"]!.frozenUntilHeight > f.height)
        let deposit = f.contract.accounts["pu-1"]!.deposit, total = f.tokenTotal
        for v in ["v3", "v4"] { _ = try f.send(v, .vote(caseID: c.id, guilty: true)).get() }
        #expect(f.contract.cases.last!.verdict == .guilty && f.contract.cases.last!.penalty == collateral + min(250 - collateral, deposit))
        #expect(f.contract.accounts["pu-1"]!.deposit == max(0, deposit - (250 - collateral)), "collateral first, then the deposit")
        // pu-1 (deposit 200 − (250 − collateral) < 250) can no longer cover a penalty: its lease ends
        // and its own token b goes to a forced sale; its rights are frozen meanwhile.
        #expect(f.contract.tokens["a"]!.lease == nil)
        let b = f.contract.tokens["b"]!
        #expect(b.ask?.forced == true && b.frozenUntilHeight > f.height)
        #expect(f.send("pu-1", .cancel(orderID: "b")).failure?.code == "token_unavailable")
        #expect(f.tokenTotal == total)
        let price = b.ask!.priceMilli, before = f.contract.accounts["pu-1"]!.deposit
        _ = try f.send("pu-2", .bid(BidRequest(id: "buy", product: Self.product(b), mode: .purchase, maxPriceMilli: price))).get()
        #expect(f.contract.tokens["b"]!.owner == "pu-2" && f.contract.tokens["b"]!.frozenUntilHeight == 0)
        #expect(f.contract.accounts["pu-1"]!.deposit == before + Contract.value(Self.product(b), priceMilli: price), "proceeds restore the deposit")
    }

    @Test("Token transactions survive the canonical encoding and the wire; snapshots with tokens, bids and leases restore to the same state hash")
    func encodingAndSnapshot() throws {
        var f = Self.minted()
        let t = f.contract.tokens["t1"]!
        let bodies: [Transaction.Body] = [
            .mint(id: "x", offerID: "o1", bandwidthHz: 5), .split(tokenID: "t1", at: .time(ns: 7), lowID: "l", highID: "h"),
            .split(tokenID: "t1", at: .frequency(Hz: 9), lowID: "l", highID: "h"), .merge(first: "a", second: "b", id: "c"), .transfer(tokenID: "t1", to: "pu-1"),
            .ask(AskRequest(tokenID: "t1", priceMilli: 3, mode: .lease, leaseEndNs: 99, streamed: true)),
            .bid(BidRequest(id: "b", product: Self.product(t), mode: .purchase, maxPriceMilli: 4)), .cancel(orderID: "b"),
        ]
        for body in bodies {
            let signed = f.tx("mno-a", body)
            #expect(try SignedTransaction(wire: signed.wireBytes) == signed)
            #expect(try Transaction(canonical: signed.canonicalBytes).body == body)
        }
        _ = try f.send("mno-a", .ask(AskRequest(tokenID: "t1", priceMilli: 3, mode: .lease, leaseEndNs: t.startNs + Self.hour, streamed: true))).get()
        _ = try f.send("pu-1", .bid(BidRequest(id: "l", product: Self.product(t, end: t.startNs + Self.hour), mode: .lease, maxPriceMilli: 3, streamed: true))).get()
        _ = try f.send("pu-2", .bid(BidRequest(id: "open", product: Self.product(t), mode: .purchase, maxPriceMilli: 1))).get()
        let restored = try Contract.restore(snapshot: try f.contract.snapshot(), stateHash: f.contract.stateHash)
        #expect(restored.canonicalState == f.contract.canonicalState)
        var a = f.contract, b = restored
        let context = BlockContext(height: f.height + 1, timeNs: f.time + 1_800_000_000_000)
        #expect(a.beginBlock(context) == b.beginBlock(context))
        #expect(a.stateHash == b.stateHash, "the restored market index streams the same rent")
    }
}
