import ArgumentParser
import Crypto
import Evidence
import Foundation
import Ledger
import Node
import Synchronization

/// `trustband bench ledger`: a real devnet on loopback (N node processes), loaded with signed
/// evidence and demand transactions at increasing rates; prints committed tx/s and the
/// submit-to-commit latency (p50, p99) per rate, beside the ceiling that Ed25519
/// verification alone (`openssl speed ed25519`) would set on this machine.
struct LedgerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ledger", abstract: "Devnet throughput and submit-to-commit latency at increasing offered rates.")

    @Option(help: "Validators.")
    var nodes = 4

    @Option(help: "Offered rates, transactions per second, comma-separated (one devnet: the state grows from rate to rate).")
    var rates = "500,1000,2000"

    @Option(help: "Seconds per rate (the issue's target is sustained for 30 s).")
    var duration = 30

    @Option(help: "Percent of evidence transactions.")
    var evidencePercent = 40

    @Option(help: "Percent of token trading transactions (a holder splits a piece off its token and asks for it; another user bids and buys it). The rest are demands.")
    var tradePercent = 30

    @Option(help: "Port of the first node.")
    var basePort = 7301

    @Option(help: "Devnet directory (default: a new temporary one).")
    var dir: String?

    @Option(help: "Milliseconds between a sender's batches (one sender per node, one batch in flight each).")
    var batchMs = 5

    @Option(help: "Write every committed transaction as CSV (rate, due_s, latency_ms) to this file, to see warm-up, stalls and trends.")
    var series: String?

    func run() async throws {
        #if DEBUG
        say("warning: debug build; run `swift run -c release trustband bench ledger` for real figures\n")
        #endif
        let steps = rates.split(separator: ",").compactMap { Int($0) }
        guard !steps.isEmpty, steps.allSatisfy({ $0 > 0 }) else { throw ValidationError("--rates: positive integers, comma-separated") }
        guard evidencePercent >= 0, tradePercent >= 0, evidencePercent + tradePercent <= 100 else {
            throw ValidationError("--evidence-percent and --trade-percent: ≥ 0, at most 100 together")
        }
        let directory = dir ?? NSTemporaryDirectory() + "trustband-bench-\(getpid())"
        let configs = try Devnet.create(directory: directory, nodes: nodes, basePort: basePort, devAccounts: DevnetAccounts.standard)
        let devnet = DevnetProcesses(configs: configs, basePort: basePort)
        try devnet.startAll(environment: ["TRUSTBAND_LOG_LEVEL": "warning"])
        defer {
            devnet.stopAll()
            if dir == nil { try? FileManager.default.removeItem(atPath: directory) }
        }
        try await devnet.waitReady()
        say("devnet: \(nodes) validator processes on loopback, every transaction's signature checked by every node")
        var workload = try await LedgerWorkload.prepare(devnet: devnet, directory: directory)
        say("setup: \(workload.grants.count) grants to report on, a token for each of 64 traders; signing the load "
            + "(\(evidencePercent) % evidence, \(tradePercent) % trading, the rest demands)…")
        var results: [(rate: Int, offered: Int, committed: Int, perSecond: Double, p50: Double, p99: Double, refused: Int)] = []
        var csv = "rate,due_s,latency_ms\n"
        for rate in steps {
            let txs = try workload.make(count: rate * duration, evidencePercent: evidencePercent, tradePercent: tradePercent)
            let progress = TerminalProgress(enabled: true), seconds = duration
            let ticker = Task {
                let start = ContinuousClock.now
                while !Task.isCancelled {
                    let elapsed = Int((ContinuousClock.now - start) / .seconds(1))
                    progress.update(done: min(elapsed, seconds), of: seconds, unit: "s", label: "offering \(rate) tx/s")
                    try? await Task.sleep(for: .milliseconds(500))
                }
            }
            let run = try await LedgerLoad(urls: devnet.urls, batchMs: batchMs).run(txs, rate: rate, seconds: duration)
            ticker.cancel()
            progress.finish()
            results.append((rate, txs.count, run.committedInWindow, run.committedPerSecond, run.p50, run.p99, run.refused))
            for point in run.series { csv += String(format: "%d,%.4f,%.1f\n", rate, point.due, point.latency * 1000) }
            say(String(format: "  offered %5d tx/s: committed %7.0f tx/s, submit→commit p50 %6.0f ms, p99 %6.0f ms, refused (retried) %d",
                         rate, run.committedPerSecond, run.p50 * 1000, run.p99 * 1000, run.refused))
        }
        if let series { try Data(csv.utf8).write(to: URL(fileURLWithPath: series)) }
        if tradePercent > 0, let trades = try await LedgerClient.json(devnet.urls[0] + "/v1/state")["trade_count"] as? NSNumber {
            say("trades committed on the ledger: \(trades.intValue) (the load's bids that met their asks)")
        }
        say("\noffered tx/s   committed tx/s   p50 ms   p99 ms")
        for r in results { say(String(format: "%12d %16.0f %8.0f %8.0f", r.rate, r.perSecond, r.p50 * 1000, r.p99 * 1000)) }
        if let verify = ContractBench.opensslVerifyMicroseconds() {
            let cores = Double(ProcessInfo.processInfo.activeProcessorCount)
            // An evidence transaction carries two signatures (its own and the record's), a demand one.
            let checksPerTransaction = 1 + Double(evidencePercent) / 100
            let ceiling = cores * 1e6 / verify / Double(nodes) / checksPerTransaction
            let best = results.map(\.perSecond).max() ?? 0
            say(String(format: "\npeer: openssl speed ed25519 = %.1f µs per verify; %d nodes each making %.2f checks per transaction on %.0f cores could verify at most %.0f tx/s; best committed = %.2f × that ceiling",
                         verify, nodes, checksPerTransaction, cores, ceiling, best / ceiling))
        }
    }
}

