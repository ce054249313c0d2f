import ArgumentParser
import Crypto
import Evidence
import Foundation
import Ledger

/// `trustband bench contract`: time to apply each kind of transaction (signature check
/// included), median and p99, beside the signature check alone and OpenSSL's Ed25519
/// verification on this machine.
struct ContractBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contract", abstract: "Per-transaction apply time by kind (median, p99) beside `openssl speed ed25519` verify time.")

    @Option(help: "Transactions per kind.")
    var count = 500

    @Option(help: "Demands in each measured round close.")
    var demandsPerRound = 100

    func run() throws {
        try reportingErrors {
            #if DEBUG
            print("warning: debug build; run `swift run -c release trustband bench contract` for real figures\n")
            #endif
            let result = try ContractWorkload(count: count, demandsPerRound: demandsPerRound).run()
            print("contract apply time per transaction (signature verification included), single thread")
            print("kind            count    median µs    p99 µs    tx/s (mean)   signature check alone, median µs")
            for (kind, samples, verify) in result {
                let sorted = samples.sorted(), checks = verify.sorted(), mean = samples.reduce(0, +) / Double(samples.count)
                print(String(format: "%@ %7d %12.1f %9.1f %12.0f %14.1f", kind.padding(toLength: 14, withPad: " ", startingAt: 0), sorted.count,
                             sorted[sorted.count / 2], sorted[min(sorted.count - 1, sorted.count * 99 / 100)], 1e6 / mean, checks[checks.count / 2]))
            }
            let tokenKinds = ["mint", "split", "transfer", "ask", "bid (trades)"]
            let tokenSamples = result.filter { tokenKinds.contains($0.0) }.flatMap(\.1), checks = result.flatMap(\.2).sorted()
            let tokenRate = Double(tokenSamples.count) / (tokenSamples.reduce(0, +) / 1e6)
            print(String(format: "\ntoken transactions (mint, split, transfer, ask, bid): %.0f tx/s on one core, signature check included; "
                         + "the Ed25519 check alone (libsodium, as apply runs it, this run): %.0f /s; ratio %.2f", tokenRate, 1e6 / checks[checks.count / 2],
                         tokenRate / (1e6 / checks[checks.count / 2])))
            if let verify = Self.opensslVerifyMicroseconds() {
                let demand = result.first { $0.0 == "demand" }!.1.sorted()
                print(String(format: "\npeer: openssl speed ed25519: %.1f µs per verify; demand (askForSpectrum) median = %.2f × one verify; paper's figure 250 µs",
                             verify, demand[demand.count / 2] / verify))
            } else {
                print("\npeer: openssl not found; install openssl for the side-by-side figure")
            }
        }
    }

    /// Microseconds per Ed25519 verification from `openssl speed -seconds 1 ed25519`.
    static func opensslVerifyMicroseconds() -> Double? {
        guard let text = SignalFreeProcess.output(of: ["/usr/bin/timeout", "60", "/usr/bin/openssl", "speed", "-seconds", "1", "ed25519"]),
              let line = text.split(separator: "\n").first(where: { $0.contains("Ed25519") }),
              let perSecond = line.split(separator: " ").last.flatMap({ Double($0) }), perSecond > 0 else { return nil }
        return 1e6 / perSecond
    }
}

/// A populated contract and pre-signed transactions of every kind (signing and sealing are
/// not timed; applying is).
struct ContractWorkload {
    let count: Int
    let demandsPerRound: Int

