import AsyncHTTPClient
import Consensus
import CoreMetrics
import NIOHTTP1
import Crypto
import Evidence
import Foundation
import Synchronization
import Ledger
import Logging
import NIOCore
import NIOSSL
import Storage
import TransportSecurity

/// A validator node: the consensus core driven by peer messages and timers, the contract
/// behind it, the store under it. Every input to the core goes through this actor, one at a
/// time; reads of the state go straight to `application` (its own lock).
public actor LedgerNode {
    public nonisolated let configuration: NodeConfiguration
    public nonisolated let application: LedgerApplication
    public nonisolated let store: LedgerStore
    /// The server's TLS context (nil: plain HTTP), following its files for rotation.
    public nonisolated let tls: ReloadingTLSContext?
    /// With TLS: the client for catch-up reads of peers, presenting this node's certificate
    /// (the serial it was made with: a rotated certificate gets a new client).
    var peerClient: (client: HTTPClient, serial: String)?
    /// Faults this node commits on purpose (the fault campaign only).
    let faults: NodeFaults
    let signer: NodeSigner
    let transport: PeerTransport
    /// For catch-up reads of peers' blocks.
    let client: HTTPClient
    let sink: CommitSink
    let logger: Logger
    let metrics = NodeMetrics()
    var core: TendermintCore
    /// Conflicting vote pairs of the core already turned into `equivocation` transactions.
    var reportedEquivocations = 0
    /// When the current height began (monotonic ns): how long it has waited for transactions.
    var heightStartedNs = DispatchTime.now().uptimeNanoseconds
    let startedAt = ContinuousClock.now

    /// Opens the store, rebuilds the state from the newest snapshot and the blocks after it,
    /// and prepares consensus at the next height.
    public init(configuration: NodeConfiguration, logger: Logger, client: HTTPClient = .shared,
                clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1e9) }, faults: NodeFaults = NodeFaults()) throws(NodeError) {
        self.configuration = configuration
        self.faults = faults
        self.logger = logger
        let key = try Self.loadKey(configuration.key)
        let genesis: Genesis
        do {
            guard let data = FileManager.default.contents(atPath: configuration.genesis) else { throw NodeError.genesis("cannot read \(configuration.genesis)") }
            genesis = try Genesis.parse(json: data)
        } catch let error as NodeError { throw error } catch { throw .genesis("\(error)") }
        let tls = try Self.loadTLS(configuration, genesis: genesis, logger: logger)
        self.tls = tls
        do {
            try FileManager.default.createDirectory(atPath: configuration.dataDir, withIntermediateDirectories: true)
            store = try LedgerStore(path: configuration.dataDir + "/ledger.sqlite")
            signer = try NodeSigner(id: configuration.id, key: key, store: store)
        } catch { throw .storage("\(error)") }

        var contract: Contract
        do { contract = try Contract(genesis: genesis) } catch { throw .genesis("\(error)") }
        let genesisSet = ValidatorSet(trustOf: contract)
        guard !genesisSet.members.isEmpty else { throw .genesis("no validator has trust at or above the threshold") }
        guard let mine = contract.accounts[configuration.id], mine.signingKey == Array(key.publicKey.rawRepresentation) else {
            throw .key("the key in \(configuration.key) is not the signing key of account \(configuration.id) in the genesis")
        }
        let last: Int64
        do {
            try store.initialize(genesisValidators: genesisSet)
            last = try store.lastHeight()
            if let snapshot = try store.latestSnapshot(), snapshot.height <= last {
                contract = try Contract.restore(snapshot: snapshot.state, stateHash: snapshot.stateHash)
            }
        } catch { throw .storage("\(error)") }
        let snapshotCommit = contract.height > 0 ? (try? store.commit(at: contract.height)) ?? nil : nil
        application = LedgerApplication(contract: contract, lastCommit: snapshotCommit, validators: genesisSet, mempool: configuration.mempool,
                                        maxBlockTransactions: configuration.blockMaxTransactions, proposerID: configuration.id, verifier: signer, clock: clock,
                                        maxFutureNs: configuration.timeouts.maxClockSkewMs * 1_000_000)
        var from = contract.height + 1
        while from <= last {
            guard let commit = try? store.commit(at: from), application.replay(commit) else { throw .diverged("stored block \(from) does not apply to the state") }
            let expected = try? store.stateHash(at: from)
            let actual = application.stateHash
            guard expected == actual else { throw .diverged("state hash after block \(from) is \(actual), the store recorded \(expected ?? "none")") }
            from += 1
        }
        signer.setKeys(application.validatorKeys)
        let height = last + 1
        let validators: ValidatorSet, next: ValidatorSet?
        do {
            validators = try store.validators(at: height) ?? genesisSet
            next = try store.validators(at: height + 1)
            application.setUpcomingValidators(validators, at: height)
            if let next { application.setUpcomingValidators(next, at: height + 1) }
            if let signed = try store.validators(at: last) { application.setVerifyingValidators(signed) }
        } catch { throw .storage("\(error)") }
        transport = PeerTransport(selfID: configuration.id, peers: configuration.peers, logger: logger,
                                  tls: Self.clientTLS(tls), faults: faults)
        self.client = client
        sink = CommitSink(store: store, application: application, signer: signer, snapshotEvery: configuration.snapshotEvery, logger: logger)
        var settings = TendermintCore.Configuration()
        settings.timeoutBaseNs = configuration.timeouts.baseMs * 1_000_000
        settings.timeoutIncrementNs = configuration.timeouts.incrementMs * 1_000_000
        settings.resendNs = configuration.timeouts.resendMs * 1_000_000
        settings.retainedCommits = 4
        settings.commitWaitNs = configuration.timeouts.commitWaitMs * 1_000_000
        settings.termLength = application.read { $0.parameters.termLength }
        let app = application, sink = sink
        core = TendermintCore(id: configuration.id, validators: validators, signer: signer, configuration: settings, startHeight: height,
                              lastCommit: last > 0 ? (try? store.commit(at: last)) ?? nil : nil,
                              makeBlock: { h, _, previous in app.makeBlock(height: h, previous: previous) },
                              isValid: { app.isValid($0) }, isTimely: { app.isTimely($0) },
                              didDecide: { sink.persist($0) })
        if let next { core.setValidators(next, at: height + 1) }
        logger.info("node ready", metadata: ["id": "\(configuration.id)", "height": "\(last)", "state": "\(application.stateHash)"])
    }

    static func clientTLS(_ context: ReloadingTLSContext?) -> (@Sendable () -> TLSConfiguration)? {
        guard let context else { return nil }
        return { context.material.clientConfiguration() }
    }

    static func loadKey(_ directory: String) throws(NodeError) -> Curve25519.Signing.PrivateKey {
        let path = directory + "/" + SensorKeys.signingFile
        guard FileManager.default.fileExists(atPath: path) else { throw .key("cannot read \(path) (write one with `trustband keygen --out \(directory)`)") }
        do { return try SensorKeys.loadSigningKey(path) } catch { throw .key("\(error)") }
    }

    // MARK: Running

    /// Starts consensus, the peer senders and the catch-up loop; returns when cancelled.
    public func run() async {
        handle(core.start())
        await withDiscardingTaskGroup { group in
            group.addTask { await self.transport.run() }
            group.addTask { await self.catchUpLoop() }
            if let tls {
                let expiry = metrics.tlsExpiry
                group.addTask { await tls.run(onExpiry: { expiry.record($0) }) }
            }
        }
        try? await peerClient?.client.shutdown()
        peerClient = nil
    }

    /// The client for reads of peers: a TLS one presenting this node's current certificate, made
    /// again once the certificate was rotated (the old one is shut down: a read still on it
    /// fails, and catch-up asks again a second later).
    func peerReadClient() -> HTTPClient {
        guard let tls else { return client }
        let material = tls.material
        if let current = peerClient, current.serial == material.serial { return current.client }
        if let old = peerClient?.client { Task { try? await old.shutdown() } }
        let fresh = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: material.clientConfiguration()))
        peerClient = (fresh, material.serial)
        return fresh
    }

    func handle(_ effects: [ConsensusEffect]) {
        for effect in effects {
            switch effect {
            case .broadcast(let m):
                transport.broadcast(.messages, m.wireBytes)
                if faults.equivocate { equivocate(m) }
            case .send(let m, let to): transport.send(.messages, m.wireBytes, to: to)
            case .schedule(let timeout, let afterNs):
                schedule(timeout, afterNs: afterNs)
            case .commit(let c):
                heightStartedNs = DispatchTime.now().uptimeNanoseconds
                metrics.blocks.increment()
                metrics.committedTransactions.increment(by: c.block.transactions.count)
                metrics.height.record(c.block.height)
            }
        }
        metrics.round.record(core.round)
        metrics.mempool.record(application.mempoolCount)
        if core.equivocations.count > reportedEquivocations { reportEquivocations() }
    }

    /// Two conflicting signed votes by one validator are proof (DESIGN.md section 5): each pair
    /// the core saw is submitted, signed by this validator, as an `equivocation` transaction,
    /// which slashes the offender's deposit and trust once the block carrying it commits (the
    /// contract punishes one (validator, height, round, step) once, whoever reports it first).
    func reportEquivocations() {
        for (first, second) in core.equivocations[reportedEquivocations...] {
            let offender = first.vote.validator
            do {
                let tx = try Transaction(signer: configuration.id, nonce: application.nextNonce(of: configuration.id),
                                         body: .equivocation(first: first, second: second)).signed(by: signer.key)
                let id = try submit(tx.wireBytes)
                logger.warning("validator equivocated; evidence submitted", metadata: [
                    "validator": "\(offender)", "height": "\(first.vote.height)", "round": "\(first.vote.round)", "tx": "\(id)"])
            } catch {
                logger.notice("equivocation evidence not submitted", metadata: ["validator": "\(offender)", "error": "\(error)"])
            }
        }
        reportedEquivocations = core.equivocations.count
    }

    nonisolated func schedule(_ timeout: Timeout, afterNs: Int64) {
        Task { [weak self] in
            try? await Task.sleep(nanoseconds: UInt64(max(0, afterNs)))
            await self?.fire(timeout)
        }
    }

    /// A timer fired. After a commit the next round waits for a transaction (or a peer's
    /// proposal) up to `timeouts.emptyBlockMs`, checking every 10 ms, so that an idle chain
    /// does not commit empty blocks back to back.
    func fire(_ timeout: Timeout) {
        if timeout.step == .commitWait, timeout.height == core.height, !core.hasProposal, application.mempoolCount == 0,
           DispatchTime.now().uptimeNanoseconds - heightStartedNs < UInt64(configuration.timeouts.emptyBlockMs) * 1_000_000 {
            schedule(timeout, afterNs: 10_000_000)
            return
        }
        handle(core.fire(timeout))
    }

    /// Consensus messages from a peer (already unframed).
    public func receive(_ messages: [[UInt8]]) -> (accepted: Int, malformed: [String]) {
        var accepted = 0, malformed: [String] = []
        for bytes in messages {
            do {
                let message = try ConsensusMessage(wire: bytes)
                accepted += 1
                handle(core.receive(message))
            } catch {
                malformed.append(error.description)
            }
        }
        metrics.peerMessages.increment(by: accepted)
        return (accepted, malformed)
    }

    /// A client's transaction: admitted to the mempool and gossiped to the peers.
    public nonisolated func submit(_ wire: [UInt8]) throws(AdmissionError) -> String {
        do {
            let id = try application.admit(wire: wire)
            metrics.accepted.increment()
            transport.broadcast(.transactions, wire)
            return id
        } catch {
            metrics.refused(error.code)
            throw error
        }
    }

    /// Transactions a peer gossiped (admitted here too, not forwarded again).
    public nonisolated func gossiped(_ wires: [[UInt8]]) -> Int {
        wires.reduce(0) { n, wire in (try? application.admit(wire: wire)) != nil ? n + 1 : n }
    }

    public struct Status: Sendable {
        public var id: String
        public var height: Int64
        public var round: Int64
        public var lastBlockHash: [UInt8]
        public var stateHash: String
        public var validators: ValidatorSet
        public var mempool: Int
        public var peers: [String]
        public var uptimeSeconds: Double
    }

    public func status() -> Status {
        let elapsed = startedAt.duration(to: .now)
        return Status(id: configuration.id, height: core.height - 1, round: core.round, lastBlockHash: application.lastBlockHash,
                      stateHash: application.stateHash, validators: core.validators, mempool: application.mempoolCount,
                      peers: transport.peers.map(\.id), uptimeSeconds: Double(elapsed.components.seconds))
    }

    // MARK: Catch-up

    /// Every second, asks peers how far they are; if one is ahead, fetches the commits this
    /// node lacks and feeds them to the core, which checks each against the validator set.
    func catchUpLoop() async {
        while !Task.isCancelled {
            for peer in transport.peers {
                guard let theirs = await peerHeight(peer), theirs >= core.height else { continue }
                while core.height <= theirs, !Task.isCancelled {
                    let want = core.height
                    guard let commit = await fetchCommit(want, from: peer) else { break }
                    handle(core.receive(.decision(commit)))
                    if core.height == want {
                        logger.warning("fetched commit did not verify", metadata: ["peer": "\(peer.id)", "height": "\(want)"])
                        break
                    }
                    metrics.catchUpBlocks.increment()
                }
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    func peerHeight(_ peer: NodeConfiguration.Peer) async -> Int64? {
        guard let body = await get(peer.url + "/v1/status", limit: 1 << 20),
              let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else { return nil }
        return (object["height"] as? NSNumber)?.int64Value
    }

    func fetchCommit(_ height: Int64, from peer: NodeConfiguration.Peer) async -> Commit? {
        guard let body = await get(peer.url + "/v1/blocks/\(height)/commit", limit: 256 << 20) else { return nil }
        return try? Commit(wire: body)
    }

    func get(_ url: String, limit: Int) async -> [UInt8]? {
        do {
            let response = try await peerReadClient().execute(HTTPClientRequest(url: url), timeout: .seconds(10))
            guard response.status.code == 200 else { return nil }
            return Array(buffer: try await response.body.collect(upTo: limit))
        } catch {
            return nil
        }
    }
}

/// What the core's decision hook does, synchronously, before the next height starts:
/// commit the block in the application, write it to the store, and return the validator set
/// it determines (for height + 2) to the core.
final class CommitSink: Sendable {
    let store: LedgerStore
    let application: LedgerApplication
    let signer: NodeSigner
    let snapshotEvery: Int64
    let logger: Logger
    /// A snapshot is being written (at most one at a time; a due one is skipped meanwhile).
    let snapshotting = Mutex(false)

    init(store: LedgerStore, application: LedgerApplication, signer: NodeSigner, snapshotEvery: Int64, logger: Logger) {
        self.store = store
        self.application = application
        self.signer = signer
        self.snapshotEvery = snapshotEvery
        self.logger = logger
    }

    /// Returns the validator set for height + 2 (nil: keep the current one).
    func persist(_ c: Commit) -> ValidatorSet? {
        let height = c.block.height
        guard let (committed, contract) = application.commit(c) else {
            logger.critical("decided block does not apply to this node's state", metadata: ["height": "\(height)"])
            return nil
        }
        do {
            try store.append(committed)
        } catch {
            // The store is the node's memory: without it the node must not go on voting.
            logger.critical("cannot write block; stopping", metadata: ["height": "\(height)", "error": "\(error)"])
            exit(70)
        }
        signer.setKeys(application.validatorKeys)
        if height % snapshotEvery == 0 { writeSnapshot(contract, height: height, stateHash: committed.stateHash) }
        return committed.futureValidators
    }

    /// Encodes and stores a snapshot off consensus's path, at the lowest CPU priority (the state
    /// is a value: this copy costs little and does not change). One at a time: a height that
    /// comes due while one is still being written is skipped. A restart replays the blocks
    /// after the newest snapshot.
    func writeSnapshot(_ contract: Contract, height: Int64, stateHash: String) {
        guard snapshotting.withLock({ busy in defer { busy = true }; return !busy }) else { return }
        BackgroundWorker.lowPriority.submit { [self] in
            defer { snapshotting.withLock { $0 = false } }
            do {
                try store.writeSnapshot(height: height, stateHash: stateHash, state: try contract.snapshot())
            } catch {
                logger.warning("snapshot not written; a restart replays more blocks", metadata: ["height": "\(height)", "error": "\(error)"])
            }
        }
    }
}

extension AdmissionError {
    /// The machine-readable code of the refusal (in the API's replies and the metrics' labels).
    public var code: String {
        switch self {
        case .malformed: return "malformed"
        case .rejected: return "rejected"
        case .duplicate: return "duplicate"
        case .replay: return "replay"
        case .nonceTooFar: return "nonce_too_far"
        case .full: return "full"
        }
    }
}
