import Foundation
import Testing
import TestSupport
@testable import TrustbandFuzzing

/// Every seed of the fuzz corpora and every input a fuzzer ever crashed on (`Fuzz/corpus/TARGET`,
/// `Fuzz/regressions/TARGET`) goes through its target again: decoded or refused, never a crash.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    static let root = Paths.repository.appendingPathComponent("Fuzz")

    static func inputs(_ folder: String, _ target: String) -> [URL] {
        let dir = root.appendingPathComponent(folder).appendingPathComponent(target)
        return ((try? FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)) ?? []).sorted { $0.path < $1.path }
    }

    @Test("Each target has seeds, and every seed and every past crash runs through it", arguments: FuzzTargets.names)
    func replay(target: String) throws {
        let seeds = Self.inputs("corpus", target), crashes = Self.inputs("regressions", target)
        #expect(!seeds.isEmpty, "no seeds for \(target)")
        for file in seeds + crashes { FuzzTargets.run(target, Array(try Data(contentsOf: file))) }
    }
}