    /// Per kind: apply times, and times of the transaction's signature check alone (µs).
    func run() throws -> [(String, [Double], [Double])] {
        let t0: Int64 = 1_795_500_000_000_000_000
        let users = (0..<(2 * count)).map { "u\($0)" }, mnos = (0..<20).map { "m\($0)" }, sensors = (0..<10).map { "s\($0)" }
        let validators = (1...4).map { id in
            Genesis.GenesisAccount(id: "v\(id)", role: .validator, signingKey: Array(DevKeys.signing("v\(id)").publicKey.rawRepresentation),
                                   agreementKey: Array(DevKeys.agreement("v\(id)").publicKey.rawRepresentation), deposit: 500, balance: 0)
        }
        let allocations = (users + mnos + sensors).map { (Array(DevKeys.signing($0).publicKey.rawRepresentation), Int64(1_000_000)) }
        var contract = try Contract(genesis: Genesis(accounts: validators, allocations: allocations, timeNs: t0))
        var nonces: [String: UInt64] = [:]
        var height: Int64 = 1
        contract.beginBlock(BlockContext(height: height, timeNs: t0))
        func tx(_ signer: String, _ body: Transaction.Body) throws -> SignedTransaction {
            nonces[signer, default: 0] += 1
            return try Transaction(signer: signer, nonce: nonces[signer]!, body: body).signed(by: DevKeys.signing(signer))
        }
        var timings: [(String, [Double], [Double])] = []
        let clock = ContinuousClock()
        func microseconds(_ d: Duration) -> Double { Double(d.components.attoseconds) / 1e12 + Double(d.components.seconds) * 1e6 }
        func measure(_ kind: String, _ txs: [SignedTransaction]) throws {
            var samples: [Double] = [], checks: [Double] = []
            for t in txs {
                // The signature check alone first, as apply runs it (libsodium; register's key is in
                // its body), then the whole apply.
                var signingKey = contract.accounts[t.transaction.signer]?.signingKey ?? []
                if case .register(_, let key, _, _) = t.transaction.body { signingKey = key }
                let bytes = t.canonicalBytes
                let checkStart = clock.now
                guard Ed25519Verification.isValid(t.signature, of: bytes, publicKey: signingKey) else { throw UserFacingError(message: "bench: bad signature") }
                checks.append(microseconds(checkStart.duration(to: clock.now)))
                let start = clock.now
                let result = contract.apply(t)
                let elapsed = start.duration(to: clock.now)
                if case .failure(let error) = result { throw UserFacingError(message: "bench \(kind) rejected: \(error)") }
                samples.append(microseconds(elapsed))
            }
            if let index = timings.firstIndex(where: { $0.0 == kind }) {
                timings[index].1 += samples
                timings[index].2 += checks
            } else {
                timings.append((kind, samples, checks))
            }
        }
        func register(_ id: String, _ role: Role, _ deposit: Int64) throws -> SignedTransaction {
            try tx(id, .register(role: role, signingKey: Array(DevKeys.signing(id).publicKey.rawRepresentation),
                                 agreementKey: Array(DevKeys.agreement(id).publicKey.rawRepresentation), deposit: deposit))
        }
        try measure("register", try users.map { try register($0, .pu, 100) })
        for m in mnos { _ = contract.apply(try register(m, .mno, 500_000)) }
        for s in sensors { _ = contract.apply(try register(s, .sensor, 10)) }
        try measure("top_up", try users.prefix(count).map { try tx($0, .topUp(amount: 10)) })
        try measure("withdraw", try users.prefix(count).map { try tx($0, .withdraw(amount: 5)) })
        let rules = UsageRules(maxPsdMilliDbmPerMHz: -30_000, outOfBandMaxMilliDbmPerMHz: -55_000, maxOccupancyNs: 600_000_000_000,
                               nominalPsdMilliDbmPerMHz: nil, nominalToleranceMilliDB: nil)
        try measure("offer", try (0..<count).map { n in
            try tx(mnos[n % mnos.count], .offer(OfferRequest(id: "o\(n)", frequencyLowHz: 3_400_000_000 + Int64(n % 50) * 4_000_000, frequencyHighHz: 3_404_000_000 + Int64(n % 50) * 4_000_000,
                                                            area: "cell-\(n % 10)", startNs: t0, endNs: t0 + 36_000_000_000_000, unitPriceMilli: 10,
                                                            deposit: 1_000, rules: rules)))
        })
        // Rounds: demands (askForSpectrum) then the close that distributes them.
        var demandNumber = 0
        for _ in 0..<max(1, count / demandsPerRound) {
            try measure("demand", try (0..<demandsPerRound).map { _ in
                demandNumber += 1
                return try tx(users[demandNumber % users.count], .demand(DemandRequest(id: "d\(demandNumber)", bandwidthHz: 1_000_000, durationNs: 3_600_000_000_000,
                                                                                       area: "cell-\(demandNumber % 10)", startNs: 0, deposit: 100)))
            })
            try measure("close_round", [try tx("v1", .closeRound)])
        }
        let grants = contract.grants
        try measure("authorize", try grants.prefix(count).map { g in
            let holder = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: contract.accounts[g.holder]!.agreementKey)
            return try tx(g.mno, .authorize(grantID: g.id, sealed: try SealedAuthorization.seal(AuthorizationMessage(grant: g), to: holder,
                                                                                               signedBy: DevKeys.signing(g.mno))))
        })
        try measure("evidence", try grants.prefix(count).enumerated().map { n, g in
            let sensor = sensors[n % sensors.count]
            let record = EvidenceRecordFactory.record(sensor: sensor, grant: g, n: n)
            return try tx(sensor, .evidence(record: record, signature: Array(try DevKeys.signing(sensor).signature(for: record))))
        })
        height += 1
        contract.beginBlock(BlockContext(height: height, timeNs: t0 + 1_000_000_000))
        try measure("vote", try contract.cases.prefix(count).map { try tx("v\(1 + $0.id.utf8.first! % 2)", .vote(caseID: $0.id, guilty: true)) })
        try measure("equivocation", try (0..<count).map { n in
            let v = "v\(1 + n % 4)"
            func vote(_ h: UInt8) throws -> SignedVote {
                let vote = ConsensusVote(step: .prevote, height: Int64(n), round: 0, blockHash: Array(repeating: h, count: 32), validator: v)
                return SignedVote(vote: vote, signature: Array(try DevKeys.signing(v).signature(for: vote.canonicalBytes)))
            }
            return try tx("s0", .equivocation(first: try vote(1), second: try vote(2)))
        })
        // Spectrum tokens: fresh offers (not timed), then mint, split, transfer, ask, and a bid
        // that trades against the ask.
        for n in 0..<count {
            _ = contract.apply(try tx(mnos[n % mnos.count], .offer(OfferRequest(id: "to\(n)", frequencyLowHz: 3_700_000_000 + Int64(n % 50) * 4_000_000,
                                                                             frequencyHighHz: 3_704_000_000 + Int64(n % 50) * 4_000_000, area: "cell-\(n % 10)",
                                                                             startNs: t0, endNs: t0 + 36_000_000_000_000, unitPriceMilli: 10, deposit: 1_000, rules: rules))))
        }
        try measure("mint", try (0..<count).map { n in try tx(mnos[n % mnos.count], .mint(id: "k\(n)", offerID: "to\(n)", bandwidthHz: 4_000_000)) })
        try measure("split", try (0..<count).map { n in
            try tx(mnos[n % mnos.count], .split(tokenID: "k\(n)", at: .frequency(Hz: 3_702_000_000 + Int64(n % 50) * 4_000_000), lowID: "k\(n)a", highID: "k\(n)b"))
        })
        try measure("transfer", try (0..<count).map { n in try tx(mnos[n % mnos.count], .transfer(tokenID: "k\(n)a", to: users[n])) })
        try measure("ask", try (0..<count).map { n in try tx(mnos[n % mnos.count], .ask(AskRequest(tokenID: "k\(n)b", priceMilli: 10, mode: .purchase))) })
        try measure("bid (trades)", try (0..<count).map { n in
            let t = contract.token("k\(n)b")!
            let product = Product(area: t.area, frequencyLowHz: t.frequencyLowHz, frequencyHighHz: t.frequencyHighHz, startNs: t.startNs, endNs: t.endNs)
            return try tx(users[count + n], .bid(BidRequest(id: "bid\(n)", product: product, mode: .purchase, maxPriceMilli: 10)))
        })
        if contract.trades.count != count { throw UserFacingError(message: "bench: \(contract.trades.count) trades, expected \(count)") }
        return timings
    }
}

/// Evidence records for the benchmark.
enum EvidenceRecordFactory {
    static func record(sensor: String, grant: LedgerGrant, n: Int) -> [UInt8] {
        EvidenceRecord(sensorID: sensor, grantID: grant.id, kind: "power", rule: "max_psd", suspect: grant.holder,
                       startNs: grant.startNs + Int64(n) * 1_000_000_000, endNs: grant.startNs + Int64(n) * 1_000_000_000 + 500_000_000,
                       centerHz: grant.frequencyLowHz, sampleRateMilliHz: 2_500_000_000, unit: "dBm/MHz", measuredMilli: -24_000, limitMilli: -30_000,
                       marginMilliDB: 6_000, noiseFloorMilliDBFS: -90_000, fftSize: 1024, calibrationID: "none", calibrationOffsetMilliDB: 0,
                       location: "bench", excerptSHA256: Array(repeating: 7, count: 32), nonce: Array(repeating: UInt8(n & 0xff), count: 16)).canonicalBytes
    }
}
