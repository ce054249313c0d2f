import ArgumentParser
import Foundation
import Market

/// `trustband simulate`: case studies run on the contract itself.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "simulate", abstract: "Case studies run on the contract.",
                                                    subcommands: [SimulateRWACommand.self])
}

/// `trustband simulate rwa --out DIR`: BEAST distribution against tokenized trading, with attacks.
struct SimulateRWACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rwa",
        abstract: "Spectrum tokens case study: BEAST alone vs token purchasing and leasing across scarcity, with wash traders, a cornering "
            + "trader, defaulting lessees and a Byzantine validator. Writes rwa.csv, one SVG per metric and summary.md.")

    @Option(help: "Output directory.")
    var out: String

    @Option(help: "Seeds per configuration (error bars are over seeds).")
    var seeds = 5

    @Option(help: "Scarcity levels (demand / supply), comma-separated.")
    var scarcity = "0.5,1,1.5,2,2.5,3"

    @Option(help: "Distribution rounds per run (four 15-minute periods each).")
    var rounds = 6

    @Option(help: "Runs in parallel (default: one per core).")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Print the claims as JSON instead of text.")
    var json = false

    func run() throws {
        try reportingErrors {
            let levels = scarcity.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard !levels.isEmpty, levels.allSatisfy({ ($0 ?? 0) > 0 }) else {
                throw UserFacingError(message: "--scarcity: \(scarcity) is not a comma-separated list of numbers > 0")
            }
            guard seeds >= 1, rounds >= 1, threads >= 1 else { throw UserFacingError(message: "--seeds, --rounds and --threads must be ≥ 1") }
            let configurations = RWAStudy.configurations(scarcities: levels.map { $0! }, seeds: seeds, rounds: rounds)
            let started = Date()
            let progress = TerminalProgress(enabled: !json)
            let rows: [RWAStudy.Row]
            do {
                rows = try RWAStudy.run(configurations, threads: threads) { done, total in progress.update(done: done, of: total, unit: "runs") }
            } catch {
                throw UserFacingError(message: "simulation: \(error)")
            }
            progress.finish()
            let seconds = Date().timeIntervalSince(started)
            let dir = URL(fileURLWithPath: out)
            do {
                try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                try Data(RWAStudy.csv(rows).utf8).write(to: dir.appendingPathComponent("rwa.csv"))
                for (name, svg) in RWAReport.plots(rows) { try Data(svg.utf8).write(to: dir.appendingPathComponent(name)) }
                try Data(RWAReport.summary(rows, seeds: seeds, rounds: rounds, seconds: seconds).utf8).write(to: dir.appendingPathComponent("summary.md"))
            } catch {
                throw UserFacingError(message: "\(out): cannot write: \(error.localizedDescription)")
            }
            let claims = RWAReport.claims(rows)
            if json {
                let list = claims.map { ["id": $0.id, "statement": $0.statement, "holds": $0.holds, "evidence": $0.evidence] as [String: Any] }
                let data = try JSONSerialization.data(withJSONObject: ["runs": rows.count, "seconds": seconds, "claims": list], options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print(String(format: "%d runs in %.1f s; wrote %@/rwa.csv, %d plots, summary.md", rows.count, seconds, out, RWAReport.plots(rows).count))
                for c in claims { print("\(c.holds ? "holds " : "FAILS ") \(c.statement)\n        \(c.evidence)") }
            }
        }
    }
}
