import Crypto
import Evidence
import Foundation
import Signal

/// Turns one scenario transaction (JSON) into a signed transaction. Missing nonces are the
/// signer's next; with dev signing, missing signatures, keys, seals and evidence signatures
/// come from `DevKeys`. The contract is read (never changed) for those defaults.
struct TransactionBuilder {
    let field: ScenarioField
    let contract: Contract
    let devSign: Bool
    /// Signs with this key when the transaction has no signature.
    var signingKey: Curve25519.Signing.PrivateKey? = nil

    func build() throws(LedgerError) -> SignedTransaction {
        let signer = try field.string("signer"), type = try field.string("type")
        let nonce = try field.optionalInt("nonce").map { UInt64(max(0, $0)) } ?? ((contract.accounts[signer]?.nonce ?? 0) + 1)
        let tx = Transaction(signer: signer, nonce: nonce, body: try body(type: type, signer: signer))
        if field.has("signature") { return SignedTransaction(transaction: tx, signature: try field.bytes("signature")) }
        if let signingKey {
            do { return try tx.signed(by: signingKey) } catch { throw .malformed(problem: "signing: \(error)") }
        }
        guard devSign else { throw field.fail("signature", "is required (or run with --dev-sign)") }
        do { return try tx.signed(by: DevKeys.signing(signer)) } catch { throw .malformed(problem: "signing: \(error)") }
    }

    private func body(type: String, signer: String) throws(LedgerError) -> Transaction.Body {
        let f = field
        switch type {
        case "register":
            let roleName = try f.string("role")
            guard let role = Role(rawValue: roleName) else { throw f.fail("role", "\(roleName) is not one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))") }
            let keys = try Scenario.keys(f, id: signer, devSign: devSign)
            return .register(role: role, signingKey: keys.signing, agreementKey: keys.agreement, deposit: try f.int("deposit"))
        case "top_up": return .topUp(amount: try f.int("amount"))
        case "withdraw": return .withdraw(amount: try f.int("amount"))
        case "offer":
            var nominalPsd: Int64?, tolerance: Int64?
            if f.has("nominal") {
                let n = try f.object("nominal")
                nominalPsd = try n.milli("psd_dbm_per_mhz")
                tolerance = try n.milli("tolerance_db")
            }
            let rules = UsageRules(maxPsdMilliDbmPerMHz: try f.milli("max_psd_dbm_per_mhz"), outOfBandMaxMilliDbmPerMHz: try f.milli("oob_max_psd_dbm_per_mhz"),
                                   maxOccupancyNs: try f.duration("max_occupancy"), nominalPsdMilliDbmPerMHz: nominalPsd, nominalToleranceMilliDB: tolerance)
            return .offer(OfferRequest(id: try f.string("id"), frequencyLowHz: try f.int("freq_low_hz"), frequencyHighHz: try f.int("freq_high_hz"),
                                       area: try f.string("area"), startNs: try f.time("start"), endNs: try f.time("end"),
                                       unitPriceMilli: try f.int("unit_price_milli"), deposit: try f.int("deposit"), rules: rules))
        case "demand":
            return .demand(DemandRequest(id: try f.string("id"), bandwidthHz: try f.int("bandwidth_hz"), durationNs: try f.duration("duration"),
                                         area: try f.string("area"), startNs: try f.optionalTime("start") ?? 0, deposit: try f.int("deposit")))
        case "close_round": return .closeRound
        case "authorize": return try authorize(signer: signer)
        case "evidence": return try evidence(signer: signer)
        case "vote":
            let caseID: String
            if let index = try f.optionalInt("case_index") {
                // An index past the cases so far names no case: the contract rejects the vote.
                caseID = index >= 0 && index < contract.cases.count ? contract.cases[Int(index)].id : "case_index \(index)"
            } else {
                caseID = try f.string("case")
            }
            return .vote(caseID: caseID, guilty: try f.bool("guilty"))
        case "equivocation": return try equivocation()
        case "mint": return .mint(id: try f.string("id"), offerID: try f.string("offer_id"), bandwidthHz: try f.int("bandwidth_hz"))
        case "split":
            let at: Transaction.SplitPoint
            if f.has("at_hz") { at = .frequency(Hz: try f.int("at_hz")) } else if f.has("at") || f.has("at_ns") { at = .time(ns: try f.time("at")) } else {
                throw f.fail("at_hz", "is required (or at / at_ns, a time)")
            }
            return .split(tokenID: try f.string("token_id"), at: at, lowID: try f.string("low_id"), highID: try f.string("high_id"))
        case "merge": return .merge(first: try f.string("first"), second: try f.string("second"), id: try f.string("id"))
        case "transfer": return .transfer(tokenID: try f.string("token_id"), to: try f.string("to"))
        case "ask":
            return .ask(AskRequest(tokenID: try f.string("token_id"), priceMilli: try f.int("price_milli"), mode: try mode(),
                                   leaseEndNs: try f.optionalTime("lease_end"), streamed: f.has("streamed") ? try f.bool("streamed") : false))
        case "bid":
            let product = Product(area: try f.string("area"), frequencyLowHz: try f.int("freq_low_hz"), frequencyHighHz: try f.int("freq_high_hz"),
                                  startNs: try f.time("start"), endNs: try f.time("end"))
            return .bid(BidRequest(id: try f.string("id"), product: product, mode: try mode(), maxPriceMilli: try f.int("max_price_milli"),
                                   streamed: f.has("streamed") ? try f.bool("streamed") : false))
        case "cancel": return .cancel(orderID: try f.string("order_id"))
        default:
            throw f.fail("type", "\(type) is not one of \(Self.types.joined(separator: ", "))")
        }
    }

