import Consensus
import Foundation
import GRDB
import Storage
import Testing

/// Receipts are stored by height and their ids indexed in sorted batches; a transaction is
/// found by id wherever it is in that cycle, across restarts, and from a v1 store.
@Suite("Receipt index")
struct ReceiptIndexTests {
    static let set = ValidatorSet([Validator(id: "v1", power: 10)])

    /// Appends heights with `perBlock` transactions each; `settle`: waits for each batch of
    /// the id index to be written before the next append (so batches fall at known heights).
    static func fill(_ store: LedgerStore, heights: ClosedRange<Int64>, perBlock: Int, previous: inout [UInt8], settle: Bool = true) throws {
        for h in heights {
            let c = LedgerStoreTests.commit(h, previous: previous)
            previous = c.block.hash
            let txs = (0..<perBlock).map { (id: LedgerStoreTests.txID(h, position: $0), kind: "demand", signer: "u\($0)", events: ["e\(h)", "p\($0)"]) }
            try store.append(CommittedHeight(commit: c, stateHash: "s\(h)", transactions: txs, endEvents: h == 2 ? ["round 1 closed"] : [], futureValidators: set))
            if settle { store.waitForIndexing() }
        }
    }

    static func expectAll(_ store: LedgerStore, heights: ClosedRange<Int64>, perBlock: Int) throws {
        for h in heights {
            for p in 0..<perBlock {
                let id = LedgerStoreTests.txID(h, position: p)
                let found = try #require(try store.transaction(id: id), "height \(h) position \(p)")
                #expect(found.id == id && found.height == h && found.position == p && found.kind == "demand" && found.signer == "u\(p)"
                        && found.events == ["e\(h)", "p\(p)"], "height \(h) position \(p)")
            }
        }
    }

    @Test("every receipt is found before, at and after its batch, and after reopening (indexed or not)")
    func batches() throws {
        let path = LedgerStoreTests.path()
        var previous: [UInt8] = []
        do {
            // Batches of ≥ 7: heights 1–3 (9 ids) are indexed at 3, 4–6 at 6; 7 and 8 stay in memory.
            let store = try LedgerStore(path: path, indexBatch: 7)
            try store.initialize(genesisValidators: Self.set)
            try Self.fill(store, heights: 1...2, perBlock: 3, previous: &previous)
            try Self.expectAll(store, heights: 1...2, perBlock: 3)
            try Self.fill(store, heights: 3...8, perBlock: 3, previous: &previous)
            try Self.expectAll(store, heights: 1...8, perBlock: 3)
        }
        let reopened = try LedgerStore(path: path, indexBatch: 7)
        try Self.expectAll(reopened, heights: 1...8, perBlock: 3)
        #expect(try reopened.block(at: 2)?.endEvents == ["round 1 closed"])
        let queue = try DatabaseQueue(path: path)
        #expect(try queue.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM tx_id") } == 18)
        #expect(try queue.read { try Int64.fetchOne($0, sql: "SELECT value FROM store_meta WHERE key = 'indexed_height'") } == 6)
        // The reloaded memory carries on: the next batch takes heights 7–9.
        try Self.fill(reopened, heights: 9...9, perBlock: 3, previous: &previous)
        reopened.waitForIndexing()
        #expect(try queue.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM tx_id") } == 27)
        try Self.expectAll(reopened, heights: 1...9, perBlock: 3)
        #expect(try reopened.transaction(id: LedgerStoreTests.txID(10)) == nil)
        #expect(try reopened.transaction(id: "not-an-id") == nil)
        let nine = LedgerStoreTests.txID(9)
        for near in [nine + "0", String(nine.dropLast()), String(nine.dropLast()) + "g"] { #expect(try reopened.transaction(id: near) == nil, "\(near)") }
        #expect(try reopened.transaction(id: LedgerStoreTests.txID(9).uppercased())?.height == 9)
    }

    @Test("while batches are written in the background, every committed transaction is found at every moment")
    func lookupsDuringBatches() throws {
        let path = LedgerStoreTests.path()
        let store = try LedgerStore(path: path, indexBatch: 50)
        try store.initialize(genesisValidators: Self.set)
        var previous: [UInt8] = []
        for h in 1...120 as ClosedRange<Int64> {
            try Self.fill(store, heights: h...h, perBlock: 7, previous: &previous, settle: false)
            // Everything committed so far, wherever it is in the cycle (memory, a chunk, the index).
            for back in [h, max(1, h - 1), max(1, h / 2), 1] {
                #expect(try store.transaction(id: LedgerStoreTests.txID(back, position: 6))?.height == back, "at \(h): height \(back)")
            }
        }
        store.waitForIndexing()
        try Self.expectAll(store, heights: 1...120, perBlock: 7)
        let queue = try DatabaseQueue(path: path)
        let indexed = try #require(try queue.read { try Int64.fetchOne($0, sql: "SELECT value FROM store_meta WHERE key = 'indexed_height'") })
        #expect(indexed > 100)
        #expect(try queue.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM tx_id") } == Int(indexed) * 7)
        // Reopened: the same answers.
        try Self.expectAll(try LedgerStore(path: path, indexBatch: 50), heights: 1...120, perBlock: 7)
    }

    @Test("a transaction id that is not 64 hex digits is refused and the height is not written")
    func badIDRefused() throws {
        let store = try LedgerStore(path: LedgerStoreTests.path())
        let c = LedgerStoreTests.commit(1, previous: [])
        #expect(throws: StorageError.self) {
            try store.append(CommittedHeight(commit: c, stateHash: "s", transactions: [(id: "t1", kind: "demand", signer: "u", events: [])], futureValidators: Self.set))
        }
        #expect(try store.lastHeight() == 0)
    }

    @Test("a v1 store's receipts move to the v2 tables, all indexed, with nothing lost")
    func migratesVersion1() throws {
        let path = LedgerStoreTests.path()
        do {
            let queue = try DatabaseQueue(path: path)
            try queue.write { db in
                try db.execute(sql: """
                    CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
                    INSERT INTO grdb_migrations VALUES ('v1');
                    CREATE TABLE block (height INTEGER PRIMARY KEY, hash BLOB NOT NULL, state_hash TEXT NOT NULL, time_ns INTEGER NOT NULL,
                                        tx_count INTEGER NOT NULL, commit_wire BLOB NOT NULL);
                    CREATE TABLE tx (id TEXT PRIMARY KEY, height INTEGER NOT NULL, position INTEGER NOT NULL, kind TEXT NOT NULL,
                                     signer TEXT NOT NULL, events TEXT NOT NULL);
                    CREATE TABLE validator_set (height INTEGER PRIMARY KEY, members TEXT NOT NULL);
                    CREATE TABLE snapshot (height INTEGER PRIMARY KEY, state_hash TEXT NOT NULL, state BLOB NOT NULL);
                    CREATE TABLE signed (validator TEXT PRIMARY KEY, height INTEGER NOT NULL, round INTEGER NOT NULL, step INTEGER NOT NULL,
                                         payload BLOB NOT NULL, signature BLOB NOT NULL);
                    """)
                var previous: [UInt8] = []
                for h in 1...3 as ClosedRange<Int64> {
                    let c = LedgerStoreTests.commit(h, previous: previous)
                    previous = c.block.hash
                    try db.execute(sql: "INSERT INTO block VALUES (?, ?, ?, ?, 3, ?)", arguments: [h, Data(c.block.hash), "s\(h)", c.block.timeNs, Data(c.wireBytes)])
                    for p in 0..<3 {
                        try db.execute(sql: "INSERT INTO tx VALUES (?, ?, ?, 'demand', ?, ?)",
                                       arguments: [LedgerStoreTests.txID(h, position: p), h, p, "u\(p)", "e\(h)\np\(p)"])
                    }
                    if h == 2 { try db.execute(sql: "INSERT INTO tx VALUES ('block-2', 2, 3, 'end_block', 'v1', 'round 1 closed\ncase c1 decided')") }
                }
            }
        }
        let store = try LedgerStore(path: path, indexBatch: 100)
        #expect(try store.lastHeight() == 3)
        try Self.expectAll(store, heights: 1...3, perBlock: 3)
        #expect(try store.block(at: 2)?.endEvents == ["round 1 closed", "case c1 decided"])
        #expect(try store.block(at: 3)?.endEvents == [])
        let queue = try DatabaseQueue(path: path)
        #expect(try queue.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM tx_id") } == 9)
        #expect(try queue.read { try Bool.fetchOne($0, sql: "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'tx')") } == false)
    }
}
