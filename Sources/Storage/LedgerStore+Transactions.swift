import Foundation
import GRDB
import Synchronization

/// Where a committed transaction's receipt is: its block and its place in it.
struct ReceiptLocation: Sendable, Equatable {
    var height: Int64
    var position: Int
}

/// The committed transactions whose ids the `tx_id` index may not hold yet, found by id in
/// memory: those above the indexed height (reloaded from the receipts on open).
struct UnindexedTransactions: Sendable {
    /// The last height appended.
    var lastHeight: Int64 = 0
    /// Ids appended since the batch being written was taken.
    var locations: [TransactionKey: ReceiptLocation] = [:]
    /// The batch being written (heights up to `lastHeight` when it was taken).
    var batch: [TransactionKey: ReceiptLocation] = [:]
    var indexing = false

    func location(of key: TransactionKey) -> ReceiptLocation? { locations[key] ?? batch[key] }

    /// Reads the indexed height and the receipts above it.
    static func load(_ db: Database) throws -> UnindexedTransactions {
        var pending = UnindexedTransactions()
        let indexedHeight = try Int64.fetchOne(db, sql: "SELECT value FROM store_meta WHERE key = 'indexed_height'") ?? 0
        pending.lastHeight = try Int64.fetchOne(db, sql: "SELECT MAX(height) FROM block") ?? 0
        let rows = try Row.fetchCursor(db, sql: "SELECT id, height, position FROM tx_row WHERE height > ?", arguments: [indexedHeight])
        while let row = try rows.next() {
            guard let key = TransactionKey(bytes: row[0]) else { throw StorageError.corrupt(problem: "a receipt's id is not 32 bytes") }
            pending.locations[key] = ReceiptLocation(height: row[1], position: row[2])
        }
        return pending
    }
}

extension LedgerStore {
    /// The receipt of a committed transaction (nil: not committed, or not a transaction id).
    public func transaction(id: String) throws(StorageError) -> StoredTransaction? {
        guard let key = TransactionKey(hex: id) else { return nil }
        // Ids leave memory only after their batch is in `tx_id`, so one of the two has it.
        let location = unindexed.withLock { $0.location(of: key) }
        return try read("read transaction") { db -> StoredTransaction? in
            let row: Row?
            if let location {
                row = try Row.fetchOne(db, sql: "SELECT height, position, kind, signer, events FROM tx_row WHERE height = ? AND position = ?",
                                       arguments: [location.height, location.position])
            } else {
                row = try Row.fetchOne(db, sql: """
                    SELECT r.height, r.position, r.kind, r.signer, r.events FROM tx_id i
                    JOIN tx_row r ON r.height = i.height AND r.position = i.position WHERE i.id = ?
                    """, arguments: [key.data])
            }
            guard let row else { return nil }
            let events: String = row[4]
            return StoredTransaction(id: id.lowercased(), height: row[0], position: row[1], kind: row[2], signer: row[3],
                                     events: events.isEmpty ? [] : events.components(separatedBy: "\n"))
        }
    }

    /// Inserts one height's receipts (inside the height's write transaction).
    static func insertReceipts(_ db: Database, height: Int64, keys: [TransactionKey], transactions: [(id: String, kind: String, signer: String, events: [String])]) throws {
        let receipt = try db.cachedStatement(sql: "INSERT OR REPLACE INTO tx_row (height, position, id, kind, signer, events) VALUES (?, ?, ?, ?, ?, ?)")
        for (position, tx) in transactions.enumerated() {
            try receipt.execute(arguments: [height, position, keys[position].data, tx.kind, tx.signer, tx.events.joined(separator: "\n")])
        }
    }

    /// Ids per write transaction of a batch: each chunk is a key range, so it dirties only
    /// its part of the index, and a block's write waits at most for one chunk.
    static let indexChunk = 4_096
    /// The pause between a batch's chunks.
    static let chunkPause = 0.02

