import ArgumentParser
import Foundation

/// `trustband`: the one executable. Subcommands parse options and call library code.
public struct TrustbandCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "trustband",
        abstract: "Spectrum sensing, signed violation evidence, and a consortium ledger.",
        subcommands: [InfoCommand.self, ConvertCommand.self, ReplayCommand.self, DetectCommand.self, AuditCommand.self, KeygenCommand.self, EvidenceCommand.self, RecordCommand.self,
                      SynthCommand.self, EvalCommand.self, ContractCommand.self, SimulateCommand.self, BenchCommand.self,
                      NodeCommand.self, DevnetCommand.self, TxCommand.self, AgentCommand.self, DemoCommand.self, CertsCommand.self, FaultsCommand.self])

    public init() {}
}

/// Reads `TRUSTBAND_LOG_LEVEL` (trace, debug, info, notice, warning, error, critical).
public enum ProcessInfoLogLevel {
    public static func fromEnvironment() -> String {
        ProcessInfo.processInfo.environment["TRUSTBAND_LOG_LEVEL"] ?? "info"
    }
}

/// A failure to show the user as one line, with a non-zero exit.
struct UserFacingError: Error, CustomStringConvertible {
    let description: String
    init(_ error: any Error) { description = "\(error)" }
    init(message: String) { description = message }
}

extension ParsableCommand {
    /// Runs `body`, turning library errors into one clear line on stderr and exit status 1.
    func reportingErrors(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as CleanExit {
            throw error
        } catch let error as ExitCode {
            throw error
        } catch {
            FileHandle.standardError.write(Data("trustband: error: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