/// The bench's transactions: evidence from 64 sensors about live grants, demands from 64 users,
/// and trading among the 64 users: each holds a token and sells 1 kHz pieces of it (split, ask),
/// which another user buys (bid). Each trader's transactions are valid in its own nonce order
/// whatever the order between traders: a bid that arrives before its ask waits in the book.
struct LedgerWorkload {
    let grants: [(id: String, holder: String, startNs: Int64, low: Int64)]
    var nonces: [String: UInt64]
    var serial = 0
    /// Per trader: its token's id and band, and the pieces sold so far.
    var traders: [(token: String, low: Int64, high: Int64, startNs: Int64, endNs: Int64, sold: Int)] = []
    /// The trade in progress: which trader, and which of its three transactions comes next.
    var trade = (trader: 0, step: 0)
    static let pieceHz: Int64 = 1_000

    static func prepare(devnet: DevnetProcesses, directory: String) async throws -> LedgerWorkload {
        let url = devnet.urls[0]
        let now = Int64(Date().timeIntervalSince1970 * 1e9)
        let rules = UsageRules(maxPsdMilliDbmPerMHz: -30_000, outOfBandMaxMilliDbmPerMHz: -55_000, maxOccupancyNs: 600_000_000_000,
                               nominalPsdMilliDbmPerMHz: nil, nominalToleranceMilliDB: nil)
        let v1Key = try SensorKeys.loadSigningKey(directory + "/v1/key/" + SensorKeys.signingFile)
        var setup: [SignedTransaction] = [
            try Transaction(signer: "mno-a", nonce: 1, body: .offer(OfferRequest(id: "bench-offer", frequencyLowHz: 3_550_000_000, frequencyHighHz: 3_600_000_000, area: "bench",
                                                                                 startNs: now - 60_000_000_000, endNs: now + 7_200_000_000_000, unitPriceMilli: 1,
                                                                                 deposit: 5_000, rules: rules))).signed(by: DevKeys.signing("mno-a")),
        ]
        for u in 0..<16 {
            setup.append(try Transaction(signer: "user-\(u)", nonce: 1, body: .demand(DemandRequest(id: "bench-setup-\(u)", bandwidthHz: 1_000_000, durationNs: 3_600_000_000_000,
                                                                                                    area: "bench", startNs: 0, deposit: 100))).signed(by: DevKeys.signing("user-\(u)")))
        }
        for tx in setup { _ = try await LedgerClient.submit(tx.wireBytes, to: url) }
        try await waitCommitted(setup.map(\.id), url: url)
        let close = try Transaction(signer: "v1", nonce: 1, body: .closeRound).signed(by: v1Key)
        let (status, message) = try await LedgerClient.submit(close.wireBytes, to: url)
        guard status == 202 else { throw UserFacingError(message: "bench setup: close_round refused: \(message)") }
        try await waitCommitted([close.id], url: url)
        let object = try await LedgerClient.json(url + "/v1/grants")
        let grants: [(String, String, Int64, Int64)] = (object["grants"] as? [[String: Any]] ?? []).compactMap { g in
            guard let id = g["id"] as? String, let holder = g["holder"] as? String else { return nil }
            return (id, holder, now, (g["freq_low_hz"] as? NSNumber)?.int64Value ?? 0)
        }
        guard !grants.isEmpty else { throw UserFacingError(message: "bench setup: the round granted nothing") }
        // Trading: a second offer, minted into one 500 kHz token per trader.
        let tokenStart = now - 60_000_000_000, tokenEnd = now + 7_200_000_000_000, high: Int64 = 3_700_000_000
        var tokenTxs = [try Transaction(signer: "mno-a", nonce: 2, body: .offer(OfferRequest(id: "bench-tokens", frequencyLowHz: high - 32_000_000, frequencyHighHz: high,
                                                                                             area: "bench", startNs: tokenStart, endNs: tokenEnd, unitPriceMilli: 1,
                                                                                             deposit: 4_000, rules: rules))).signed(by: DevKeys.signing("mno-a"))]
        var traders: [(String, Int64, Int64, Int64, Int64, Int)] = []
        for u in 0..<64 {
            let top = high - Int64(u) * 500_000
            tokenTxs.append(try Transaction(signer: "mno-a", nonce: UInt64(3 + 2 * u), body: .mint(id: "bt-\(u)", offerID: "bench-tokens", bandwidthHz: 500_000))
                .signed(by: DevKeys.signing("mno-a")))
            tokenTxs.append(try Transaction(signer: "mno-a", nonce: UInt64(4 + 2 * u), body: .transfer(tokenID: "bt-\(u)", to: "user-\(u)"))
                .signed(by: DevKeys.signing("mno-a")))
            traders.append(("bt-\(u)", top - 500_000, top, tokenStart, tokenEnd, 0))
        }
        for tx in tokenTxs { _ = try await LedgerClient.submit(tx.wireBytes, to: url) }
        try await waitCommitted(tokenTxs.map(\.id), url: url)
        var nonces: [String: UInt64] = [:]
        for u in 0..<16 { nonces["user-\(u)"] = 1 }
        return LedgerWorkload(grants: grants, nonces: nonces, traders: traders.map { ($0.0, $0.1, $0.2, $0.3, $0.4, $0.5) })
    }