    /// Writes every id in memory up to the last appended height into `tx_id`, sorted, in
    /// chunks; then records that height as indexed and lets those ids go from memory. A crash
    /// part-way leaves the indexed height where it was: the next open reloads the ids and a
    /// later batch writes them again (the same rows). Runs on `indexer`, one batch at a time.
    func indexBatchInBackground() {
        // Taken and released in O(1) under the lock; sorted outside it.
        let (height, taken) = unindexed.withLock { p in
            p.batch = p.locations
            p.locations = [:]
            return (p.lastHeight, p.batch)
        }
        let batch = taken.map { ($0.key, $0.value) }.sorted { $0.0 < $1.0 }
        do {
            var start = 0
            while start < batch.count {
                let chunk = batch[start..<min(batch.count, start + Self.indexChunk)]
                try write("index transaction ids") { db in
                    let index = try db.cachedStatement(sql: "INSERT OR REPLACE INTO tx_id (id, height, position) VALUES (?, ?, ?)")
                    for (key, location) in chunk { try index.execute(arguments: [key.data, location.height, location.position]) }
                }
                start += Self.indexChunk
                // Spread the batch out: consensus shares these cores and is the one that waits.
                if start < batch.count { Thread.sleep(forTimeInterval: Self.chunkPause) }
            }
            try write("record the indexed height") { db in
                try db.execute(sql: "INSERT OR REPLACE INTO store_meta (key, value) VALUES ('indexed_height', ?)", arguments: [height])
            }
            let written = unindexed.withLock { p in
                defer { p.batch = [:]; p.indexing = false }
                return p.batch
            }
            _ = consume written  // freed here, outside the lock
        } catch {
            // Nothing is lost: the ids go back to memory (they are in the receipts too); the next append retries.
            unindexed.withLock { p in
                p.locations.merge(p.batch) { newer, _ in newer }
                p.batch = [:]
                p.indexing = false
            }
        }
    }

    /// Returns once no batch for the id index is being written (tests; shutdown).
    public func waitForIndexing() {
        indexer.sync {}
    }

    /// The v2 schema: receipts keyed by (height, position), ids (32-byte blobs) in their own
    /// index, written in batches; a block's end events in its row. Moves a v1 store's receipts
    /// over, all indexed (v1 kept end events as a receipt with the id "block-N").
    static func moveReceiptsByHeight(_ db: Database) throws {
        try db.alter(table: "block") { t in t.add(column: "end_events", .text).notNull().defaults(to: "") }
        try db.create(table: "tx_row", options: .withoutRowID) { t in
            t.column("height", .integer).notNull()
            t.column("position", .integer).notNull()
            t.column("id", .blob).notNull()
            t.column("kind", .text).notNull()
            t.column("signer", .text).notNull()
            t.column("events", .text).notNull()
            t.primaryKey(["height", "position"])
        }
        try db.create(table: "tx_id", options: .withoutRowID) { t in
            t.primaryKey("id", .blob)
            t.column("height", .integer).notNull()
            t.column("position", .integer).notNull()
        }
        try db.create(table: "store_meta") { t in
            t.primaryKey("key", .text)
            t.column("value", .integer).notNull()
        }
        let rows = try Row.fetchCursor(db, sql: "SELECT id, height, position, kind, signer, events FROM tx ORDER BY id")
        while let row = try rows.next() {
            let id: String = row[0]
            if id.hasPrefix("block-"), row[3] == "end_block" {
                try db.execute(sql: "UPDATE block SET end_events = ? WHERE height = ?", arguments: [row[5] as String, row[1] as Int64])
                continue
            }
            guard let key = TransactionKey(hex: id) else { throw StorageError.corrupt(problem: "transaction id \"\(id)\" is not 64 hex digits") }
            let height: Int64 = row[1], position: Int = row[2], kind: String = row[3], signer: String = row[4], events: String = row[5]
            try db.execute(sql: "INSERT OR REPLACE INTO tx_row (height, position, id, kind, signer, events) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [height, position, key.data, kind, signer, events])
            try db.execute(sql: "INSERT OR REPLACE INTO tx_id (id, height, position) VALUES (?, ?, ?)", arguments: [key.data, height, position])
        }
        try db.drop(table: "tx")
        let last = try Int64.fetchOne(db, sql: "SELECT MAX(height) FROM block") ?? 0
        try db.execute(sql: "INSERT INTO store_meta (key, value) VALUES ('indexed_height', ?)", arguments: [last])
    }
}
