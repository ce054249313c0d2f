import Consensus
import Crypto
import Foundation
import Ledger
import Storage
import Synchronization

/// The contract behind consensus: builds blocks from the mempool, judges proposed blocks by
/// executing every transaction against the committed state (BEAST stage 3), and commits a
/// decided block by adopting the state its validation produced (each block is executed once
/// per node). Shared between the node's actor and its HTTP readers under one lock.
public final class LedgerApplication: Sendable {
    /// A block executed against the committed state.
    struct Execution: Sendable {
        var valid: Bool
        var contract: Contract
        var receipts: [(id: String, kind: String, signer: String, events: [String])]
        /// What the block's end did (round closings, case deadlines…).
        var endEvents: [String] = []
    }

    struct State: Sendable {
        var contract: Contract
        var mempool: Mempool
        var lastCommit: Commit?
        var lastHash: [UInt8] = []
        var executions: [[UInt8]: Execution] = [:]
        /// Why recent transactions were dropped from the mempool, by id (bounded).
        var rejected: [String: Rejection] = [:]
        var rejectedOrder: [String] = []
        var verifyingValidators: ValidatorSet
        /// The sets that vote at the next two heights (a state decides the set two heights on);
        /// blocks name theirs in `validatorsHash`.
        var upcomingValidators: [Int64: ValidatorSet] = [:]
        /// The committed state's hash (computed once per commit).
        var stateHash: String
    }

    let state: Mutex<State>
    let maxBlockTransactions: Int
    let clock: @Sendable () -> Int64
    /// How far ahead of this node's clock a proposed block's time may be (ns): a proposer whose
    /// clock runs ahead cannot drag the chain's time (grant windows, leases) into the future.
    public let maxFutureNs: Int64
    /// This node's validator id (the proposer of the blocks it makes).
    let proposerID: String
    /// Checks the precommits a block carries for its predecessor.
    let verifier: any MessageSigner

    /// `validators`: the set that voted at the committed height (to check a block's last commit).
    public init(contract: Contract, lastCommit: Commit?, validators: ValidatorSet, mempool: Mempool.Limits, maxBlockTransactions: Int,
                proposerID: String, verifier: any MessageSigner, clock: @escaping @Sendable () -> Int64, maxFutureNs: Int64 = 10_000_000_000) {
        self.proposerID = proposerID
        self.maxFutureNs = maxFutureNs
        self.verifier = verifier
        state = Mutex(State(contract: contract, mempool: Mempool(limits: mempool), lastCommit: lastCommit,
                            lastHash: lastCommit?.block.hash ?? [], verifyingValidators: validators, stateHash: contract.stateHash))
        self.maxBlockTransactions = maxBlockTransactions
        self.clock = clock
    }

    /// Reads the committed state.
    public func read<T>(_ body: (Contract) -> T) -> T { state.withLock { body($0.contract) } }

    public var mempoolCount: Int { state.withLock { $0.mempool.count } }

    /// The committed state's hash.
    public var stateHash: String { state.withLock { $0.stateHash } }

    /// The hash of the last committed block (empty before the first).
    public var lastBlockHash: [UInt8] { state.withLock { $0.lastHash } }

    /// Why a transaction left the mempool without being committed, if it did recently.
    public func rejection(of id: String) -> Rejection? { state.withLock { $0.rejected[id] } }

    public func isPending(_ id: String) -> Bool { state.withLock { $0.mempool.contains(id) } }

    /// The nonce `account`'s next transaction needs: after its committed and pending ones.
    public func nextNonce(of account: String) -> UInt64 {
        state.withLock { s in
            let committed = s.contract.accounts[account]?.nonce ?? 0
            return max(committed, s.mempool.bySigner[account]?.keys.max() ?? 0) + 1
        }
    }

    // MARK: Admission

    /// Checks and admits a transaction in wire form; returns its id.
    public func admit(wire: [UInt8]) throws(AdmissionError) -> String {
        let signed: SignedTransaction
        do { signed = try SignedTransaction(wire: wire) } catch { throw .malformed("\(error)") }
        let id = signed.id, tx = signed.transaction
        // Refusals that need no signature check first; then the check (the expensive part)
        // outside the lock, with the signer's account as the committed state has it.
        let (account, cheap) = state.withLock { s in
            let account = s.contract.accounts[tx.signer]
            return (account, s.mempool.cheapRefusal(id: id, signer: tx.signer, nonce: tx.nonce, stateNonce: account?.nonce ?? 0))
        }
        if let cheap { throw Self.admissionError(cheap) }
        do { try Contract.checkSignature(signed, signer: account) } catch { throw .rejected("\(error)") }
        let stateNonce = account?.nonce ?? 0
        return try state.withLock { s throws(AdmissionError) -> String in
            do throws(Mempool.Refusal) {
                try s.mempool.add(Mempool.Entry(id: id, signed: signed, wire: wire), stateNonce: max(stateNonce, s.contract.accounts[signed.transaction.signer]?.nonce ?? 0))
            } catch {
                throw Self.admissionError(error)
            }
            return id
        }
    }

