#if canImport(Glibc)
import Glibc
#endif
import Agent
import ArgumentParser
import Foundation
import Signal

/// `trustband bench liveview`: what the agent's live view costs. A radio's blocks (noise) are
/// offered to the spectrum monitor at the radio's pace, as the capture thread does; the process's
/// CPU time is measured with nobody watching and with one viewer that takes every message (and
/// copies it, as a socket write would). The view's cost is the difference, in % of one core.
struct LiveViewBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "liveview", abstract: "CPU the agent's live view costs at a radio's rate, with no viewer and with one.")

    @Option(help: "Samples per second offered (the radio's rate).")
    var rate = 10e6

    @Option(help: "Seconds per measurement.")
    var seconds = 5.0

    func run() throws {
        #if DEBUG
        print("warning: debug build; run `swift run -c release trustband bench liveview` for real figures\n")
        #endif
        let idle = measure(viewers: 0)
        let watched = measure(viewers: 1)
        print(String(format: "live view at %.1f MS/s offered, %.0f s each:", rate / 1e6, seconds))
        print(String(format: "  nobody watching: %5.2f %% of one core (the pacing loop alone), %d frames", idle.cpu, idle.frames))
        print(String(format: "  one viewer:      %5.2f %% of one core, %d frames (%.1f /s), %.0f KB/s to the viewer", watched.cpu, watched.frames,
                     Double(watched.frames) / seconds, watched.bytes / seconds / 1024))
        print(String(format: "  the view's cost: %5.2f %% of one core (goal < 5 %%); with nobody watching the monitor computes nothing", watched.cpu - idle.cpu))
    }

    /// Process CPU time / wall time while offering `rate` samples a second for `seconds`.
    func measure(viewers: Int) -> (cpu: Double, frames: Int, bytes: Double) {
        let view = LiveView(), monitor = SpectrumMonitor(view: view)
        let received = Counter()
        let consumer: Task<Void, Never>? = viewers > 0 ? Task.detached {
            let (id, messages) = view.subscribe()
            for await message in messages {
                let copy = Array(message.utf8)  // what a socket write copies
                received.add(copy.count)
                if Task.isCancelled { break }
            }
            view.unsubscribe(id)
        } : nil
        if viewers > 0 { while view.viewers == 0 { usleep(1_000) } }
        let block = 16_384
        var rng = SeededRandom(seed: 1)
        let samples = (0..<block).map { _ in IQ(i: Float(rng.nextGaussian()), q: Float(rng.nextGaussian())) }
        let blockTime = Double(block) / rate
        let startCPU = Self.processCPU(), start = Date()
        var sent = 0.0
        while Date().timeIntervalSince(start) < seconds {
            samples.withUnsafeBufferPointer { monitor.offer($0, rate: rate, center: 3.56e9) }
            sent += blockTime
            let ahead = sent - Date().timeIntervalSince(start)
            if ahead > 0 { usleep(useconds_t(ahead * 1e6)) }
        }
        let cpu = (Self.processCPU() - startCPU) / Date().timeIntervalSince(start) * 100
        consumer?.cancel()
        return (cpu, view.framesPublished, Double(received.value))
    }

    static func processCPU() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var total = 0
        func add(_ n: Int) { lock.lock(); total += n; lock.unlock() }
        var value: Int { lock.lock(); defer { lock.unlock() }; return total }
    }
}
