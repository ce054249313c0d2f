import Foundation
import TestSupport

/// Runs the built `trustband` executable as a user would, with SoapySDR kept to the built-in
/// replay driver.
enum CLI {
    static let executable: URL = {
        // Tests run from .build/<config>/…xctest; the executable is built beside it.
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("trustband")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory.deleteLastPathComponent()
        }
        return Paths.repository.appendingPathComponent(".build/debug/trustband")
    }()

    static func run(_ arguments: [String]) throws -> Subprocess.Result {
        var environment = ProcessInfo.processInfo.environment
        environment["SOAPY_SDR_ROOT"] = "/nonexistent"
        environment["SOAPY_SDR_PLUGIN_PATH"] = "/nonexistent"
        environment["TRUSTBAND_LOG_LEVEL"] = "warning"
        return try Subprocess.run(executable, arguments, environment: environment)
    }
}
