import Crypto
import Foundation
@testable import Evidence
@testable import Ledger

/// A contract with four validators and funded dev-key accounts, and helpers that sign
/// transactions with the signer's next nonce.
struct LedgerFixture {
    var contract: Contract
    var height: Int64 = 0
    var time: Int64
    /// Proposer of the current block.
    var proposer: String?

    static let t0: Int64 = 1_795_500_000_000_000_000  // 2026-11-24T…Z
    static let minute: Int64 = 60_000_000_000

    init(parameters: LedgerParameters = LedgerParameters(), validatorDeposits: [Int64] = [200, 300, 400, 500],
         funded: [String: Int64] = ["mno-a": 20_000, "mno-b": 20_000, "pu-1": 2_000, "pu-2": 2_000, "pbs-1": 2_000, "sensor-1": 100, "sensor-2": 100]) {
        let validators = validatorDeposits.enumerated().map { n, d in
            Genesis.GenesisAccount(id: "v\(n + 1)", role: .validator, signingKey: Array(DevKeys.signing("v\(n + 1)").publicKey.rawRepresentation),
                                   agreementKey: Array(DevKeys.agreement("v\(n + 1)").publicKey.rawRepresentation), deposit: d, balance: 0)
        }
        let allocations = funded.keys.sorted().map { (Array(DevKeys.signing($0).publicKey.rawRepresentation), funded[$0]!) }
        contract = try! Contract(genesis: Genesis(parameters: parameters, accounts: validators, allocations: allocations, timeNs: Self.t0))
        time = Self.t0
    }

    /// A signed transaction with the signer's next nonce (or `nonce`).
    func tx(_ signer: String, _ body: Transaction.Body, nonce: UInt64? = nil, key: String? = nil) -> SignedTransaction {
        let n = nonce ?? ((contract.accounts[signer]?.nonce ?? 0) + 1)
        return try! Transaction(signer: signer, nonce: n, body: body).signed(by: DevKeys.signing(key ?? signer))
    }

    /// Applies `body` in the current block.
    @discardableResult
    mutating func send(_ signer: String, _ body: Transaction.Body, nonce: UInt64? = nil) -> Result<Receipt, LedgerError> {
        contract.apply(tx(signer, body, nonce: nonce))
    }

    /// Ends the current block and starts the next, `seconds` later.
    @discardableResult
    mutating func nextBlock(seconds: Int64 = 1, proposer next: String? = nil) -> [String] {
        let events = height > 0 ? contract.endBlock(BlockContext(height: height, timeNs: time, proposer: proposer)) : []
        proposer = next
        height += 1
        time += seconds * 1_000_000_000
        contract.beginBlock(BlockContext(height: height, timeNs: time, proposer: proposer))
        return events
    }

    static func register(_ role: Role, _ id: String, deposit: Int64) -> Transaction.Body {
        .register(role: role, signingKey: Array(DevKeys.signing(id).publicKey.rawRepresentation),
                  agreementKey: Array(DevKeys.agreement(id).publicKey.rawRepresentation), deposit: deposit)
    }

    static let rules = UsageRules(maxPsdMilliDbmPerMHz: -30_000, outOfBandMaxMilliDbmPerMHz: -55_000, maxOccupancyNs: 600_000_000_000,
                                  nominalPsdMilliDbmPerMHz: nil, nominalToleranceMilliDB: nil)

    static func offer(_ id: String, low: Int64 = 3_550_000_000, bandwidth: Int64 = 20_000_000, area: String = "cell-17",
                      start: Int64 = t0, hours: Int64 = 6, price: Int64 = 10, deposit: Int64 = 2_000) -> Transaction.Body {
        .offer(OfferRequest(id: id, frequencyLowHz: low, frequencyHighHz: low + bandwidth, area: area, startNs: start,
                            endNs: start + hours * 60 * minute, unitPriceMilli: price, deposit: deposit, rules: rules))
    }

    static func demand(_ id: String, bandwidth: Int64 = 10_000_000, seconds: Int64 = 3600, area: String = "cell-17", deposit: Int64 = 500) -> Transaction.Body {
        .demand(DemandRequest(id: id, bandwidthHz: bandwidth, durationNs: seconds * 1_000_000_000, area: area, startNs: 0, deposit: deposit))
    }

    /// A sensor's signed evidence record about `grant`.
    func evidence(by sensor: String, grant: String, kind: String = "power", rule: String = "max_psd", suspect: String? = nil,
                  startNs: Int64? = nil, nonce: UInt8 = 0) -> Transaction.Body {
        let g = contract.right(grant)
        let start = startNs ?? (g?.startNs ?? Self.t0) + Self.minute
        let record = EvidenceRecord(sensorID: sensor, grantID: grant, kind: kind, rule: rule,
                                    suspect: suspect ?? (kind == "degradation" ? g?.mno : g?.holder) ?? "", startNs: start, endNs: start + 5_000_000_000,
                                    centerHz: 3_560_000_000, sampleRateMilliHz: 2_500_000_000, unit: "dBm/MHz", measuredMilli: -24_000,
                                    limitMilli: -30_000, marginMilliDB: 6_000, noiseFloorMilliDBFS: -90_000, fftSize: 1024, calibrationID: "none",
                                    calibrationOffsetMilliDB: 0, location: "lab", excerptSHA256: Array(repeating: 1, count: 32),
                                    nonce: Array(repeating: nonce, count: 16))
        let bytes = record.canonicalBytes
        return .evidence(record: bytes, signature: Array(try! DevKeys.signing(sensor).signature(for: bytes)))
    }

    /// Registers mno-a, pu-1, pbs-1, pu-2 and sensor-1, posts offer o1 (20 MHz) and three
    /// 10 MHz demands d1 (pu-1), d2 (pbs-1), d3 (pu-2), and closes the round.
    mutating func standardRound() {
        nextBlock()
        for (role, id, deposit) in [(Role.mno, "mno-a", Int64(10_000)), (.pu, "pu-1", 0), (.pbs, "pbs-1", 300), (.pu, "pu-2", 100), (.sensor, "sensor-1", 50)] {
            _ = try! send(id, Self.register(role, id, deposit: deposit)).get()
        }
        nextBlock()
        _ = try! send("mno-a", Self.offer("o1")).get()
        for (user, id) in [("pu-1", "d1"), ("pbs-1", "d2"), ("pu-2", "d3")] { _ = try! send(user, Self.demand(id)).get() }
        nextBlock()
        _ = try! send("v1", .closeRound).get()
        nextBlock()
    }

    var tokenTotal: Int64 {
        let s = contract.supply
        return s.balances + s.deposits + s.escrow + s.treasury + s.allocations
    }
}

extension Result {
    var failure: Failure? { if case .failure(let e) = self { return e } else { return nil } }
    var isSuccess: Bool { if case .success = self { return true } else { return false } }
}
