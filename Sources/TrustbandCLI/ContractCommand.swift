import ArgumentParser
import Enforcement
import Foundation
import Ledger
import Signal

/// `trustband contract run SCENARIO.json`: replays transactions through the contract offline.
struct ContractCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contract", abstract: "Run the ledger contract offline.", subcommands: [RunContract.self])
}

struct RunContract: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Replay a scenario (genesis + blocks of transactions) and print accounts, trust, grants, cases and verdicts.",
        discussion: "Format: docs/ledger.md. Rejected transactions are listed with their reason; they change nothing.")

    @Argument(help: "The scenario file (JSON).")
    var scenario: String

    @Flag(help: "Sign unsigned transactions, and fill in missing keys, with deterministic keys derived from each account's id (tests and examples only).")
    var devSign = false

    @Flag(help: "Print JSON.")
    var json = false

    @Option(help: "Also write the resulting grants as a grant file for `trustband audit --grants`.")
    var grantsOut: String?

    func run() throws {
        try reportingErrors {
            guard let data = FileManager.default.contents(atPath: scenario) else { throw UserFacingError(message: "\(scenario): cannot read") }
            let result: Scenario.Run
            do { result = try Scenario.run(json: data, devSign: devSign) } catch { throw UserFacingError(message: "\(scenario): \(error)") }
            if let grantsOut {
                let file = GrantFile.encode(result.contract.enforceableGrants.map(\.enforcementGrant))
                do { try Data(try JSONWriter.write(file).utf8).write(to: URL(fileURLWithPath: grantsOut)) } catch {
                    throw UserFacingError(message: "\(grantsOut): cannot write: \(error)")
                }
            }
            if json {
                print(try JSONWriter.write(result.jsonValue, indent: 2))
            } else {
                print(ContractReport.text(result))
            }
        }
    }
}

/// The human reading of a scenario run.
enum ContractReport {
    static func text(_ run: Scenario.Run) -> String {
        let c = run.contract
        var lines: [String] = []
        let accepted = run.outcomes.filter { if case .success = $0.result { return true } else { return false } }.count
        lines.append("height \(c.height), period \(c.period), \(accepted) of \(run.outcomes.count) transactions accepted, state \(c.stateHash.prefix(16))")
        lines.append("")
        lines.append("transactions:")
        for t in run.outcomes {
            switch t.result {
            case .success(let receipt):
                for (n, e) in receipt.events.enumerated() { lines.append("  \(n == 0 ? "✓ \(t.height).\(t.index) \(t.kind) by \(t.signer):" : "   ") \(e)") }
                if receipt.events.isEmpty { lines.append("  ✓ \(t.height).\(t.index) \(t.kind) by \(t.signer)") }
            case .failure(let error):
                lines.append("  ✗ \(t.height).\(t.index) \(t.kind) by \(t.signer): rejected: \(error)")
            }
        }
        for b in run.blockEvents { for e in b.events { lines.append("  • end of block \(b.height): \(e)") } }
        lines.append("")
        func row(_ cells: [String]) -> String {
            zip(cells, [-14, -10, 10, 10, 8, 12, 8]).map { cell, width in
                let pad = String(repeating: " ", count: max(0, abs(width) - cell.count))
                return width < 0 ? cell + pad : pad + cell
            }.joined(separator: " ")
        }
        lines.append(row(["account", "role", "balance", "deposit", "locked", "trust", "N_a/N_v"]))
        for id in c.accounts.keys.sorted() {
            let a = c.accounts[id]!
            lines.append(row([a.id, a.role.rawValue, "\(a.balance)", "\(a.deposit)", "\(a.locked)", String(format: "%.3f", Double(a.trustMilli) / 1000),
                              "\(a.accessedPeriods.count)/\(a.violationPeriods.count)"]))
        }
        for r in c.rounds {
            lines.append("")
            lines.append("round \(r.period) (closed by \(r.closedBy) at height \(r.height)):")
            for e in r.entries.sorted(by: { $0.servedOrder < $1.servedOrder }) {
                lines.append("  \(e.demandID) by \(e.user): rank \(e.rank), trust \(String(format: "%.3f", Double(e.trustMilli) / 1000)), "
                             + "priority \(String(format: "%.9f", Double(e.priorityNano) / 1e9)), granted \(e.grantedHz) Hz, paid \(e.paid), refunded \(e.refunded)")
            }
        }
        if !c.grants.isEmpty {
            lines.append("")
            lines.append("grants:")
            for g in c.grants { lines.append("  \(g.id): \(g.holder) from \(g.mno), \(g.frequencyLowHz)–\(g.frequencyHighHz) Hz, period \(g.period)") }
        }
        let tokens = c.enforceableGrants.compactMap { g in c.token(g.id) }
        if !tokens.isEmpty {
            lines.append("")
            lines.append("tokens (live):")
            for t in tokens {
                var line = "  \(t.id): owner \(t.owner), \(t.frequencyLowHz)–\(t.frequencyHighHz) Hz, \(t.startNs)–\(t.endNs) ns"
                if let lease = t.lease { line += ", leased to \(lease.lessee) until \(lease.endNs) ns (paid \(lease.paid) of \(lease.rent), collateral \(lease.collateral))" }
                if let ask = t.ask { line += ", asking \(ask.priceMilli) milli per MHz·s (\(ask.mode.rawValue)\(ask.forced ? ", forced" : ""))" }
                if t.frozenUntilHeight > c.height { line += ", frozen until height \(t.frozenUntilHeight)" }
                lines.append(line)
            }
            lines.append("trades: \(c.trades.count), of which wash \(c.trades.filter(\.wash).count)")
        }
        if !c.cases.isEmpty {
            lines.append("")
            lines.append("cases:")
            for k in c.cases {
                let votes = k.votes.map { "\($0.validator)=\($0.guilty ? "guilty" : "not")" }.joined(separator: " ")
                lines.append("  \(k.id.prefix(12)) \(k.kind)/\(k.rule) in \(k.grantID) against \(k.suspect): \(k.verdict.rawValue)"
                             + (k.verdict == .guilty ? ", penalty \(k.penalty) (\(k.paidToReporter) to \(k.reporter), \(k.paidToHarmed) to \(k.harmedParty))" : "")
                             + " [\(votes)]")
            }
        }
        let s = c.supply
        lines.append("")
        lines.append("supply: genesis \(c.genesisSupply) = balances \(s.balances) + deposits \(s.deposits) + escrow \(s.escrow) + treasury \(s.treasury) + unclaimed \(s.allocations)")
        return lines.joined(separator: "\n")
    }
}
