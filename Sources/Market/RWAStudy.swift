import Foundation
import Ledger

/// The case study (docs/rwa.md): BEAST distribution alone beside tokenized purchasing and
/// leasing, at several levels of scarcity, over several seeds, with and without attackers.
public enum RWAStudy {
    /// One run and what it measured.
    public struct Row: Sendable {
        public var configuration: RWARunConfiguration
        public var metrics: RWAMetrics
    }

    /// The runs of a study: every mode without attack; wash trading (purchase, with and without
    /// the contract's rule); cornering (purchase and BEAST); defaulting lessees; Byzantine
    /// validators (lease).
    public static func configurations(scarcities: [Double], seeds: Int, rounds: Int) -> [RWARunConfiguration] {
        var list: [RWARunConfiguration] = []
        for scarcity in scarcities {
            for seed in 1...UInt64(max(1, seeds)) {
                func add(_ mode: RWAMode, _ attack: RWAAttack, defence: Bool = true) {
                    list.append(RWARunConfiguration(mode: mode, attack: attack, scarcity: scarcity, seed: seed, washDefence: defence, rounds: rounds))
                }
                for mode in RWAMode.allCases { add(mode, .none) }
                add(.purchase, .wash)
                add(.purchase, .wash, defence: false)
                add(.purchase, .scalp)
                add(.purchase, .corner)
                add(.beast, .corner)
                add(.lease, .default)
                add(.lease, .byzantine)
            }
        }
        return list
    }

    /// Runs every configuration, spread over `threads`; `progress` is called after each run.
    public static func run(_ configurations: [RWARunConfiguration], threads: Int,
                           progress: (@Sendable (Int, Int) -> Void)? = nil) throws(LedgerError) -> [Row] {
        let results = ResultBox(count: configurations.count)
        DispatchQueue.concurrentPerform(iterations: max(1, threads)) { worker in
            for i in stride(from: worker, to: configurations.count, by: max(1, threads)) {
                let outcome: Result<RWAMetrics, LedgerError>
                do throws(LedgerError) { outcome = .success(try RWASimulation.run(configurations[i])) } catch { outcome = .failure(error) }
                let done = results.set(i, outcome)
                progress?(done, configurations.count)
            }
        }
        return try results.values().enumerated().map { i, r throws(LedgerError) in Row(configuration: configurations[i], metrics: try r.get()) }
    }

    /// The metrics every plot and table shows, with how they read.
    public static let metrics: [(key: String, title: String, unit: String, value: @Sendable (RWAMetrics) -> Double)] = [
        ("served", "Share of demand served", "fraction", { $0.served }),
        ("utilisation", "Spectrum utilisation", "fraction of supply", { $0.utilisation }),
        ("capital_locked", "Capital locked (escrow, collateral and idle rights)", "tokens per period", { $0.capitalLocked }),
        ("allocation_s", "Time to allocation", "seconds", { $0.allocationSeconds }),
        ("price_dispersion", "Price dispersion", "coefficient of variation", { $0.priceDispersion }),
        ("default_losses", "Losses to default", "tokens", { $0.defaultLosses }),
        ("attacker_gain", "Attacker gain", "tokens", { $0.attackerGain }),
    ]

    /// A series: a mode and an attack (and the wash rule) across scarcities.
    public static func series(of row: Row) -> String {
        let c = row.configuration
        var name = c.mode.rawValue
        if c.attack != .none { name += "+\(c.attack.rawValue)" + (c.attack == .wash && !c.washDefence ? " (no rule)" : "") }
        return name
    }

    /// Mean and standard deviation over seeds, per series and scarcity.
    public static func aggregate(_ rows: [Row], _ value: (RWAMetrics) -> Double) -> [String: [(scarcity: Double, mean: Double, sd: Double, n: Int)]] {
        var groups: [String: [Double: [Double]]] = [:]
        for r in rows { groups[series(of: r), default: [:]][r.configuration.scarcity, default: []].append(value(r.metrics)) }
        return groups.mapValues { byScarcity in
            byScarcity.keys.sorted().map { s in
                let v = byScarcity[s]!, mean = v.reduce(0, +) / Double(v.count)
                let sd = v.count > 1 ? (v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(v.count - 1)).squareRoot() : 0
                return (s, mean, sd, v.count)
            }
        }
    }

    public static func csv(_ rows: [Row]) -> String {
        var out = "mode,attack,wash_rule,scarcity,seed,rounds,served,utilisation,capital_locked,allocation_s,price_dispersion,default_losses,attacker_gain,forged_accepted,trades\n"
        for r in rows {
            let c = r.configuration, m = r.metrics
            out += "\(c.mode.rawValue),\(c.attack.rawValue),\(c.washDefence),\(c.scarcity),\(c.seed),\(c.rounds),"
            out += [m.served, m.utilisation, m.capitalLocked, m.allocationSeconds, m.priceDispersion, m.defaultLosses, m.attackerGain]
                .map { String(format: "%.6g", $0) }.joined(separator: ",")
            out += ",\(m.forgedAccepted),\(m.trades)\n"
        }
        return out
    }
}

/// Results written by concurrent runs, each to its own slot.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<RWAMetrics, LedgerError>?]
    private var done = 0

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    /// Stores a result; returns how many are done.
    func set(_ i: Int, _ result: Result<RWAMetrics, LedgerError>) -> Int {
        lock.lock()
        defer { lock.unlock() }
        slots[i] = result
        done += 1
        return done
    }

    func values() -> [Result<RWAMetrics, LedgerError>] {
        lock.lock()
        defer { lock.unlock() }
        return slots.map { $0 ?? .failure(.malformed(problem: "run did not finish")) }
    }
}