    static func admissionError(_ refusal: Mempool.Refusal) -> AdmissionError {
        switch refusal {
        case .duplicate: return .duplicate(refusal.description)
        case .nonceUsed: return .replay(refusal.description)
        case .nonceTooFar: return .nonceTooFar(refusal.description)
        case .accountFull, .full: return .full(refusal.description)
        }
    }

    // MARK: Consensus hooks

    /// The block to propose: runnable mempool transactions that apply, in order (those that
    /// do not are dropped from the mempool with the reason kept for `/v1/tx/{id}`).
    public func makeBlock(height: Int64, previous: Commit?) -> Block {
        state.withLock { s in
            let time = max(clock(), s.contract.timeNs + 1)
            let candidates = s.mempool.reap(maxTransactions: maxBlockTransactions, maxBytes: 32 << 20) { s.contract.accounts[$0]?.nonce ?? 0 }
            var contract = s.contract
            let context = BlockContext(height: height, timeNs: time, proposer: proposerID)
            var included: [[UInt8]] = [], receipts: [(id: String, kind: String, signer: String, events: [String])] = []
            contract.beginBlock(context)
            for entry in candidates {
                switch contract.apply(entry.signed, signatureChecked: true) {
                case .success(let receipt):
                    included.append(entry.wire)
                    receipts.append((entry.id, entry.signed.transaction.kind, entry.signed.transaction.signer, receipt.events))
                case .failure(let error):
                    s.mempool.remove(id: entry.id)
                    s.noteRejected(entry.id, Rejection(code: error.code, reason: "\(error)"))
                }
            }
            let endEvents = contract.endBlock(context)
            let block = Block(height: height, previousHash: s.lastHash, proposer: proposerID, timeNs: time, transactions: included,
                              lastCommit: previous?.precommits ?? [], validatorsHash: s.upcomingValidators[height]?.hash ?? [])
            s.executions[block.hash] = Execution(valid: true, contract: contract, receipts: receipts, endEvents: endEvents)
            return block
        }
    }

    /// Whether this node prevotes for a valid `block` now: its time is not beyond `maxFutureNs`
    /// ahead of this node's clock. A local judgement on proposals only (not cached): the same
    /// block, decided by the others, commits here all the same (`TendermintCore.isTimely`).
    public func isTimely(_ block: Block) -> Bool { block.timeNs <= clock() &+ maxFutureNs }

    /// Whether a block extends the chain validly on the committed state (cached per block).
    public func isValid(_ block: Block) -> Bool {
        state.withLock { s in
            if let done = s.executions[block.hash] { return done.valid }
            guard block.height == s.contract.height + 1 else { return false }
            let execution = judge(block, s)
            if s.executions.count > 64 { s.executions.removeAll() }
            s.executions[block.hash] = execution
            return execution.valid
        }
    }

    /// Commits a decided block: adopts its executed state, prunes the mempool. Returns what
    /// the store must record (nil if this height is already committed), with the validator
    /// set the new state gives height + 2, and the new state.
    @discardableResult
    public func commit(_ c: Commit) -> (height: CommittedHeight, contract: Contract)? {
        state.withLock { s in
            guard c.block.height == s.contract.height + 1 else { return nil }
            let execution = s.executions[c.block.hash] ?? judge(c.block, s)
            guard execution.valid else { return nil }  // a quorum decided it: cannot happen unless this node's state diverged
            s.contract = execution.contract
            s.lastCommit = c
            s.lastHash = c.block.hash
            s.executions.removeAll()
            let contract = s.contract
            s.stateHash = contract.stateHash
            s.mempool.prune { contract.accounts[$0]?.nonce ?? 0 }
            let future = ValidatorSet(trustOf: contract)
            // The set that signed this height checks the next block's `lastCommit`.
            if let signed = s.upcomingValidators[c.block.height] { s.verifyingValidators = signed }
            s.upcomingValidators = s.upcomingValidators.filter { $0.key > c.block.height }
            s.upcomingValidators[c.block.height + 2] = future
            return (CommittedHeight(commit: c, stateHash: s.stateHash, transactions: execution.receipts, endEvents: execution.endEvents,
                                    futureValidators: future), contract)
        }
    }

