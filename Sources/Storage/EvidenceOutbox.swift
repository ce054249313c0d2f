import Foundation
import GRDB

/// The agent's durable outbox (SQLite, WAL, `synchronous = FULL`): every signed evidence record
/// is written here before anything is sent, and leaves only by being delivered (its record on
/// the ledger) or refused for good. Keyed by the record's id (SHA-256 of its canonical bytes),
/// so enqueueing the same evidence twice keeps one entry.
///
/// Before a transaction carrying a record is sent, its id and bytes are written (`markSent`),
/// so an agent killed mid-delivery asks the ledger about exactly that transaction on restart.
public final class EvidenceOutbox: Sendable {
    let queue: DatabaseQueue

    /// Opens (creating if needed) the outbox at `path` (`:memory:` for tests).
    public init(path: String) throws(StorageError) {
        do {
            let configuration = DurableDatabase.configuration
            queue = path == ":memory:" ? try DatabaseQueue(configuration: configuration)
                                       : try DatabaseQueue(path: path, configuration: configuration)
            if path != ":memory:" { try queue.writeWithoutTransaction { try $0.execute(sql: "PRAGMA journal_mode = WAL") } }
            try Self.migrator.migrate(queue)
        } catch {
            throw .database(operation: "open outbox \(path)", underlying: "\(error)")
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("outbox-v1") { db in
            try db.create(table: "outbox") { t in
                t.autoIncrementedPrimaryKey("seq")
                t.column("record_id", .text).notNull().unique()
                t.column("record", .blob).notNull()
                t.column("signature", .blob).notNull()
                t.column("bundle", .text)
                t.column("bundle_bytes", .integer).notNull()
                t.column("state", .text).notNull()
                t.column("tx_id", .text)
                t.column("tx_wire", .blob)
                t.column("attempts", .integer).notNull()
                t.column("last_error", .text)
                t.column("height", .integer)
                t.column("enqueued_ns", .integer).notNull()
                t.column("delivered_ns", .integer)
            }
            try db.create(index: "outbox_state", on: "outbox", columns: ["state", "seq"])
        }
        return migrator
    }

    /// Adds a record unless one with its id is there already; returns whether it was added.
    @discardableResult
    public func enqueue(recordID: String, record: [UInt8], signature: [UInt8], bundle: String?, bundleBytes: Int64,
                        at nanoseconds: Int64) throws(StorageError) -> Bool {
        try write("enqueue \(recordID)") { db in
            try db.execute(sql: """
                INSERT OR IGNORE INTO outbox (record_id, record, signature, bundle, bundle_bytes, state, attempts, enqueued_ns)
                VALUES (?, ?, ?, ?, ?, 'pending', 0, ?)
                """, arguments: [recordID, Data(record), Data(signature), bundle, bundleBytes, nanoseconds])
            return db.changesCount > 0
        }
    }

    /// The oldest entry still to deliver (pending or sent), if any.
    public func next() throws(StorageError) -> OutboxEntry? {
        try read("read the next entry") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM outbox WHERE state IN ('pending', 'sent') ORDER BY seq LIMIT 1").map(OutboxEntry.init)
        }
    }

