import Foundation
import Ledger
import Node
import NIOCore
import Synchronization

/// The fault campaign (`trustband faults`, `scripts/faults.sh`, docs/security.md): a 4-validator
/// devnet of real processes whose peer links all pass through `FaultProxy`s, a client submitting
/// transactions to every node, and one fault at a time: partitions, delays, link drops, a
/// crash, a paused validator, clock jumps, an equivocating validator, duplicated and reordered
/// messages (sent so by the nodes themselves: inside TLS a proxy cannot). After the fault heals it
/// measures how long until every node commits again, then checks that every acknowledged
/// transaction is committed on every node and that all nodes hold the same blocks and state.
struct FaultCampaign {
    enum Fault: String, CaseIterable, Sendable {
        case partitionMinority = "partition-minority"
        case partitionHalves = "partition-halves"
        case delay
        case linkDrops = "link-drops"
        case crash
        case pause
        case clockForward = "clock-forward"
        case clockBack = "clock-back"
        case equivocate
        case duplicateReorder = "duplicate-reorder"

        var isClockJump: Bool { self == .clockForward || self == .clockBack }

        var summary: String {
            switch self {
            case .partitionMinority: return "v1 cut off from v2–v4"
            case .partitionHalves: return "{v1,v2} and {v3,v4} apart: no quorum"
            case .delay: return "300 ms on every peer link"
            case .linkDrops: return "a peer link reset every 300 ms"
            case .crash: return "v1 SIGKILLed, restarted"
            case .pause: return "v1 SIGSTOPped (withholding), resumed"
            case .clockForward: return "the proposer's clock +1 h"
            case .clockBack: return "the proposer's clock −1 h"
            case .equivocate: return "v1 signs conflicting prevotes (whole run)"
            case .duplicateReorder: return "every node sends 30 % of its link messages twice and holds 30 % back behind the next (whole run)"
            }
        }
    }

    struct Outcome: Sendable {
        var fault: Fault
        var acknowledged = 0
        var lost = 0
        var safetyViolations = 0
        var recoverySeconds: Double?
        /// Clock faults: blocks the validator with the wrong clock got in during the fault, and
        /// blocks decided after a refused round.
        var skewedBlocks: Int?
        var refusedRounds: Int?
        var notes: [String] = []
    }

    let directory: String
    let tls: Bool
    let faultSeconds: Double
    let rate: Int
    /// The `trustband` binary the nodes run.
    var executable = DevnetProcesses.executable