    /// The set that signed the last commit (to check the next block's `lastCommit`); after
    /// a restart (then each commit carries it forward from the sets it was given).
    public func setVerifyingValidators(_ set: ValidatorSet) { state.withLock { $0.verifyingValidators = set } }

    /// The set that votes at `height` (after a restart: the next two heights', from the store).
    public func setUpcomingValidators(_ set: ValidatorSet, at height: Int64) { state.withLock { $0.upcomingValidators[height] = set } }

    // MARK: Execution

    private func judge(_ block: Block, _ s: State) -> Execution {
        let invalid = Execution(valid: false, contract: s.contract, receipts: [])
        guard block.previousHash == s.lastHash, block.timeNs > s.contract.timeNs || s.contract.height == 0,
              block.validatorsHash == s.upcomingValidators[block.height]?.hash ?? [] else { return invalid }
        if let last = s.lastCommit {
            let commit = Commit(block: last.block, round: last.round, precommits: block.lastCommit)
            guard s.verifyingValidators.isQuorum(commit.signedPower(in: s.verifyingValidators, signer: verifier)) else { return invalid }
        } else if !block.lastCommit.isEmpty {
            return invalid
        }
        return execute(block, on: s.contract, mempool: s.mempool)
    }

    private func execute(_ block: Block, on committed: Contract, mempool: Mempool) -> Execution {
        var contract = committed
        let context = BlockContext(height: block.height, timeNs: block.timeNs, proposer: block.proposer)
        contract.beginBlock(context)
        var receipts: [(String, String, String, [String])] = []
        for wire in block.transactions {
            // A transaction this node admitted is taken as admitted (decoded, signature checked);
            // any other is decoded and checked in full.
            let signed: SignedTransaction, checked: Bool
            if let id = SignedTransaction.id(ofWire: wire), let admitted = mempool.entry(id, wire: wire) {
                (signed, checked) = (admitted.signed, true)
            } else if let decoded = try? SignedTransaction(wire: wire) {
                (signed, checked) = (decoded, false)
            } else {
                return Execution(valid: false, contract: committed, receipts: [])
            }
            guard case .success(let receipt) = contract.apply(signed, signatureChecked: checked) else {
                return Execution(valid: false, contract: committed, receipts: [])
            }
            receipts.append((signed.id, signed.transaction.kind, signed.transaction.signer, receipt.events))
        }
        let endEvents = contract.endBlock(context)
        return Execution(valid: true, contract: contract, receipts: receipts, endEvents: endEvents)
    }
}

extension LedgerApplication.State {
    mutating func noteRejected(_ id: String, _ rejection: Rejection) {
        if rejected[id] == nil { rejectedOrder.append(id) }
        rejected[id] = rejection
        if rejectedOrder.count > 10_000 { rejected[rejectedOrder.removeFirst()] = nil }
    }
}

/// Why a transaction was dropped from the mempool: the contract's code (`duplicate_evidence`…)
/// and its words.
public struct Rejection: Sendable, Equatable {
    public var code: String
    public var reason: String
}

/// Why `/v1/tx` did not take a transaction; each maps to an HTTP status.
public enum AdmissionError: Error, Sendable, CustomStringConvertible {
    case malformed(String)
    case rejected(String)
    case duplicate(String)
    case replay(String)
    /// The nonce leaves a gap after the account's last committed and pending ones.
    case nonceTooFar(String)
    case full(String)

    public var description: String {
        switch self {
        case .malformed(let m): return m.hasPrefix("malformed") ? m : "malformed transaction: \(m)"
        case .rejected(let m), .duplicate(let m), .replay(let m), .nonceTooFar(let m), .full(let m): return m
        }
    }
}

extension LedgerApplication {
    /// Re-executes a stored block on restart (its commit was verified when it was first
    /// committed); returns false if it does not apply, which means the store is not this
    /// genesis's chain.
    public func replay(_ c: Commit) -> Bool {
        state.withLock { s in
            guard c.block.height == s.contract.height + 1, c.block.previousHash == s.lastHash || s.contract.height == 0 && s.lastHash.isEmpty else { return false }
            let execution = execute(c.block, on: s.contract, mempool: s.mempool)
            guard execution.valid else { return false }
            s.contract = execution.contract
            s.lastCommit = c
            s.lastHash = c.block.hash
            s.stateHash = s.contract.stateHash
            return true
        }
    }

    /// Signing keys of every validator account.
    public var validatorKeys: [String: [UInt8]] {
        read { c in Dictionary(uniqueKeysWithValues: c.accounts.values.filter { $0.role == .validator }.map { ($0.id, $0.signingKey) }) }
    }
}
