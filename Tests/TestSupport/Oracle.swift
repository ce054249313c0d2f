import Foundation
import Synchronization

/// Independent truth from Python (numpy, sigmf-python). Tests that need it are enabled when
/// the interpreter has the modules; with TRUSTBAND_REQUIRE_ORACLES=1 (as the test script sets)
/// a missing oracle is a failure, not a skip.
public enum Oracle {
    public static let python = ProcessInfo.processInfo.environment["TRUSTBAND_PYTHON"] ?? "python3"

    public static let required = ProcessInfo.processInfo.environment["TRUSTBAND_REQUIRE_ORACLES"] == "1"

    public static func has(_ modules: String) -> Bool {
        if required { return true }
        return (try? run(["-c", "import \(modules)"]).status) == 0
    }

    public static let numpy = has("numpy")
    public static let sigmf = has("sigmf, numpy")

    /// Runs the interpreter with `arguments`; returns status, stdout and stderr.
    @discardableResult
    public static func run(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        let result = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/env"), [python] + arguments)
        return (result.status, result.out, result.err)
    }

    /// Runs a Python script; throws with its stderr if it fails.
    public static func script(_ source: String, _ arguments: [String] = []) throws -> String {
        let result = try run(["-c", source] + arguments)
        guard result.status == 0 else { throw OracleFailure(message: result.err) }
        return result.out
    }

    /// Runs `sigmf_validate` on a recording.
    public static func validate(_ metaPath: String) throws -> (ok: Bool, output: String) {
        let result = try run(["-c", "import sys; from sigmf.validate import main; main(sys.argv[1:])", metaPath])
        return (result.status == 0, result.out + result.err)
    }
}

/// Scratch directories and paths to shared data.
public enum Paths {
    public static let repository: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    /// `../shared/data/real` beside the checkout.
    public static let realData = repository.deletingLastPathComponent().appendingPathComponent("shared/data/real")

    public static func scratch(_ name: String = #function) throws -> URL {
        let safe = name.filter { $0.isLetter || $0.isNumber }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("trustband-tests/\(safe)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// A Python oracle that failed to run.
public struct OracleFailure: Error, CustomStringConvertible {
    public let message: String
    public var description: String { "python failed: \(message)" }
}

/// Runs a program to completion, capturing what it prints.
public enum Subprocess {
    public struct Result: Sendable {
        public var status: Int32
        public var out: String
        public var err: String
    }

    public static func run(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read stderr on another thread so that neither pipe can fill and stall the child.
        let errData = Mutex(Data())
        let errDone = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let data = err.fileHandleForReading.readDataToEndOfFile()
            errData.withLock { $0 = data }
            errDone.signal()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        errDone.wait()
        return Result(status: process.terminationStatus, out: String(decoding: outData, as: UTF8.self),
                      err: String(decoding: errData.withLock { $0 }, as: UTF8.self))
    }
}