    /// One run of `fault` in `directory/NAME`.
    func run(_ fault: Fault, name: String) async throws -> Outcome {
        let dir = directory + "/" + name
        try? FileManager.default.removeItem(atPath: dir)
        // Nodes at basePort…+3, proxies after them; below the ephemeral range, so that no
        // outgoing connection takes one of them meanwhile.
        let basePort = try Self.freePorts(16)
        let configs = try Devnet.create(directory: dir, nodes: 4, basePort: basePort, devAccounts: DevnetAccounts.standard, tls: tls)
        if tls { try LedgerClient.trust(caFile: dir + "/tls/ca.crt") }
        let scheme = tls ? "https" : "http"
        // proxies[i][j]: node i's links to node j.
        var proxies: [[FaultProxy?]] = Array(repeating: Array(repeating: nil, count: 4), count: 4)
        var nextPort = basePort + 4
        for i in 0..<4 {
            for j in 0..<4 where i != j {
                proxies[i][j] = try await FaultProxy.start(port: nextPort, target: basePort + j)
                nextPort += 1
            }
        }
        let all = proxies.flatMap { $0.compactMap { $0 } }
        defer { Task { for p in all { await p.stop() } } }
        // Every node reads its clock's offset from a file, so that a clock fault can hit whichever
        // validator is proposing when it starts.
        let clockFiles = (0..<4).map { dir + "/v\($0 + 1)-clock-offset" }
        for file in clockFiles { try "0".write(toFile: file, atomically: true, encoding: .utf8) }
        let devnet = DevnetProcesses(configs: configs, basePort: basePort, tls: tls, executable: executable)
        func environment(_ i: Int) -> [String: String] {
            var env = ["TRUSTBAND_LOG_LEVEL": "notice",
                       "TRUSTBAND_NODE_PEERS": (0..<4).filter { $0 != i }.map { "v\($0 + 1)=\(scheme)://127.0.0.1:\(proxies[i][$0]!.port)" }.joined(separator: ",")]
            env["TRUSTBAND_FAULT_CLOCK_FILE"] = clockFiles[i]
            if i == 0, fault == .equivocate { env["TRUSTBAND_FAULT_EQUIVOCATE"] = "1" }
            if fault == .duplicateReorder {
                env["TRUSTBAND_FAULT_LINK_DUPLICATE"] = "0.3"
                env["TRUSTBAND_FAULT_LINK_REORDER"] = "0.3"
            }
            return env
        }
        for i in 0..<4 { try devnet.start(i, environment: environment(i)) }
        defer { devnet.stopAll(grace: 5) }
        try await devnet.waitReady()
        let urls = devnet.urls
        guard try await Self.waitHeights(urls, above: 1, seconds: 30) != nil else { throw UserFacingError(message: "\(fault.rawValue): the devnet did not start committing") }

        var outcome = Outcome(fault: fault)
        let load = FaultLoad(urls: urls, rate: rate)
        let loadTask = Task { await load.run() }
        try await Task.sleep(for: .seconds(3))

        // The fault.
        let heightAtFault = try await Self.maxHeight(urls)
        var dropper: Task<Void, Never>?
        var skewed = 0  // index of the validator whose clock jumps
        switch fault {
        case .partitionMinority:
            for j in 1..<4 { proxies[0][j]?.block(true); proxies[j][0]?.block(true) }
        case .partitionHalves:
            for i in 0..<4 { for j in 0..<4 where i != j && (i < 2) != (j < 2) { proxies[i][j]?.block(true) } }
        case .delay:
            for p in all { p.delay(.milliseconds(300)) }
        case .linkDrops:
            dropper = Task { while !Task.isCancelled { all.randomElement()?.reset(); try? await Task.sleep(for: .milliseconds(300)) } }
        case .crash:
            devnet.kill(0)
        case .pause:
            if let pid = devnet.processes[0]?.processIdentifier { kill(pid, SIGSTOP) }
        case .clockForward, .clockBack:
            skewed = (try await Self.latestProposer(urls)).flatMap { Int($0.dropFirst()) }.map { ($0 - 1) % 4 } ?? 0
            try (fault == .clockForward ? "3600" : "-3600").write(toFile: clockFiles[skewed], atomically: true, encoding: .utf8)
        case .equivocate, .duplicateReorder:
            break
        }
        try await Task.sleep(for: .seconds(faultSeconds))
        if fault.isClockJump {
            // Whatever the skewed validator proposed meanwhile, the chain's time must stay with the
            // honest clocks. Read on the next node, whose clock is right (the skewed one may lag).
            let name = "v\(skewed + 1)"
            let (proposed, blocks, laterRound, ahead) = try await Self.blockTimes(urls[(skewed + 1) % urls.count], after: heightAtFault, proposer: name)
            outcome.skewedBlocks = proposed
            outcome.refusedRounds = laterRound
            outcome.notes.append(String(format: "%@ (proposing at the fault) got %d of %d blocks in (%d decided after a refused round); chain time at most %+.1f s from the wall clock",
                                        name, proposed, blocks, laterRound, ahead))
            if ahead > 11 { outcome.safetyViolations += 1; outcome.notes.append("the chain's time was dragged ahead") }
        }

        // Heal.
        let heightAtHeal = try await Self.maxHeight(urls)
        let healed = Date()
        dropper?.cancel()
        for p in all { p.block(false); p.delay(.zero) }
        switch fault {
        case .crash: try devnet.start(0, environment: environment(0))
        case .pause: if let pid = devnet.processes[0]?.processIdentifier { kill(pid, SIGCONT) }
        case .clockForward, .clockBack: for file in clockFiles { try "0".write(toFile: file, atomically: true, encoding: .utf8) }
        default: break
        }
        if let at = try await Self.waitHeights(urls, above: heightAtHeal, seconds: 60) {
            outcome.recoverySeconds = at.timeIntervalSince(healed)
        } else {
            outcome.notes.append("not every node committed past \(heightAtHeal) within 60 s of the heal")
        }
        try await Task.sleep(for: .seconds(3))
        load.stop()
        await loadTask.value
        let acknowledged = load.acknowledged()
        outcome.acknowledged = acknowledged.count

        // Every acknowledged transaction committed on every node (within 30 s).
        var missing = Set(acknowledged)
        let deadline = Date().addingTimeInterval(30)
        repeat {
            var still = Set<String>()
            for id in missing {
                for url in urls where !(await Self.isCommitted(id, at: url)) { still.insert(id); break }
            }
            missing = still
            if !missing.isEmpty { try await Task.sleep(for: .milliseconds(500)) }
        } while !missing.isEmpty && Date() < deadline
        outcome.lost = missing.count

        // The same blocks and state everywhere.
        outcome.safetyViolations += try await Self.divergentHeights(urls)
        if fault == .equivocate {
            let accounts = try await LedgerClient.json(urls[1] + "/v1/accounts/v1")
            let deposit = (accounts["deposit"] as? NSNumber)?.int64Value ?? -1
            outcome.notes.append("v1's deposit 400 → \(deposit)" + (deposit < 400 ? " (convicted)" : " (NOT convicted)"))
            if deposit >= 400 { outcome.safetyViolations += 1 }
        }
        return outcome
    }

    /// The validator that proposed the latest block any of `urls` has.
    static func latestProposer(_ urls: [String]) async throws -> String? {
        let top = try await maxHeight(urls)
        for url in urls {
            if let block = try? await LedgerClient.json(url + "/v1/blocks/\(top)"), let proposer = block["proposer"] as? String { return proposer }
        }
        return nil
    }

