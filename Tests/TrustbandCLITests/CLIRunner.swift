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

    struct Result {
        var status: Int32
        var out: String
        var err: String
    }

    static func run(_ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["SOAPY_SDR_ROOT"] = "/nonexistent"
        environment["SOAPY_SDR_PLUGIN_PATH"] = "/nonexistent"
        environment["TRUSTBAND_LOG_LEVEL"] = "warning"
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, out: String(decoding: outData, as: UTF8.self),
                      err: String(decoding: errData, as: UTF8.self))
    }
}
