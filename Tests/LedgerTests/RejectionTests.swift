import Crypto
import Foundation
import Testing
@testable import Evidence
@testable import Ledger

/// Every invalid transaction is rejected with its reason and changes nothing (the state's
/// canonical bytes are identical before and after).
@Suite("Ledger rejections")
struct RejectionTests {
    /// A fixture after one round, with sensor-1 registered and a case open on d2@o1.
    static func ready() -> LedgerFixture {
        var f = LedgerFixture()
        f.standardRound()
        _ = try! f.send("sensor-1", f.evidence(by: "sensor-1", grant: "d2@o1")).get()
        _ = try! f.send("v4", .vote(caseID: f.contract.cases[0].id, guilty: true)).get()
        _ = try! f.send("mno-b", LedgerFixture.register(.mno, "mno-b", deposit: 1_000)).get()
        return f
    }

    enum Expected: Sendable {
        case exactly(LedgerError)
        case matching(String)
    }

    static let cases: [(String, @Sendable (LedgerFixture) -> SignedTransaction, Expected)] = [
        ("bad signature", { f in f.tx("pu-1", .topUp(amount: 1), key: "pu-2") }, .exactly(.badSignature)),
        ("replayed nonce", { f in f.tx("pu-1", .topUp(amount: 1), nonce: 1) }, .exactly(.wrongNonce(account: "pu-1", expected: 3, got: 1))),
        ("nonce from the future", { f in f.tx("pu-1", .topUp(amount: 1), nonce: 7) }, .exactly(.wrongNonce(account: "pu-1", expected: 3, got: 7))),
        ("unregistered signer", { f in f.tx("nobody", .topUp(amount: 1)) }, .exactly(.unknownAccount("nobody"))),
        ("registering twice", { f in f.tx("pu-1", LedgerFixture.register(.pu, "pu-1", deposit: 0), nonce: 1) }, .exactly(.accountExists("pu-1"))),
        ("registering without funds", { f in f.tx("pu-9", LedgerFixture.register(.pu, "pu-9", deposit: 5)) },
         .exactly(.insufficientFunds(account: "pu-9", needed: 5, available: 0))),
        ("wrong role: a user offering spectrum", { f in f.tx("pu-1", LedgerFixture.offer("o9")) },
         .exactly(.wrongRole(account: "pu-1", role: "pu", allowed: "mno"))),
        ("wrong role: an MNO demanding", { f in f.tx("mno-a", LedgerFixture.demand("d9")) },
         .exactly(.wrongRole(account: "mno-a", role: "mno", allowed: "pbs or pu"))),
        ("wrong role: a user closing the round", { f in f.tx("pu-1", .closeRound) },
         .exactly(.wrongRole(account: "pu-1", role: "pu", allowed: "mno or validator"))),
        ("offer deposit too small", { f in f.tx("mno-a", LedgerFixture.offer("o9", deposit: 431)) }, .exactly(.depositTooSmall(required: 432, offered: 431))),
        ("offer beyond the unlocked deposit", { f in f.tx("mno-a", LedgerFixture.offer("o9", deposit: 8_001)) },
         .exactly(.insufficientFunds(account: "mno-a", needed: 8_001, available: 8_000))),
        ("offer id taken", { f in f.tx("mno-a", LedgerFixture.offer("o1")) }, .exactly(.duplicateID("o1"))),
        ("offer with an empty band", { f in f.tx("mno-a", LedgerFixture.offer("o9", bandwidth: 0)) }, .matching("freq_high_hz")),
        ("offer that has ended", { f in f.tx("mno-a", LedgerFixture.offer("o9", start: LedgerFixture.t0 - 7 * 3_600_000_000_000)) }, .matching("already past")),
        ("demand beyond the balance", { f in f.tx("pu-1", LedgerFixture.demand("d9", deposit: 1_000_000)) },
         .exactly(.insufficientFunds(account: "pu-1", needed: 1_000_000, available: 1_640))),
        ("withdrawing what offers lock", { f in f.tx("mno-a", .withdraw(amount: 8_001)) },
         .exactly(.insufficientFunds(account: "mno-a", needed: 8_001, available: 8_000))),
        ("evidence from an account that is not a sensor", { f in f.tx("pu-2", f.evidence(by: "pu-2", grant: "d1@o1")) },
         .exactly(.wrongRole(account: "pu-2", role: "pu", allowed: "sensor"))),
        ("evidence from an unregistered sensor", { f in f.tx("sensor-2", f.evidence(by: "sensor-2", grant: "d1@o1")) },
         .exactly(.unknownAccount("sensor-2"))),
        ("evidence signed by another sensor's key", { f in
            var body = f.evidence(by: "sensor-1", grant: "d1@o1", nonce: 3)
            if case .evidence(let record, _) = body { body = .evidence(record: record, signature: Array(try! DevKeys.signing("sensor-2").signature(for: record))) }
            return f.tx("sensor-1", body)
        }, .matching("signature")),
        ("evidence about a grant that does not exist", { f in f.tx("sensor-1", f.evidence(by: "sensor-1", grant: "nope", suspect: "pu-1")) },
         .exactly(.unknownGrant("nope"))),
        ("evidence naming the wrong suspect", { f in f.tx("sensor-1", f.evidence(by: "sensor-1", grant: "d1@o1", suspect: "pu-2")) }, .matching("suspect")),
        ("the same evidence record twice", { f in f.tx("sensor-1", f.evidence(by: "sensor-1", grant: "d2@o1")) }, .matching("already on the ledger")),
        ("vote by a non-validator", { f in f.tx("pu-2", .vote(caseID: f.contract.cases[0].id, guilty: false)) }, .matching("not in the case's validator set")),
        ("double vote", { f in f.tx("v4", .vote(caseID: f.contract.cases[0].id, guilty: false)) }, .matching("already voted")),
        ("vote on an unknown case", { f in f.tx("v1", .vote(caseID: "abc", guilty: true)) }, .exactly(.unknownCase("abc"))),
        ("authorization for another MNO's grant", { f in
            f.tx("mno-b", .authorize(grantID: "d1@o1", sealed: SealedAuthorization(encapsulatedKey: Array(repeating: 0, count: 32), ciphertext: [1], signature: [])))
        }, .matching("is mno-a's, not mno-b's")),
    ]

