import Consensus
import Foundation
import GRDB
import Ledger

/// A node's durable state in SQLite (WAL): committed blocks with the precommits that
/// committed them, an index of their transactions, the validator set of every height,
/// contract snapshots, and the last vote each local validator signed.
///
/// Each committed height is written in one transaction (block, transaction index, next
/// validator set, and sometimes a snapshot), so a process killed at any instant restarts from
/// the last height written whole. `synchronous = FULL` makes that hold across power loss too.
public final class LedgerStore: Sendable {
    let pool: DatabasePool

    /// Opens (creating if needed) the store at `path` and brings its schema up to date.
    public init(path: String) throws(StorageError) {
        do {
            pool = try DatabasePool(path: path, configuration: DurableDatabase.configuration)
            try Self.migrator.migrate(pool)
        } catch {
            throw .database(operation: "open \(path)", underlying: "\(error)")
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "block") { t in
                t.primaryKey("height", .integer)
                t.column("hash", .blob).notNull()
                t.column("state_hash", .text).notNull()
                t.column("time_ns", .integer).notNull()
                t.column("tx_count", .integer).notNull()
                t.column("commit_wire", .blob).notNull()
            }
            try db.create(table: "tx") { t in
                t.primaryKey("id", .text)
                t.column("height", .integer).notNull()
                t.column("position", .integer).notNull()
                t.column("kind", .text).notNull()
                t.column("signer", .text).notNull()
                t.column("events", .text).notNull()
            }
            try db.create(table: "validator_set") { t in
                t.primaryKey("height", .integer)
                t.column("members", .text).notNull()
            }
            try db.create(table: "snapshot") { t in
                t.primaryKey("height", .integer)
                t.column("state_hash", .text).notNull()
                t.column("state", .blob).notNull()
            }
            try db.create(table: "signed") { t in
                t.primaryKey("validator", .text)
                t.column("height", .integer).notNull()
                t.column("round", .integer).notNull()
                t.column("step", .integer).notNull()
                t.column("payload", .blob).notNull()
                t.column("signature", .blob).notNull()
            }
        }
        return migrator
    }

    func read<T: Sendable>(_ what: String, _ body: @Sendable (Database) throws -> T) throws(StorageError) -> T {
        try DurableDatabase.read(pool, what, body)
    }

    func write<T: Sendable>(_ what: String, _ body: @Sendable (Database) throws -> T) throws(StorageError) -> T {
        try DurableDatabase.write(pool, what, body)
    }
}