    /// Every transaction type a scenario can name.
    static let types = ["register", "top_up", "withdraw", "offer", "demand", "close_round", "authorize", "evidence", "vote", "equivocation",
                        "mint", "split", "merge", "transfer", "ask", "bid", "cancel"]

    private func mode() throws(LedgerError) -> TradeMode {
        let name = try field.optionalString("mode") ?? "purchase"
        guard let mode = TradeMode(rawValue: name) else { throw field.fail("mode", "\(name) is not purchase or lease") }
        return mode
    }

    private func authorize(signer: String) throws(LedgerError) -> Transaction.Body {
        let grantID = try field.string("grant_id")
        if field.has("sealed") {
            let s = try field.object("sealed")
            return .authorize(grantID: grantID, sealed: SealedAuthorization(encapsulatedKey: try s.bytes("encapsulated_key"),
                                                                           ciphertext: try s.bytes("ciphertext"), signature: try s.bytes("signature")))
        }
        guard devSign else { throw field.fail("sealed", "is required (or run with --dev-sign)") }
        guard let g = contract.grants.first(where: { $0.id == grantID }), let holder = contract.accounts[g.holder],
              let key = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: holder.agreementKey) else {
            throw field.fail("grant_id", "no grant \(grantID) with a registered holder to seal for")
        }
        do {
            return .authorize(grantID: grantID, sealed: try SealedAuthorization.seal(AuthorizationMessage(grant: g, note: try field.optionalString("note") ?? ""),
                                                                                    to: key, signedBy: DevKeys.signing(signer)))
        } catch let error as LedgerError { throw error } catch { throw .malformed(problem: "sealing: \(error)") }
    }

    private func evidence(signer: String) throws(LedgerError) -> Transaction.Body {
        if field.has("record_hex") {
            return .evidence(record: try field.bytes("record_hex"), signature: try field.bytes("record_signature", count: 64))
        }
        guard devSign else { throw field.fail("record_hex", "is required (or a record object, with --dev-sign)") }
        let r = try field.object("record")
        let grantID = try r.string("grant_id"), kind = try r.string("kind")
        let grant = contract.right(grantID)
        let suspect = try r.optionalString("suspect") ?? (kind == "degradation" ? grant?.mno : grant?.holder) ?? ""
        let record = EvidenceRecord(
            sensorID: signer, grantID: grantID, kind: kind, rule: try r.optionalString("rule") ?? kind, suspect: suspect,
            startNs: try r.time("start"), endNs: try r.time("end"), centerHz: try r.optionalInt("center_hz") ?? 0,
            sampleRateMilliHz: try r.optionalInt("sample_rate_milli_hz") ?? 0, unit: try r.optionalString("unit") ?? "dBm/MHz",
            measuredMilli: r.has("measured") ? try r.milli("measured") : 0, limitMilli: r.has("limit") ? try r.milli("limit") : nil,
            marginMilliDB: r.has("margin_db") ? try r.milli("margin_db") : nil, noiseFloorMilliDBFS: 0, fftSize: 1024,
            calibrationID: "none", calibrationOffsetMilliDB: 0, location: try r.optionalString("location") ?? "",
            excerptSHA256: r.has("excerpt_sha256") ? try r.bytes("excerpt_sha256", count: 32) : Array(SHA256.hash(data: Data("\(grantID) \(kind)".utf8))),
            nonce: Array(SHA256.hash(data: Data("nonce \(r.path) \(try r.optionalString("nonce") ?? "")".utf8)).prefix(16)))
        let bytes = record.canonicalBytes
        do { return .evidence(record: bytes, signature: Array(try DevKeys.signing(signer).signature(for: bytes))) } catch {
            throw .malformed(problem: "signing evidence: \(error)")
        }
    }

    private func equivocation() throws(LedgerError) -> Transaction.Body {
        let f = field
        let stepName = try f.string("step")
        guard let step: ConsensusVote.Step = stepName == "prevote" ? .prevote : stepName == "precommit" ? .precommit : nil else {
            throw f.fail("step", "must be prevote or precommit")
        }
        let validator = try f.string("validator"), height = try f.int("height"), round = try f.int("round")
        let hashes = try f.array("block_hashes")
        guard hashes.count == 2 else { throw f.fail("block_hashes", "must hold two hashes") }
        var votes: [SignedVote] = []
        for (n, h) in hashes.enumerated() {
            guard let text = h.stringValue, let hash = unhex(text) else { throw f.fail("block_hashes[\(n)]", "must be hex") }
            let vote = ConsensusVote(step: step, height: height, round: round, blockHash: Array(hash), validator: validator)
            if f.has("signatures") {
                let sigs = try f.array("signatures")
                guard n < sigs.count, let s = sigs[n].stringValue, let sig = unhex(s) else { throw f.fail("signatures[\(n)]", "must be hex") }
                votes.append(SignedVote(vote: vote, signature: Array(sig)))
            } else {
                guard devSign else { throw f.fail("signatures", "are required (or run with --dev-sign)") }
                do { votes.append(SignedVote(vote: vote, signature: Array(try DevKeys.signing(validator).signature(for: vote.canonicalBytes)))) } catch {
                    throw .malformed(problem: "signing vote: \(error)")
                }
            }
        }
        return .equivocation(first: votes[0], second: votes[1])
    }
}
