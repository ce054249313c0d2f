import ArgumentParser
import Foundation
import Ledger
import Node

/// `trustband devnet --nodes N [--dir DIR]`: N validator processes on loopback with a
/// generated genesis; prints their URLs; Ctrl-C (or SIGTERM) stops them cleanly. Run it again
/// with the same directory and the chain goes on from where it stopped.
struct DevnetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "devnet", abstract: "Run a local devnet of N validator nodes.")

    @Option(help: "Number of validators.")
    var nodes = 4

    @Option(help: "Directory for genesis, keys, configs, data and logs.")
    var dir = ".trustband-devnet"

    @Option(help: "Port of the first node; the others follow.")
    var basePort = 7101

    @Flag(help: "TLS 1.3 on every link: a devnet CA (DIR/tls, named in the genesis), a certificate per node, https peers; clients trust DIR/tls/ca.crt (TRUSTBAND_CA).")
    var tls = false

    func run() async throws {
        guard (1...30).contains(nodes) else { throw ValidationError("--nodes must be 1…30") }
        let configs = try Devnet.create(directory: dir, nodes: nodes, basePort: basePort, devAccounts: DevnetAccounts.standard, tls: tls)
        if tls { try LedgerClient.trust(caFile: dir + "/tls/ca.crt") }
        let devnet = DevnetProcesses(configs: configs, basePort: basePort, tls: tls)
        let stop = SignalWaiter([SIGINT, SIGTERM])
        try devnet.startAll()
        do {
            try await devnet.waitReady()
        } catch {
            devnet.stopAll()
            throw error
        }
        print("devnet of \(nodes) validators running (genesis and logs in \(dir)):")
        for (i, url) in devnet.urls.enumerated() { print("  v\(i + 1)  \(url)   config \(configs[i])") }
        if tls { print("TLS: clients trust \(dir)/tls/ca.crt (curl --cacert, TRUSTBAND_CA=… trustband tx); certificates: trustband certs issue --ca \(dir)/tls …") }
        print("Ctrl-C stops them.")
        let signal = await stop.wait()
        print("\nsignal \(signal): stopping the nodes")
        devnet.stopAll()
    }
}

/// Accounts a devnet's genesis registers with dev keys, for `tx --dev-sign`, demos and benchmarks.
enum DevnetAccounts {
    static let standard: [Devnet.DevAccount] =
        [Devnet.DevAccount(id: "mno-a", role: .mno, deposit: 10_000, balance: 1_000_000)]
        + (0..<64).map { Devnet.DevAccount(id: "sensor-\($0)", role: .sensor, deposit: 50, balance: 1_000) }
        + (0..<64).map { Devnet.DevAccount(id: "user-\($0)", role: .pu, deposit: 100, balance: 1_000_000) }
}

/// Waits for one of some POSIX signals (which stop being fatal to the process meanwhile).
final class SignalWaiter: @unchecked Sendable {
    let stream: AsyncStream<Int32>
    var sources: [any DispatchSourceSignal] = []

    init(_ signals: [Int32]) {
        let (stream, continuation) = AsyncStream.makeStream(of: Int32.self)
        self.stream = stream
        for s in signals {
            signal(s, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: s, queue: .global())
            source.setEventHandler { continuation.yield(s) }
            source.resume()
            sources.append(source)
        }
    }

    func wait() async -> Int32 {
        for await s in stream { return s }
        return 0
    }
}