    /// Over the blocks after `height` on `url`: how many `proposer` proposed, how many there are,
    /// how many were decided in a round after the first (a proposal refused), and the most a
    /// block's time was ahead of this machine's clock when read (s).
    static func blockTimes(_ url: String, after height: Int64, proposer: String) async throws -> (proposed: Int, blocks: Int, laterRound: Int, ahead: Double) {
        let top = await self.height(url) ?? height
        var proposed = 0, blocks = 0, laterRound = 0, ahead = -Double.infinity
        for h in stride(from: height + 1, through: top, by: 1) {
            let block = try await LedgerClient.json(url + "/v1/blocks/\(h)")
            blocks += 1
            if block["proposer"] as? String == proposer { proposed += 1 }
            if ((block["round"] as? NSNumber)?.int64Value ?? 0) > 0 { laterRound += 1 }
            if let time = (block["time_ns"] as? NSNumber)?.int64Value { ahead = max(ahead, Double(time) / 1e9 - Date().timeIntervalSince1970) }
        }
        return (proposed, blocks, laterRound, ahead)
    }

    static func isCommitted(_ id: String, at url: String) async -> Bool {
        guard let (status, body) = try? await LedgerClient.get(url + "/v1/tx/" + id, timeout: 3), status == 200 else { return false }
        return String(decoding: body, as: UTF8.self).contains("\"committed\"")
    }

    static func height(_ url: String) async -> Int64? {
        guard let (status, body) = try? await LedgerClient.get(url + "/v1/status", timeout: 2), status == 200,
              let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else { return nil }
        return (object["height"] as? NSNumber)?.int64Value
    }

    static func maxHeight(_ urls: [String]) async throws -> Int64 {
        var best: Int64 = 0
        for url in urls { best = max(best, await height(url) ?? 0) }
        return best
    }

    /// When every node's height first exceeds `above` (nil if not within `seconds`).
    static func waitHeights(_ urls: [String], above: Int64, seconds: Double) async throws -> Date? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            var all = true
            for url in urls { if (await height(url) ?? 0) <= above { all = false; break } }
            if all { return Date() }
            try await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    /// Heights (up to the lowest node's) at which the nodes' blocks or states differ.
    static func divergentHeights(_ urls: [String]) async throws -> Int {
        var lowest = Int64.max
        for url in urls { lowest = min(lowest, await height(url) ?? 0) }
        var divergent = 0
        for h in stride(from: Int64(1), through: lowest, by: 1) {
            var seen = Set<String>()
            for url in urls {
                let block = try await LedgerClient.json(url + "/v1/blocks/\(h)")
                seen.insert("\(block["hash"] ?? "")/\(block["state_hash"] ?? "")")
            }
            if seen.count != 1 { divergent += 1 }
        }
        return divergent
    }

    /// A run of `count` free loopback ports.
    static func freePorts(_ count: Int) throws -> Int {
        for _ in 0..<200 {
            let base = Int.random(in: 20_000...(32_000 - count))
            if (base..<(base + count)).allSatisfy(isFree) { return base }
        }
        throw UserFacingError(message: "no \(count) free ports in a row")
    }

    static func isFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } == 0
    }
}

/// The campaign's client: 64 users, each bound to one node (user-k to node k mod 4), each
/// sending its demands in nonce order; a transaction counts as acknowledged when a node answers
/// 202 (or 409: it already has it). One that got no answer is sent again, same bytes.
final class FaultLoad: Sendable {
    let urls: [String]
    let rate: Int
    private let acked = Mutex<[String]>([])
    private let stopped = Mutex(false)

    init(urls: [String], rate: Int) {
        self.urls = urls
        self.rate = rate
    }

    func stop() { stopped.withLock { $0 = true } }
    func acknowledged() -> [String] { acked.withLock { $0 } }

    func run() async {
        let users = 64
        let interval = Duration.seconds(Double(users) / Double(max(1, rate)))
        await withDiscardingTaskGroup { group in
            for k in 0..<users {
                group.addTask { await self.user(k, interval: interval) }
            }
        }
    }

    private func user(_ k: Int, interval: Duration) async {
        let user = "user-\(k)", url = urls[k % urls.count]
        var nonce: UInt64 = 1
        try? await Task.sleep(for: interval * Double(k) / 64)
        while !stopped.withLock({ $0 }) {
            guard let tx = try? Transaction(signer: user, nonce: nonce, body: .demand(DemandRequest(id: "\(user)-\(nonce)", bandwidthHz: 1_000, durationNs: 60_000_000_000,
                                                                                                      area: "faults", startNs: 0, deposit: 1))).signed(by: DevKeys.signing(user)) else { return }
            if let (status, _) = try? await LedgerClient.submit(tx.wireBytes, to: url, timeout: 2), status == 202 || status == 409 {
                acked.withLock { $0.append(tx.id) }
                nonce += 1
            }
            try? await Task.sleep(for: interval)
        }
    }
}