    /// The next transaction of the trade in progress: the seller splits a 1 kHz piece off the
    /// bottom of its token, asks for it, and the next trader bids for exactly that piece.
    mutating func nextTrade() -> (signer: String, body: Transaction.Body) {
        let u = trade.trader, t = traders[u], piece = "bt-\(u)-p\(t.sold)"
        defer {
            trade.step += 1
            if trade.step == 3 {
                traders[u].sold += 1
                traders[u].low += Self.pieceHz
                traders[u].token = "bt-\(u)-r\(t.sold)"
                trade = ((u + 1) % traders.count, 0)
            }
        }
        switch trade.step {
        case 0:
            return ("user-\(u)", .split(tokenID: t.token, at: .frequency(Hz: t.low + Self.pieceHz), lowID: piece, highID: "bt-\(u)-r\(t.sold)"))
        case 1:
            return ("user-\(u)", .ask(AskRequest(tokenID: piece, priceMilli: 1, mode: .purchase)))
        default:
            let product = Product(area: "bench", frequencyLowHz: t.low, frequencyHighHz: t.low + Self.pieceHz, startNs: t.startNs, endNs: t.endNs)
            return ("user-\((u + 32) % 64)", .bid(BidRequest(id: "bb-\(u)-\(t.sold)", product: product, mode: .purchase, maxPriceMilli: 1)))
        }
    }

    static func waitCommitted(_ ids: [String], url: String) async throws {
        let deadline = Date().addingTimeInterval(60)
        for id in ids {
            while true {
                let (_, body) = try await LedgerClient.get(url + "/v1/tx/" + id)
                let status = ((try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any])?["status"] as? String
                if status == "committed" { break }
                if status == "rejected" { throw UserFacingError(message: "bench setup transaction \(id) rejected: \(String(decoding: body, as: UTF8.self))") }
                guard Date() < deadline else { throw UserFacingError(message: "bench setup: \(id) not committed within 60 s") }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    /// `count` signed transactions, nonces continuing from the last batch.
    mutating func make(count: Int, evidencePercent: Int, tradePercent: Int) throws -> [SignedTransaction] {
        var out: [SignedTransaction] = []
        out.reserveCapacity(count)
        for n in 0..<count {
            serial += 1
            let signer: String, body: Transaction.Body
            if n % 100 < evidencePercent {
                signer = "sensor-\(serial % 64)"
                let g = grants[serial % grants.count]
                let record = EvidenceRecord(sensorID: signer, grantID: g.id, kind: "power", rule: "max_psd", suspect: g.holder,
                                            startNs: g.startNs + Int64(serial) * 1_000_000_000, endNs: g.startNs + Int64(serial) * 1_000_000_000 + 500_000_000,
                                            centerHz: g.low, sampleRateMilliHz: 2_500_000_000, unit: "dBm/MHz", measuredMilli: -24_000, limitMilli: -30_000,
                                            marginMilliDB: 6_000, noiseFloorMilliDBFS: -90_000, fftSize: 1024, calibrationID: "none", calibrationOffsetMilliDB: 0,
                                            location: "bench", excerptSHA256: Array(repeating: 7, count: 32),
                                            nonce: withUnsafeBytes(of: UInt64(serial).bigEndian) { Array($0) } + Array(repeating: 0, count: 8)).canonicalBytes
                body = .evidence(record: record, signature: Array(try DevKeys.signing(signer).signature(for: record)))
            } else if n % 100 < evidencePercent + tradePercent {
                (signer, body) = nextTrade()
            } else {
                signer = "user-\(serial % 64)"
                body = .demand(DemandRequest(id: "bench-\(serial)", bandwidthHz: 1_000_000, durationNs: 3_600_000_000_000, area: "bench", startNs: 0, deposit: 1))
            }
            nonces[signer, default: 0] += 1
            out.append(try Transaction(signer: signer, nonce: nonces[signer]!, body: body).signed(by: DevKeys.signing(signer)))
        }
        return out
    }
}
