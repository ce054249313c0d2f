import Consensus
import Crypto
import Foundation
import GRDB
import Ledger
import Storage
import Testing

@Suite("Ledger store")
struct LedgerStoreTests {
    static func path() -> String { NSTemporaryDirectory() + "store-\(UUID().uuidString).sqlite" }

    /// A transaction id (64 hex digits) that names `n`.
    static func txID(_ n: Int64, position: Int = 0) -> String {
        Array(SHA256.hash(data: Array("tx-\(n)-\(position)".utf8))).map { String(format: "%02x", $0) }.joined()
    }

    static func commit(_ height: Int64, previous: [UInt8]) -> Commit {
        let block = Block(height: height, previousHash: previous, proposer: "v1", timeNs: height * 1_000, transactions: [[1, 2, UInt8(height & 0xff)]], lastCommit: [])
        let vote = ConsensusVote(step: .precommit, height: height, round: 0, blockHash: block.hash, validator: "v1")
        return Commit(block: block, round: 0, precommits: [SignedVote(vote: vote, signature: Array(repeating: 9, count: 64))])
    }

    @Test("heights append in order, survive reopening, and a gap is refused")
    func appendAndReopen() throws {
        let path = Self.path()
        let set = ValidatorSet([Validator(id: "v1", power: 10), Validator(id: "v2", power: 20)])
        var previous: [UInt8] = []
        do {
            let store = try LedgerStore(path: path)
            try store.initialize(genesisValidators: set)
            for h in 1...5 as ClosedRange<Int64> {
                let c = Self.commit(h, previous: previous)
                previous = c.block.hash
                try store.append(CommittedHeight(commit: c, stateHash: "s\(h)", transactions: [(id: Self.txID(h), kind: "demand", signer: "u", events: ["e\(h)"])],
                                                 futureValidators: ValidatorSet([Validator(id: "v1", power: h)])))
                if h == 4 { try store.writeSnapshot(height: 4, stateHash: "s4", state: [7, 7]) }
            }
            #expect(throws: StorageError.self) { try store.append(CommittedHeight(commit: Self.commit(7, previous: []), stateHash: "", transactions: [], futureValidators: set)) }
        }
        let store = try LedgerStore(path: path)
        #expect(try store.lastHeight() == 5)
        #expect(try store.commit(at: 3) == Self.commit(3, previous: try store.commit(at: 2)!.block.hash))
        #expect(try store.stateHash(at: 5) == "s5")
        #expect(try store.transaction(id: Self.txID(4))?.height == 4)
        #expect(try store.transaction(id: Self.txID(4))?.events == ["e4"])
        #expect(try store.validators(at: 1) == set)
        #expect(try store.validators(at: 7)?.members == [Validator(id: "v1", power: 5)])
        #expect(try store.latestSnapshot()?.height == 4)
        try? FileManager.default.removeItem(atPath: path)
    }

    @Test("snapshots live in their own database beside the blocks; an older store's is still read; losing the file loses only snapshots")
    func snapshotDatabase() throws {
        let path = Self.path()
        #expect(LedgerStore.snapshotPath(for: "/data/ledger.sqlite") == "/data/ledger.snapshots.sqlite")
        do {
            let store = try LedgerStore(path: path)
            try store.append(CommittedHeight(commit: Self.commit(1, previous: []), stateHash: "s1", transactions: [], futureValidators: ValidatorSet([])))
            try store.writeSnapshot(height: 1, stateHash: "s1", state: [1])
        }
        #expect(FileManager.default.fileExists(atPath: LedgerStore.snapshotPath(for: path)))
        let blocks = try DatabaseQueue(path: path)
        #expect(try blocks.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM snapshot") } == 0)
        // A snapshot a store of before kept in the blocks' database: read when it is the newer.
        try blocks.write { try $0.execute(sql: "INSERT INTO snapshot (height, state_hash, state) VALUES (5, 's5', x'05')") }
        #expect(try LedgerStore(path: path).latestSnapshot()?.height == 5)
        try LedgerStore(path: path).writeSnapshot(height: 9, stateHash: "s9", state: [9])
        #expect(try LedgerStore(path: path).latestSnapshot()?.state == [9])
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: LedgerStore.snapshotPath(for: path) + suffix) }
        let reopened = try LedgerStore(path: path)
        #expect(try reopened.latestSnapshot()?.height == 5)
        #expect(try reopened.lastHeight() == 1)
    }

    @Test("the last signed vote is kept per validator")
    func signState() throws {
        let store = try LedgerStore(path: Self.path())
        #expect(try store.lastSigned(by: "v1") == nil)
        let record = SignedRecord(height: 3, round: 1, step: 2, payload: [1, 2], signature: [3])
        try store.recordSigned(record, by: "v1")
        #expect(try store.lastSigned(by: "v1") == record)
    }

    @Test("a contract snapshot restores to the same state hash; a tampered one is refused")
    func snapshotRoundTrip() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/scenarios/basic.json")
        let run = try Scenario.run(json: try Data(contentsOf: url), devSign: true)
        let bytes = try run.contract.snapshot()
        let restored = try Contract.restore(snapshot: bytes, stateHash: run.contract.stateHash)
        #expect(restored.stateHash == run.contract.stateHash)
        #expect(!restored.cases.isEmpty)
        var text = String(decoding: bytes, as: UTF8.self)
        text = text.replacingOccurrences(of: "\"balance\":", with: "\"balance\":1")
        #expect(throws: LedgerError.self) { try Contract.restore(snapshot: Array(text.utf8), stateHash: run.contract.stateHash) }
        // Arrival order is part of the state: the same evidence in another order is another state.
        var object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        let order = try #require(object["evidenceOrder"] as? [String])
        try #require(order.count >= 2)
        object["evidenceOrder"] = Array(order.reversed())
        let reordered = try JSONSerialization.data(withJSONObject: object)
        #expect(throws: LedgerError.self) { try Contract.restore(snapshot: Array(reordered), stateHash: run.contract.stateHash) }
        // And an order that names a record the evidence does not hold is refused as malformed.
        object["evidenceOrder"] = ["not-a-record"] + order.dropFirst()
        #expect(throws: LedgerError.self) { try Contract.restore(snapshot: Array(try JSONSerialization.data(withJSONObject: object)), stateHash: run.contract.stateHash) }
    }
}