    /// The entry for `recordID`.
    public func entry(_ recordID: String) throws(StorageError) -> OutboxEntry? {
        try read("read \(recordID)") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM outbox WHERE record_id = ?", arguments: [recordID]).map(OutboxEntry.init)
        }
    }

    /// Every entry, oldest first.
    public func all() throws(StorageError) -> [OutboxEntry] {
        try read("read the outbox") { db in try Row.fetchAll(db, sql: "SELECT * FROM outbox ORDER BY seq").map(OutboxEntry.init) }
    }

    /// Records the transaction about to carry the entry (written before it is sent).
    public func markSent(_ recordID: String, transactionID: String, wire: [UInt8]) throws(StorageError) {
        try update(recordID, "mark sent", sql: "UPDATE outbox SET state = 'sent', tx_id = ?, tx_wire = ?, attempts = attempts + 1 WHERE record_id = ?",
                   [transactionID, Data(wire), recordID])
    }

    /// Back to pending (the transaction that carried it cannot commit: re-sign with a fresh nonce).
    public func markPending(_ recordID: String, reason: String) throws(StorageError) {
        try update(recordID, "mark pending", sql: "UPDATE outbox SET state = 'pending', tx_id = NULL, tx_wire = NULL, last_error = ? WHERE record_id = ?",
                   [reason, recordID])
    }

    /// The record is on the ledger (committed at `height`, or found there already).
    public func markDelivered(_ recordID: String, height: Int64?, at nanoseconds: Int64) throws(StorageError) {
        try update(recordID, "mark delivered", sql: "UPDATE outbox SET state = 'delivered', height = ?, delivered_ns = ?, last_error = NULL WHERE record_id = ?",
                   [height, nanoseconds, recordID])
    }

    /// The ledger refused the record for good (its grant unknown, its sensor unregistered…).
    public func markRefused(_ recordID: String, reason: String, at nanoseconds: Int64) throws(StorageError) {
        try update(recordID, "mark refused", sql: "UPDATE outbox SET state = 'refused', last_error = ?, delivered_ns = ? WHERE record_id = ?",
                   [reason, nanoseconds, recordID])
    }

    /// Notes a failed attempt (the ledger unreachable) without changing the state.
    public func noteFailure(_ recordID: String, _ problem: String) throws(StorageError) {
        try update(recordID, "note a failure", sql: "UPDATE outbox SET last_error = ? WHERE record_id = ?", [problem, recordID])
    }

    /// Entries not yet delivered (the outbox depth).
    public func depth() throws(StorageError) -> Int {
        try read("count the outbox") { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox WHERE state IN ('pending', 'sent')") ?? 0 }
    }

    /// Bundles to delete so that the bundles kept fit in `quotaBytes`: delivered (or refused)
    /// ones, oldest delivery first; an undelivered entry's bundle is never chosen.
    public func bundlesToEvict(quotaBytes: Int64) throws(StorageError) -> [OutboxEntry] {
        try read("choose bundles to evict") { db in
            var total = try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(bundle_bytes), 0) FROM outbox WHERE bundle IS NOT NULL") ?? 0
            guard total > quotaBytes else { return [] }
            let candidates = try Row.fetchAll(db, sql: """
                SELECT * FROM outbox WHERE bundle IS NOT NULL AND state IN ('delivered', 'refused') ORDER BY delivered_ns, seq
                """).map(OutboxEntry.init)
            var chosen: [OutboxEntry] = []
            for entry in candidates where total > quotaBytes {
                chosen.append(entry)
                total -= entry.bundleBytes
            }
            return chosen
        }
    }

    /// Forgets an entry's bundle (after its files were deleted).
    public func bundleEvicted(_ recordID: String) throws(StorageError) {
        try update(recordID, "forget a bundle", sql: "UPDATE outbox SET bundle = NULL, bundle_bytes = 0 WHERE record_id = ?", [recordID])
    }

    private func update(_ recordID: String, _ what: String, sql: String, _ arguments: StatementArguments) throws(StorageError) {
        let changed = try write("\(what) \(recordID)") { db in
            try db.execute(sql: sql, arguments: arguments)
            return db.changesCount
        }
        guard changed == 1 else { throw .corrupt(problem: "outbox has no entry \(recordID) to \(what)") }
    }

    private func read<T: Sendable>(_ what: String, _ body: @Sendable (Database) throws -> T) throws(StorageError) -> T {
        try DurableDatabase.read(queue, what, body)
    }

    private func write<T: Sendable>(_ what: String, _ body: @Sendable (Database) throws -> T) throws(StorageError) -> T {
        try DurableDatabase.write(queue, what, body)
    }
}

/// One evidence record in the outbox.
public struct OutboxEntry: Sendable, Equatable {
    /// pending: not sent (or to be re-signed); sent: a transaction carrying it was sent;
    /// delivered: on the ledger; refused: the ledger will never take it.
    public enum State: String, Sendable { case pending, sent, delivered, refused }

    public var sequence: Int64
    public var recordID: String
    public var record: [UInt8]
    public var signature: [UInt8]
    public var bundle: String?
    public var bundleBytes: Int64
    public var state: State
    public var transactionID: String?
    public var transactionWire: [UInt8]?
    public var attempts: Int
    public var lastError: String?
    public var height: Int64?
    public var enqueuedNs: Int64
    public var deliveredNs: Int64?

    init(_ row: Row) {
        sequence = row["seq"]
        recordID = row["record_id"]
        record = [UInt8](row["record"] as Data)
        signature = [UInt8](row["signature"] as Data)
        bundle = row["bundle"]
        bundleBytes = row["bundle_bytes"]
        state = State(rawValue: row["state"]) ?? .pending
        transactionID = row["tx_id"]
        transactionWire = (row["tx_wire"] as Data?).map { [UInt8]($0) }
        attempts = row["attempts"]
        lastError = row["last_error"]
        height = row["height"]
        enqueuedNs = row["enqueued_ns"]
        deliveredNs = row["delivered_ns"]
    }
}
