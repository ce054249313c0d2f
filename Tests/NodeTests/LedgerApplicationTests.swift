import Consensus
import Crypto
import Ledger
import Node
import Storage
import Testing

@Suite("Ledger application")
struct LedgerApplicationTests {
    struct NoVerifier: MessageSigner {
        func sign(_ bytes: [UInt8], as validator: String) -> [UInt8] { [] }
        func verify(_ signature: [UInt8], of bytes: [UInt8], by validator: String) -> Bool { false }
    }

    static func application(clock: @escaping @Sendable () -> Int64 = { 2_000 }, maxFutureNs: Int64 = 10_000_000_000) throws -> LedgerApplication {
        let genesis = Genesis(accounts: [
            .init(id: "v1", role: .validator, signingKey: Array(DevKeys.signing("v1").publicKey.rawRepresentation),
                  agreementKey: Array(DevKeys.agreement("v1").publicKey.rawRepresentation), deposit: 400, balance: 0),
            .init(id: "user-1", role: .pu, signingKey: Array(DevKeys.signing("user-1").publicKey.rawRepresentation),
                  agreementKey: Array(DevKeys.agreement("user-1").publicKey.rawRepresentation), deposit: 100, balance: 1_000),
        ], timeNs: 1_000)
        let contract = try Contract(genesis: genesis)
        return LedgerApplication(contract: contract, lastCommit: nil, validators: ValidatorSet(trustOf: contract), mempool: .init(),
                                 maxBlockTransactions: 100, proposerID: "v1", verifier: NoVerifier(), clock: clock, maxFutureNs: maxFutureNs)
    }

    @Test("a proposed transaction whose signature was swapped is judged by its own bytes, not by the admitted twin with the same id")
    func swappedSignature() throws {
        let app = try Self.application()
        let tx = try Transaction(signer: "user-1", nonce: 1, body: .topUp(amount: 5)).signed(by: DevKeys.signing("user-1"))
        #expect(try app.admit(wire: tx.wireBytes) == tx.id)
        var forged = tx
        forged.signature = Array(repeating: 1, count: 64)
        #expect(forged.id == tx.id)
        func block(_ t: SignedTransaction) -> Block {
            Block(height: 1, previousHash: [], proposer: "v1", timeNs: 2_000, transactions: [t.wireBytes], lastCommit: [])
        }
        #expect(!app.isValid(block(forged)))
        #expect(app.isValid(block(tx)))
    }

    @Test("blocks name the validator set of their height: the one made names it, one naming another set is refused")
    func validatorsHash() throws {
        let app = try Self.application()
        let set = app.read { ValidatorSet(trustOf: $0) }
        app.setUpcomingValidators(set, at: 1)
        let made = app.makeBlock(height: 1, previous: nil)
        #expect(made.validatorsHash == set.hash && !set.hash.isEmpty)
        #expect(app.isValid(made))
        let other = ValidatorSet(set.members.map { Validator(id: $0.id, power: $0.power + 1, key: $0.key) })
        for hash in [[], other.hash] {
            #expect(!app.isValid(Block(height: 1, previousHash: [], proposer: "v1", timeNs: 2_000, transactions: [], lastCommit: [], validatorsHash: hash)))
        }
        #expect(app.isValid(Block(height: 1, previousHash: [], proposer: "v1", timeNs: 2_001, transactions: [], lastCommit: [], validatorsHash: set.hash)))
        // Committing height 1 decides the set of height 3.
        let future = try #require(app.commit(Commit(block: made, round: 0, precommits: []))).height.futureValidators
        #expect(future == set)
    }

    @Test("a validator executing a proposed block reaches the proposer's state, the block's end included")
    func validatorMatchesProposer() throws {
        // One validator has the transaction from gossip (admitted: executed as admitted), the
        // other sees it first in the block (decoded and checked there).
        let proposer = try Self.application(), validator = try Self.application(), gossiped = try Self.application()
        let tx = try Transaction(signer: "user-1", nonce: 1, body: .topUp(amount: 5)).signed(by: DevKeys.signing("user-1"))
        _ = try proposer.admit(wire: tx.wireBytes)
        _ = try gossiped.admit(wire: tx.wireBytes)
        let made = proposer.makeBlock(height: 1, previous: nil)
        #expect(made.transactions == [tx.wireBytes])
        #expect(validator.isValid(made) && gossiped.isValid(made))
        let commit = Commit(block: made, round: 0, precommits: [])
        let mine = try #require(proposer.commit(commit)).height, theirs = try #require(validator.commit(commit)).height
        #expect(try #require(gossiped.commit(commit)).height.stateHash == mine.stateHash)
        // The block's end counts the proposer's production: a state change every block.
        #expect(mine.endEvents == theirs.endEvents)
        let before = try Self.application().read { $0.stateHash }
        #expect(mine.stateHash == theirs.stateHash && mine.stateHash != before)
        #expect(mine.transactions.map(\.id) == [tx.id] && theirs.transactions.map(\.id) == [tx.id])
    }

    @Test("a block timed beyond max_clock_skew ahead of this node's clock is not prevoted for, yet commits here once the others decide it")
    func futureBlock() throws {
        let now: Int64 = 1_000_000_000_000
        let app = try Self.application(clock: { now }, maxFutureNs: 10_000_000_000)
        let set = app.read { ValidatorSet(trustOf: $0) }
        app.setUpcomingValidators(set, at: 1)
        func block(at time: Int64) -> Block {
            Block(height: 1, previousHash: [], proposer: "v1", timeNs: time, transactions: [], lastCommit: [], validatorsHash: set.hash)
        }
        #expect(app.isTimely(block(at: now + 10_000_000_000)) && app.isValid(block(at: now + 10_000_000_000)), "at the bound")
        let ahead = block(at: now + 3_600_000_000_000)
        #expect(!app.isTimely(ahead), "a proposer an hour ahead")
        // Valid all the same: once decided, it commits here (the core adopts it).
        #expect(app.isValid(ahead))
        // Decided anyway (by validators whose clocks agree with it): this node follows.
        let committed = try #require(app.commit(Commit(block: ahead, round: 0, precommits: [])))
        #expect(committed.height.stateHash == app.stateHash)
        #expect(app.read { $0.timeNs } == ahead.timeNs)
    }
}
