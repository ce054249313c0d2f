import ArgumentParser
import Foundation

/// `trustband faults`: the fault campaign on real node processes (`FaultCampaign`), as a table.
struct FaultsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faults", abstract: "Fault campaign on a 4-node devnet: partitions, delays, link drops, crash, pause, clock jumps, equivocation.")

    @Option(help: "Runs per fault.")
    var runs = 1
    @Option(help: "Seconds each fault lasts before it heals.")
    var faultSeconds = 8.0
    @Option(help: "Transactions per second the client offers during a run.")
    var rate = 40
    @Option(parsing: .upToNextOption, help: "Faults to run (default: all): \(FaultCampaign.Fault.allCases.map(\.rawValue).joined(separator: ", ")).")
    var faults: [String] = []
    @Option(help: "Scratch directory (devnets, logs).")
    var dir = ".trustband-faults"
    @Flag(help: "Plain HTTP between the nodes (default: mutual TLS, as deployed).")
    var plaintext = false

    func run() async throws {
        let chosen = try faults.isEmpty ? FaultCampaign.Fault.allCases : faults.map { name in
            guard let fault = FaultCampaign.Fault(rawValue: name) else { throw ValidationError("unknown fault \(name)") }
            return fault
        }
        guard runs >= 1, faultSeconds > 0, rate > 0 else { throw ValidationError("--runs, --fault-seconds and --rate must be positive") }
        let campaign = FaultCampaign(directory: URL(fileURLWithPath: dir).standardizedFileURL.path, tls: !plaintext, faultSeconds: faultSeconds, rate: rate)
        print("fault campaign: 4 validators (\(plaintext ? "plain HTTP" : "mutual TLS")), every peer link through a TCP proxy, \(rate) tx/s offered, faults of \(faultSeconds) s")
        print("| fault | what | runs | tx acknowledged | lost | safety violations | recovery after heal (s, worst) | notes |")
        print("|---|---|---|---|---|---|---|---|")
        var failed = false
        for fault in chosen {
            var outcomes: [FaultCampaign.Outcome] = []
            for n in 1...runs { outcomes.append(try await campaign.run(fault, name: "\(fault.rawValue)-\(n)")) }
            let recoveries = outcomes.map(\.recoverySeconds)
            let worst = recoveries.contains { $0 == nil } ? "none within 60" : String(format: "%.1f", recoveries.compactMap { $0 }.max() ?? 0)
            let lost = outcomes.map(\.lost).reduce(0, +), unsafe = outcomes.map(\.safetyViolations).reduce(0, +)
            failed = failed || lost > 0 || unsafe > 0 || recoveries.contains { $0 == nil }
            let notes = Array(Set(outcomes.flatMap(\.notes))).sorted().joined(separator: "; ")
            print("| \(fault.rawValue) | \(fault.summary) | \(runs) | \(outcomes.map(\.acknowledged).reduce(0, +)) | \(lost) | \(unsafe) | \(worst) | \(notes) |")
        }
        if failed { throw ExitCode(1) }
    }
}
