import Foundation
import GRDB
import Synchronization

/// Where a committed transaction's receipt is: its block and its place in it.
struct ReceiptLocation: Sendable, Equatable {
    var height: Int64
    var position: Int
}

/// The committed transactions above the id index's height, found by id in memory.
struct UnindexedTransactions: Sendable {
    /// The last height whose ids are all in `tx_id`.
    var indexedHeight: Int64 = 0
    var locations: [TransactionKey: ReceiptLocation] = [:]

    /// Reads the indexed height and the receipts above it.
    static func load(_ db: Database) throws -> UnindexedTransactions {
        var pending = UnindexedTransactions()
        pending.indexedHeight = try Int64.fetchOne(db, sql: "SELECT value FROM store_meta WHERE key = 'indexed_height'") ?? 0
        let rows = try Row.fetchCursor(db, sql: "SELECT id, height, position FROM tx_row WHERE height > ?", arguments: [pending.indexedHeight])
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
        let location = unindexed.withLock { $0.locations[key] }
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
            return StoredTransaction(id: key.hex, height: row[0], position: row[1], kind: row[2], signer: row[3],
                                     events: events.isEmpty ? [] : events.components(separatedBy: "\n"))
        }
    }

    /// Inserts one height's receipts and, when `batch` is given, the sorted id batch it
    /// completes (with the new indexed height). Runs inside the height's write transaction.
    static func insertReceipts(_ db: Database, height: Int64, keys: [TransactionKey], transactions: [(id: String, kind: String, signer: String, events: [String])],
                               batch: [(TransactionKey, ReceiptLocation)]?) throws {
        let receipt = try db.cachedStatement(sql: "INSERT OR REPLACE INTO tx_row (height, position, id, kind, signer, events) VALUES (?, ?, ?, ?, ?, ?)")
        for (position, tx) in transactions.enumerated() {
            try receipt.execute(arguments: [height, position, keys[position].data, tx.kind, tx.signer, tx.events.joined(separator: "\n")])
        }
        guard let batch else { return }
        let index = try db.cachedStatement(sql: "INSERT OR REPLACE INTO tx_id (id, height, position) VALUES (?, ?, ?)")
        for (key, location) in batch { try index.execute(arguments: [key.data, location.height, location.position]) }
        try db.execute(sql: "INSERT OR REPLACE INTO store_meta (key, value) VALUES ('indexed_height', ?)", arguments: [height])
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
