import HashTreeCollections
import Enforcement
import Signal

extension Contract {
    private static func object(_ entries: [(String, JSONValue)]) -> JSONValue { .object(JSONObject(entries.map { (key: $0.0, value: $0.1) })) }
    private static func decimal(_ milli: Int64) -> JSONValue { .number(Double(milli) / 1000) }

    /// The state as JSON for people and auditors: integers as stored, plus decimal readings
    /// (trust in units, priorities as numbers) beside them.
    public var jsonValue: JSONValue {
        let o = Self.object
        let accountList: [JSONValue] = accounts.keys.sorted().map { id in
            let a = accounts[id]!
            return o([("id", .string(a.id)), ("role", .string(a.role.rawValue)), ("balance", .integer(a.balance)), ("deposit", .integer(a.deposit)),
                      ("locked", .integer(a.locked)), ("registration_deposit", .integer(a.registrationDeposit)),
                      ("trust_milli", .integer(a.trustMilli)), ("trust", Self.decimal(a.trustMilli)), ("nonce", .integer(Int64(a.nonce))),
                      ("accessed_periods", .array(a.accessedPeriods.map { .integer($0) })),
                      ("violation_periods", .array(a.violationPeriods.map { .integer($0) })),
                      ("validator", .bool(validatorSet.contains { $0.id == id }))])
        }
        let offerList: [JSONValue] = offers.map { f in
            o([("id", .string(f.id)), ("mno", .string(f.mno)), ("freq_low_hz", .integer(f.frequencyLowHz)), ("freq_high_hz", .integer(f.frequencyHighHz)),
               ("area", .string(f.area)), ("start_ns", .integer(f.startNs)), ("end_ns", .integer(f.endNs)), ("unit_price_milli", .integer(f.unitPriceMilli)),
               ("deposit", .integer(f.deposit)), ("granted_hz", .integer(f.grantedHz)), ("released", .bool(f.released))])
        }
        let roundList: [JSONValue] = rounds.map { r in
            o([("period", .integer(r.period)), ("closed_by", .string(r.closedBy)), ("height", .integer(r.height)),
               ("entries", .array(r.entries.map { e in
                   o([("demand", .string(e.demandID)), ("user", .string(e.user)), ("rank", .integer(e.rank)), ("trust_milli", .integer(e.trustMilli)),
                      ("priority_nano", .integer(e.priorityNano)), ("priority", .number(Double(e.priorityNano) / 1e9)),
                      ("served_order", .integer(e.servedOrder)), ("granted_hz", .integer(e.grantedHz)), ("paid", .integer(e.paid)),
                      ("refunded", .integer(e.refunded))])
               }))])
        }
        // Each grant in the enforcement grant-file format (`trustband audit --grants` reads it),
        // with where it came from.
        let grantList: [JSONValue] = enforceableGrants.map { g in
            guard case .object(let file) = GrantFile.encode([g.enforcementGrant]), case .array(let items) = file["grants"],
                  case .object(var o) = items.first else { return .null }
            o["offer"] = .string(g.offerID)
            if let token = tokens[g.id] {
                o["token"] = .bool(true)
                o["owner"] = .string(token.owner)
            } else {
                o["demand"] = .string(g.demandID)
            }
            o["period"] = .integer(g.period)
            o["area"] = .string(g.area)
            o["price_paid"] = .integer(g.pricePaid)
            o["authorizations"] = .integer(Int64(authorizations[g.id]?.count ?? 0))
            return .object(o)
        }
        let caseList: [JSONValue] = cases.map { c in
            o([("id", .string(c.id)), ("grant", .string(c.grantID)), ("kind", .string(c.kind)), ("rule", .string(c.rule)),
               ("suspect", .string(c.suspect)), ("reporter", .string(c.reporter)), ("harmed", .string(c.harmedParty)),
               ("start_ns", .integer(c.startNs)), ("end_ns", .integer(c.endNs)), ("opened_height", .integer(c.openedHeight)),
               ("deadline_height", .integer(c.deadlineHeight)), ("verdict", .string(c.verdict.rawValue)),
               ("decided_height", c.decidedHeight.map { .integer($0) } ?? .null), ("total_power", .integer(c.totalPower)),
               ("guilty_power", .integer(c.guiltyPower)), ("votes", .array(c.votes.map { v in
                   o([("validator", .string(v.validator)), ("guilty", .bool(v.guilty)), ("power", .integer(v.power)), ("height", .integer(v.height))])
               })), ("corroborations", .array(c.corroborations.map { .string($0) })),
               ("penalty", .integer(c.penalty)), ("paid_to_reporter", .integer(c.paidToReporter)), ("paid_to_harmed", .integer(c.paidToHarmed))])
        }
        let tokenList: [JSONValue] = tokens.keys.sorted().map { id in
            let t = tokens[id]!
            var entries: [(String, JSONValue)] = [("id", .string(t.id)), ("mno", .string(t.mno)), ("offer", .string(t.offerID)), ("owner", .string(t.owner)),
                                                  ("holder", .string(t.holder)), ("area", .string(t.area)), ("freq_low_hz", .integer(t.frequencyLowHz)),
                                                  ("freq_high_hz", .integer(t.frequencyHighHz)), ("start_ns", .integer(t.startNs)), ("end_ns", .integer(t.endNs)),
                                                  ("frozen_until_height", .integer(t.frozenUntilHeight)),
                                                  ("last_price_milli", t.lastPriceMilli.map { .integer($0) } ?? .null)]
            if let l = t.lease {
                entries.append(("lease", o([("lessee", .string(l.lessee)), ("start_ns", .integer(l.startNs)), ("end_ns", .integer(l.endNs)),
                                            ("rent", .integer(l.rent)), ("paid", .integer(l.paid)), ("streamed", .bool(l.streamed)),
                                            ("collateral", .integer(l.collateral))])))
            }
            if let a = t.ask {
                entries.append(("ask", o([("price_milli", .integer(a.priceMilli)), ("mode", .string(a.mode.rawValue)),
                                          ("lease_end_ns", a.leaseEndNs.map { .integer($0) } ?? .null), ("streamed", .bool(a.streamed)),
                                          ("sequence", .integer(a.sequence)), ("forced", .bool(a.forced))])))
            }
            return o(entries)
        }
        let bidList: [JSONValue] = bids.values.sorted { $0.sequence < $1.sequence }.map { b in
            o([("id", .string(b.id)), ("bidder", .string(b.bidder)), ("mode", .string(b.mode.rawValue)), ("area", .string(b.product.area)),
               ("freq_low_hz", .integer(b.product.frequencyLowHz)), ("freq_high_hz", .integer(b.product.frequencyHighHz)),
               ("start_ns", .integer(b.product.startNs)), ("end_ns", .integer(b.product.endNs)), ("max_price_milli", .integer(b.maxPriceMilli)),
               ("streamed", .bool(b.streamed)), ("escrow", .integer(b.escrow)), ("sequence", .integer(b.sequence))])
        }
        let tradeList: [JSONValue] = trades.suffix(1000).map { t in
            o([("height", .integer(t.height)), ("token", .string(t.tokenID)), ("seller", .string(t.seller)), ("buyer", .string(t.buyer)),
               ("mode", .string(t.mode.rawValue)), ("price_milli", .integer(t.priceMilli)), ("value", .integer(t.value)), ("wash", .bool(t.wash))])
        }
        let s = supply
        return o([("height", .integer(height)), ("time_ns", .integer(timeNs)), ("period", .integer(period)), ("state_hash", .string(stateHash)),
                  ("accounts", .array(accountList)), ("validators", .array(validatorSet.map { o([("id", .string($0.id)), ("power", .integer($0.power))]) })),
                  ("offers", .array(offerList)), ("open_demands", .integer(Int64(openDemands.count))), ("rounds", .array(roundList)),
                  ("grants", .array(grantList)), ("cases", .array(caseList)),
                  ("tokens", .array(tokenList)), ("bids", .array(bidList)), ("trades", .array(tradeList)), ("trade_count", .integer(Int64(trades.count))),
                  ("supply", o([("genesis", .integer(genesisSupply)), ("balances", .integer(s.balances)), ("deposits", .integer(s.deposits)),
                                ("escrow", .integer(s.escrow)), ("treasury", .integer(s.treasury)), ("unclaimed_allocations", .integer(s.allocations)),
                                ("total", .integer(s.balances + s.deposits + s.escrow + s.treasury + s.allocations))]))])
    }
}

extension Scenario.Run {
    /// The contract's state and every transaction's outcome.
    public var jsonValue: JSONValue {
        var root: JSONObject
        if case .object(let state) = contract.jsonValue { root = state } else { root = JSONObject() }
        root["transactions"] = .array(outcomes.map { t in
            var entries: [(key: String, value: JSONValue)] = [("height", .integer(t.height)), ("index", .integer(Int64(t.index))), ("id", .string(t.id)),
                                                              ("type", .string(t.kind)), ("signer", .string(t.signer))]
            switch t.result {
            case .success(let receipt):
                entries += [("status", .string("accepted")), ("events", .array(receipt.events.map { .string($0) }))]
            case .failure(let error):
                entries += [("status", .string("rejected")), ("reason", .string(error.description))]
            }
            return .object(JSONObject(entries))
        })
        root["block_events"] = .array(blockEvents.map { b in
            .object(JSONObject([("height", .integer(b.height)), ("events", .array(b.events.map { .string($0) }))]))
        })
        return .object(root)
    }
}