    @Test("Each invalid transaction is rejected with its reason and changes nothing", arguments: cases.indices)
    func rejected(index: Int) {
        let (name, make, expected) = Self.cases[index]
        var f = Self.ready()
        let before = f.contract.canonicalState
        let result = f.contract.apply(make(f))
        let error = result.failure
        switch expected {
        case .exactly(let e): #expect(error == e, "\(name): \(String(describing: error))")
        case .matching(let text): #expect(error.map { "\($0)".contains(text) || String(describing: $0).contains(text) } == true, "\(name): \(String(describing: error))")
        }
        #expect(f.contract.canonicalState == before, "\(name) changed the state")
    }

    @Test("Evidence about an expired grant (past its end plus the grace period) is refused")
    func expiredGrant() {
        var p = LedgerParameters()
        p.evidenceGraceNs = 60_000_000_000
        var f = LedgerFixture(parameters: p)
        f.standardRound()
        f.nextBlock(seconds: 3_600 + 61)  // the 1 h grants ended a minute and a bit ago
        let before = f.contract.canonicalState
        #expect(f.send("sensor-1", f.evidence(by: "sensor-1", grant: "d1@o1")).failure == .expiredGrant(grant: "d1@o1", endedNs: f.contract.grants[1].endNs))
        #expect(f.contract.canonicalState == before)
    }

    @Test("Evidence about a violation a case already covers corroborates it instead of opening a second case")
    func duplicateViolation() throws {
        var f = Self.ready()
        let start = f.contract.cases[0].startNs
        _ = try f.send("sensor-1", f.evidence(by: "sensor-1", grant: "d2@o1", startNs: start + 1_000_000_000, nonce: 5)).get()
        _ = try f.send("sensor-2", LedgerFixture.register(.sensor, "sensor-2", deposit: 0)).get()
        _ = try f.send("sensor-2", f.evidence(by: "sensor-2", grant: "d2@o1", startNs: start + 2_000_000_000)).get()
        #expect(f.contract.cases.count == 1 && f.contract.cases[0].corroborations.count == 2)
        // A later, separate violation of the same grant is a new case.
        _ = try f.send("sensor-2", f.evidence(by: "sensor-2", grant: "d2@o1", startNs: start + 60_000_000_000, nonce: 1)).get()
        #expect(f.contract.cases.count == 2)
    }

    @Test("Malformed bytes are refused with a reason; canonical bytes and the wire form round-trip")
    func canonical() throws {
        let f = Self.ready()
        let signed = f.tx("mno-a", LedgerFixture.offer("o9"))
        #expect(try SignedTransaction(wire: signed.wireBytes) == signed)
        let bytes = signed.transaction.canonicalBytes
        #expect(try Transaction(canonical: bytes) == signed.transaction)
        for cut in [0, 3, 8, bytes.count - 1] {
            #expect(throws: LedgerError.self) { try Transaction(canonical: Array(bytes.prefix(cut))) }
        }
        #expect(throws: LedgerError.self) { try Transaction(canonical: bytes + [0]) }
        var unknown = bytes
        unknown[6] = 99
        #expect(throws: LedgerError.malformed(problem: "unknown transaction kind 99")) { try Transaction(canonical: unknown) }
    }

    @Test("A decoded transaction keeps exactly the bytes it was decoded from: its id and signature are over them, a leading byte-order mark included")
    func decodedBytesAreKept() throws {
        let f = Self.ready()
        // An offer whose area starts with U+FEFF: Foundation's UTF-8 decoding would drop it, and the
        // bytes encoded again would differ from the ones signed.
        let signed = f.tx("mno-a", .offer(OfferRequest(id: "o9", frequencyLowHz: 3_600_000_000, frequencyHighHz: 3_610_000_000, area: "\u{FEFF}cell-7",
                                                          startNs: 1, endNs: 2, unitPriceMilli: 1, deposit: 1, rules: UsageRules(
                                                              maxPsdMilliDbmPerMHz: 0, outOfBandMaxMilliDbmPerMHz: 0, maxOccupancyNs: 1,
                                                              nominalPsdMilliDbmPerMHz: nil, nominalToleranceMilliDB: nil))))
        let decoded = try SignedTransaction(wire: signed.wireBytes)
        #expect(decoded.transaction == signed.transaction)
        #expect(decoded.canonicalBytes == signed.transaction.canonicalBytes)
        #expect(decoded.id == signed.transaction.id)
        #expect(decoded.wireBytes == signed.wireBytes)
        if case .offer(let o) = decoded.transaction.body { #expect(o.area.unicodeScalars.first == "\u{FEFF}") } else { Issue.record("not an offer") }
    }
}
