import Crypto
import Evidence

extension Transaction {
    static let version: UInt16 = 1

    private var bodyCode: UInt8 {
        switch body {
        case .register: return 1
        case .topUp: return 2
        case .withdraw: return 3
        case .offer: return 4
        case .demand: return 5
        case .closeRound: return 6
        case .authorize: return 7
        case .evidence: return 8
        case .vote: return 9
        case .equivocation: return 10
        case .mint: return 11
        case .split: return 12
        case .merge: return 13
        case .transfer: return 14
        case .ask: return 15
        case .bid: return 16
        case .cancel: return 17
        }
    }

    /// The signed bytes: magic `TBTX`, version, body code, signer, nonce, then the body's fields
    /// in a fixed order (integers big-endian, strings and bytes u32-length-prefixed).
    public var canonicalBytes: [UInt8] {
        var w = CanonicalWriter()
        for b in "TBTX".utf8 { w.u8(b) }
        w.u16(Self.version)
        w.u8(bodyCode)
        w.string(signer)
        w.u64(nonce)
        switch body {
        case .register(let role, let signingKey, let agreementKey, let deposit):
            w.u8(role.code); w.data(signingKey); w.data(agreementKey); w.i64(deposit)
        case .topUp(let amount), .withdraw(let amount):
            w.i64(amount)
        case .offer(let o):
            w.string(o.id); w.i64(o.frequencyLowHz); w.i64(o.frequencyHighHz); w.string(o.area); w.i64(o.startNs); w.i64(o.endNs)
            w.i64(o.unitPriceMilli); w.i64(o.deposit)
            w.i64(o.rules.maxPsdMilliDbmPerMHz); w.i64(o.rules.outOfBandMaxMilliDbmPerMHz); w.i64(o.rules.maxOccupancyNs)
            w.optional(o.rules.nominalPsdMilliDbmPerMHz); w.optional(o.rules.nominalToleranceMilliDB)
        case .demand(let d):
            w.string(d.id); w.i64(d.bandwidthHz); w.i64(d.durationNs); w.string(d.area); w.i64(d.startNs); w.i64(d.deposit)
        case .closeRound:
            break
        case .authorize(let grantID, let sealed):
            w.string(grantID); w.data(sealed.encapsulatedKey); w.data(sealed.ciphertext); w.data(sealed.signature)
        case .evidence(let record, let signature):
            w.data(record); w.data(signature)
        case .vote(let caseID, let guilty):
            w.string(caseID); w.bool(guilty)
        case .equivocation(let first, let second):
            for v in [first, second] { w.data(v.vote.canonicalBytes); w.data(v.signature) }
        case .mint(let id, let offerID, let hz):
            w.string(id); w.string(offerID); w.i64(hz)
        case .split(let token, let at, let low, let high):
            w.string(token)
            switch at {
            case .frequency(let hz): w.u8(0); w.i64(hz)
            case .time(let ns): w.u8(1); w.i64(ns)
            }
            w.string(low); w.string(high)
        case .merge(let first, let second, let id):
            w.string(first); w.string(second); w.string(id)
        case .transfer(let token, let to):
            w.string(token); w.string(to)
        case .ask(let a):
            w.string(a.tokenID); w.i64(a.priceMilli); w.u8(a.mode.code); w.optional(a.leaseEndNs); w.bool(a.streamed)
        case .bid(let b):
            w.string(b.id); w.string(b.product.area); w.i64(b.product.frequencyLowHz); w.i64(b.product.frequencyHighHz)
            w.i64(b.product.startNs); w.i64(b.product.endNs); w.u8(b.mode.code); w.i64(b.maxPriceMilli); w.bool(b.streamed)
        case .cancel(let order):
            w.string(order)
        }
        return w.bytes
    }

    private static func mode(_ code: UInt8) throws(LedgerError) -> TradeMode {
        guard let mode = TradeMode.allCases.first(where: { $0.code == code }) else { throw .malformed(problem: "trade mode code \(code)") }
        return mode
    }

