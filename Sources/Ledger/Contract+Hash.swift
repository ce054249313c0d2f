import Crypto
import Evidence

extension Contract {
    /// Every part of the state in a fixed binary layout, maps in key order: two contracts with
    /// equal bytes are the same state. Its SHA-256 is what nodes compare (the app hash).
    public var canonicalState: [UInt8] {
        var w = CanonicalWriter()
        for b in "TBST".utf8 { w.u8(b) }
        w.u16(1)
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
            for v in [o.frequencyLowHz, o.frequencyHighHz, o.startNs, o.endNs, o.unitPriceMilli, o.deposit, o.grantedHz] { w.i64(v) }
            w.bool(o.released)
            write(o.rules, &w)
        }
        w.u64(UInt64(openDemands.count))
        for d in openDemands {
            w.string(d.id); w.string(d.user); w.string(d.area)
            for v in [d.bandwidthHz, d.durationNs, d.startNs, d.deposit] { w.i64(v) }
        }
        w.u64(UInt64(demandIDs.count))
        for id in demandIDs.sorted() { w.string(id) }
        w.u64(UInt64(grants.count))
        for g in grants {
            for s in [g.id, g.holder, g.mno, g.offerID, g.demandID, g.area] { w.string(s) }
            for v in [g.period, g.frequencyLowHz, g.frequencyHighHz, g.startNs, g.endNs, g.pricePaid] { w.i64(v) }
            write(g.rules, &w)
        }
        w.u64(UInt64(rounds.count))
        for r in rounds {
            w.i64(r.period); w.string(r.closedBy); w.i64(r.height)
            w.u64(UInt64(r.entries.count))
            for e in r.entries {
                w.string(e.demandID); w.string(e.user)
                for v in [e.rank, e.trustMilli, e.priorityNano, e.servedOrder, e.grantedHz, e.paid, e.refunded] { w.i64(v) }
            }
        }
        w.u64(UInt64(cases.count))
        for c in cases {
            for s in [c.id, c.grantID, c.kind, c.rule, c.suspect, c.reporter, c.harmedParty, c.verdict.rawValue] { w.string(s) }
            for v in [c.startNs, c.endNs, c.openedHeight, c.deadlineHeight, c.penalty, c.paidToReporter, c.paidToHarmed] { w.i64(v) }
            w.optional(c.decidedHeight)
            w.u64(UInt64(c.validators.count))
            for v in c.validators { w.string(v.id); w.i64(v.power) }
            w.u64(UInt64(c.votes.count))
            for v in c.votes { w.string(v.validator); w.bool(v.guilty); w.i64(v.power); w.i64(v.height) }
            w.u64(UInt64(c.corroborations.count))
            for r in c.corroborations { w.string(r) }
        }
        w.u64(UInt64(evidence.count))
        for id in evidence.keys.sorted() { w.string(id); w.string(evidence[id]!) }
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
        return w.bytes
    }

    /// SHA-256 of `canonicalState`, hex.
    public var stateHash: String { hex(SHA256.hash(data: canonicalState)) }

    private func write(_ r: UsageRules, _ w: inout CanonicalWriter) {
        w.i64(r.maxPsdMilliDbmPerMHz); w.i64(r.outOfBandMaxMilliDbmPerMHz); w.i64(r.maxOccupancyNs)
        w.optional(r.nominalPsdMilliDbmPerMHz); w.optional(r.nominalToleranceMilliDB)
    }
}
