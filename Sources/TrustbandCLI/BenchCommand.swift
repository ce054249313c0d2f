import ArgumentParser
import Crypto
import Foundation
import Signal

/// `trustband bench …`: our throughput beside a peer's on the same input, in one run.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks that print our figure beside a peer's and the ratio.",
        subcommands: [ConvertBench.self, PSDBench.self, SweepBench.self, ContractBench.self, LedgerBench.self, Ed25519Bench.self, LiveViewBench.self])
}

/// Sample-format conversion to CF32 against numpy.
struct ConvertBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert", abstract: "Conversion throughput per format (Msamples/s) beside numpy on the same bytes.")

    @Option(help: "Samples per format.")
    var samples = 16_000_000

    @OptionGroup var options: BenchOptions

    @Option(help: "The numpy peer script.")
    var peer = RepositoryPaths.root + "/bench/peers/convert_numpy.py"

    func run() throws {
        try reportingErrors {
            #if DEBUG
            print("warning: debug build; run `swift run -c release trustband bench convert` for real figures\n")
            #endif
            print("conversion to CF32, \(samples) samples per format, \(options.repeats) runs, single thread")
            print("format      ours best  ours median   numpy best  numpy median   ratio(best)  identical")
            for format in [SampleFormat.cu8, .ci8, .ci16LE, .cf32LE] {
                let row = try measure(format)
                print(row)
            }
        }
    }

    private func measure(_ format: SampleFormat) throws -> String {
        var generator = SeededRandom(seed: 42)
        let byteCount = samples * format.bytesPerSample
        var bytes = [UInt8](repeating: 0, count: byteCount)
        if format == .cf32LE {
            bytes.withUnsafeMutableBytes { raw in
                for k in 0..<(byteCount / 4) { raw.storeBytes(of: Float(generator.nextGaussian() * 0.1), toByteOffset: 4 * k, as: Float.self) }
            }
        } else {
            for k in 0..<byteCount { bytes[k] = UInt8(truncatingIfNeeded: generator.next()) }
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("trustband-bench-\(format.sigmfName).bin").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }

        let output = UnsafeMutableBufferPointer<Float>.allocate(capacity: samples * 2)
        defer { output.deallocate() }
        let times = Timing.measure(repeats: options.repeats) {
            bytes.withUnsafeBytes { SampleConverter.toCF32($0.baseAddress!, format: format, sampleCount: samples, into: output.baseAddress!) }
        }
        let ours = SHA256.hash(data: UnsafeRawBufferPointer(output)).map { String(format: "%02x", $0) }.joined()
        let peerResult = try PeerProcess.run(python: options.python, script: peer, arguments: [path, format.sigmfName, String(options.repeats)])
        let best = Double(samples) / Double(times.best) * 1e3
        let median = Double(samples) / Double(times.median) * 1e3
        let peerBest = peerResult["best_msps"] as? Double ?? .nan
        let peerMedian = peerResult["median_msps"] as? Double ?? .nan
        let identical = (peerResult["sha256"] as? String) == ours ? "yes" : "NO"
        return String(format: "%@ %10.1f %12.1f %12.1f %13.1f %12.2fx", format.sigmfName.padding(toLength: 9, withPad: " ", startingAt: 0) as NSString, best, median, peerBest, peerMedian,
                      best / peerBest) + "  \(identical)"
    }
}

/// Where the repository is, for tools that run from a checkout (peer scripts, fixtures).
public enum RepositoryPaths {
    public static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()
}