    /// Decodes canonical bytes, refusing anything `canonicalBytes` would not have produced.
    public init(canonical bytes: [UInt8]) throws(LedgerError) {
        do {
            var r = CanonicalReader(bytes)
            for b in "TBTX".utf8 where try r.u8("magic") != b { throw LedgerError.malformed(problem: "not a Trustband transaction (magic)") }
            let version = try r.u16("version")
            guard version == Self.version else { throw LedgerError.malformed(problem: "version \(version) is not \(Self.version)") }
            let code = try r.u8("kind")
            let signer = try r.string("signer"), nonce = try r.u64("nonce")
            let body: Body
            switch code {
            case 1:
                let roleCode = try r.u8("role")
                guard let role = Role(code: roleCode) else { throw LedgerError.malformed(problem: "role code \(roleCode)") }
                body = .register(role: role, signingKey: try r.data("signing_key"), agreementKey: try r.data("agreement_key"), deposit: try r.i64("deposit"))
            case 2: body = .topUp(amount: try r.i64("amount"))
            case 3: body = .withdraw(amount: try r.i64("amount"))
            case 4:
                let id = try r.string("id"), low = try r.i64("freq_low_hz"), high = try r.i64("freq_high_hz"), area = try r.string("area")
                let start = try r.i64("start_ns"), end = try r.i64("end_ns"), price = try r.i64("unit_price_milli"), deposit = try r.i64("deposit")
                let rules = UsageRules(maxPsdMilliDbmPerMHz: try r.i64("max_psd"), outOfBandMaxMilliDbmPerMHz: try r.i64("oob_max_psd"),
                                       maxOccupancyNs: try r.i64("max_occupancy_ns"), nominalPsdMilliDbmPerMHz: try r.optional("nominal_psd"),
                                       nominalToleranceMilliDB: try r.optional("nominal_tolerance"))
                body = .offer(OfferRequest(id: id, frequencyLowHz: low, frequencyHighHz: high, area: area, startNs: start, endNs: end,
                                           unitPriceMilli: price, deposit: deposit, rules: rules))
            case 5:
                body = .demand(DemandRequest(id: try r.string("id"), bandwidthHz: try r.i64("bandwidth_hz"), durationNs: try r.i64("duration_ns"),
                                             area: try r.string("area"), startNs: try r.i64("start_ns"), deposit: try r.i64("deposit")))
            case 6: body = .closeRound
            case 7:
                let grant = try r.string("grant_id")
                body = .authorize(grantID: grant, sealed: SealedAuthorization(encapsulatedKey: try r.data("encapsulated_key"),
                                                                             ciphertext: try r.data("ciphertext"), signature: try r.data("signature")))
            case 8: body = .evidence(record: try r.data("record"), signature: try r.data("signature"))
            case 9: body = .vote(caseID: try r.string("case_id"), guilty: try r.bool("guilty"))
            case 10:
                var votes: [SignedVote] = []
                for n in 0..<2 {
                    let vote = try ConsensusVote(canonical: try r.data("vote[\(n)]"))
                    votes.append(SignedVote(vote: vote, signature: try r.data("vote[\(n)].signature")))
                }
                body = .equivocation(first: votes[0], second: votes[1])
            case 11: body = .mint(id: try r.string("id"), offerID: try r.string("offer_id"), bandwidthHz: try r.i64("bandwidth_hz"))
            case 12:
                let token = try r.string("token_id")
                let at: Transaction.SplitPoint
                switch try r.u8("split_kind") {
                case 0: at = .frequency(Hz: try r.i64("at_hz"))
                case 1: at = .time(ns: try r.i64("at_ns"))
                case let k: throw LedgerError.malformed(problem: "split kind \(k)")
                }
                body = .split(tokenID: token, at: at, lowID: try r.string("low_id"), highID: try r.string("high_id"))
            case 13: body = .merge(first: try r.string("first"), second: try r.string("second"), id: try r.string("id"))
            case 14: body = .transfer(tokenID: try r.string("token_id"), to: try r.string("to"))
            case 15:
                let token = try r.string("token_id"), price = try r.i64("price_milli"), mode = try Self.mode(try r.u8("mode"))
                body = .ask(AskRequest(tokenID: token, priceMilli: price, mode: mode, leaseEndNs: try r.optional("lease_end_ns"), streamed: try r.bool("streamed")))
            case 16:
                let id = try r.string("id")
                let product = Product(area: try r.string("area"), frequencyLowHz: try r.i64("freq_low_hz"), frequencyHighHz: try r.i64("freq_high_hz"),
                                      startNs: try r.i64("start_ns"), endNs: try r.i64("end_ns"))
                let mode = try Self.mode(try r.u8("mode"))
                body = .bid(BidRequest(id: id, product: product, mode: mode, maxPriceMilli: try r.i64("max_price_milli"), streamed: try r.bool("streamed")))
            case 17: body = .cancel(orderID: try r.string("order_id"))
            default: throw LedgerError.malformed(problem: "unknown transaction kind \(code)")
            }
            try r.finish()
            self.init(signer: signer, nonce: nonce, body: body)
        } catch let error as LedgerError {
            throw error
        } catch {
            throw .malformed(problem: "\(error)")
        }
    }
}

extension SignedTransaction {
    /// Wire form: the transaction's canonical bytes and the signature, each length-prefixed.
    public var wireBytes: [UInt8] {
        var w = CanonicalWriter()
        w.data(canonicalBytes)
        w.data(signature)
        return w.bytes
    }

    /// The id of the transaction in wire form, read without decoding it (nil if its first
    /// field does not frame; the bytes may still not decode).
    public static func id(ofWire bytes: [UInt8]) -> String? {
        var r = CanonicalReader(bytes)
        guard let canonical = try? r.data("transaction", limit: Self.maxCanonicalBytes) else { return nil }
        return hex(SHA256.hash(data: canonical))
    }

    /// The largest transaction body the wire form takes.
    static let maxCanonicalBytes = 1 << 20

    public init(wire bytes: [UInt8]) throws(LedgerError) {
        var r = CanonicalReader(bytes)
        do {
            let tx = try r.data("transaction", limit: Self.maxCanonicalBytes)
            let signature = try r.data("signature")
            try r.finish()
            self.init(transaction: try Transaction(canonical: tx), canonicalBytes: tx, signature: signature)
        } catch let error as LedgerError {
            throw error
        } catch {
            throw .malformed(problem: "\(error)")
        }
    }
}

extension ConsensusVote {
    public init(canonical bytes: [UInt8]) throws(LedgerError) {
        var r = CanonicalReader(bytes)
        do {
            for b in "TBVO".utf8 where try r.u8("magic") != b { throw LedgerError.malformed(problem: "not a consensus vote") }
            guard try r.u16("version") == 1 else { throw LedgerError.malformed(problem: "vote version") }
            guard let step = Step(rawValue: try r.u8("step")) else { throw LedgerError.malformed(problem: "vote step") }
            self.init(step: step, height: try r.i64("height"), round: try r.i64("round"), blockHash: try r.data("block_hash"),
                      validator: try r.string("validator"))
            try r.finish()
        } catch let error as LedgerError {
            throw error
        } catch {
            throw .malformed(problem: "\(error)")
        }
    }
}
