import ArgumentParser
import Foundation
import Signal

/// Options every benchmark shares: how often to time, and the Python that runs the peer.
struct BenchOptions: ParsableArguments {
    @Option(help: "Timed repetitions (best and median are reported).")
    var repeats = 5

    @Option(help: "Python interpreter with numpy and scipy (default: $TRUSTBAND_PYTHON, else python3).")
    var python = ProcessInfo.processInfo.environment["TRUSTBAND_PYTHON"] ?? "python3"
}

/// Wall-clock timing of repeated runs.
enum Timing {
    /// Runs `body` `repeats` times; returns the best and median durations in nanoseconds.
    /// On a terminal, the repetitions done are shown between runs (never inside a timed one).
    static func measure(repeats: Int, _ body: () throws -> Void) rethrows -> (best: Int64, median: Int64) {
        let progress = TerminalProgress(enabled: true)
        var times: [Int64] = []
        for n in 0..<max(1, repeats) {
            times.append(try once(body))
            progress.update(done: n + 1, of: max(1, repeats), unit: "runs", label: "timing")
        }
        progress.finish()
        return bestAndMedian(times)
    }

    /// The shortest and the median of `times` (at least one).
    static func bestAndMedian(_ times: [Int64]) -> (best: Int64, median: Int64) {
        let sorted = times.sorted()
        return (sorted[0], sorted[sorted.count / 2])
    }

    /// The duration of one run of `body`, in nanoseconds.
    static func once(_ body: () throws -> Void) rethrows -> Int64 {
        let clock = SystemPacingClock()
        let start = clock.now()
        try body()
        return clock.now() - start
    }

    /// Runs each of `bodies` once per round, `repeats` rounds, so that every one sees the
    /// machine as it was in each round (its speed moves between runs here); returns, for each,
    /// the best and median durations in nanoseconds and its duration in every round.
    static func interleaved(repeats: Int, _ bodies: [() throws -> Void]) throws -> [(best: Int64, median: Int64, rounds: [Int64])] {
        let progress = TerminalProgress(enabled: true)
        let rounds = max(1, repeats)
        var times = [[Int64]](repeating: [], count: bodies.count)
        for n in 0..<rounds {
            for (index, body) in bodies.enumerated() { times[index].append(try once(body)) }
            progress.update(done: n + 1, of: rounds, unit: "rounds", label: "timing")
        }
        progress.finish()
        return times.map { rounds in
            let summary = bestAndMedian(rounds)
            return (summary.best, summary.median, rounds)
        }
    }

    /// The median over rounds of `numerator`'s time over `denominator`'s in the same round.
    static func medianRatio(_ numerator: [Int64], _ denominator: [Int64]) -> Double {
        let ratios = zip(numerator, denominator).map { Double($0) / Double($1) }.sorted()
        return ratios.isEmpty ? .nan : ratios[ratios.count / 2]
    }
}

/// Runs a benchmark peer script that prints one JSON object.
enum PeerProcess {
    /// Runs a Python peer script and parses the JSON it prints.
    static func run(python: String, script: String, arguments: [String]) throws -> [String: Any] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, script] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw UserFacingError(message: "the peer (\(python) \(script)) failed; are numpy and scipy installed?")
        }
        return object
    }
}

/// Prints a line at once, even into a pipe (a long benchmark shows its progress as it goes).
func say(_ text: String = "") {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}
