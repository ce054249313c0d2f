import Consensus
import Foundation
import GRDB
import Ledger
import Synchronization

/// A node's durable state in SQLite (WAL): committed blocks with the precommits that
/// committed them, their transactions' receipts, the validator set of every height, contract
/// snapshots, and the last vote each local validator signed.
///
/// Each committed height is written in one transaction (block, receipts, next validator set,
/// and sometimes the id index), so a process killed at any instant restarts from the last
/// height written whole. `synchronous = FULL` makes that hold across power loss too.
///
/// Receipts are stored in height order (appends touch the table's last pages only). The index
/// from transaction id to receipt is random by nature (ids are SHA-256): inserting each block's
/// ids into it would dirty one page per transaction once it outgrows a block, and the block
/// write would slow as the ledger grows (8 → 50 ms per 1000 transactions by 200 000). So ids
/// are indexed in sorted batches of at least `indexBatch`, written in the background in
/// key-range chunks (each index page written about once per batch, and a block's write never
/// waits for more than a chunk); until its batch is written an id is found in memory, and a
/// restart reloads those from the receipts above the indexed height.
public final class LedgerStore: Sendable {
    let pool: DatabasePool
    /// Transactions committed after `indexed_height`, whose ids `tx_id` may not hold yet.
    let unindexed: Mutex<UnindexedTransactions>
    /// How many unindexed transactions make a batch for the id index.
    let indexBatch: Int
    /// Where batches for the id index are written, one at a time.
    let indexer = DispatchQueue(label: "trustband.store.index", qos: .utility)

    /// Snapshots, in a database of their own beside the blocks' (`snapshotPath(for:)`): a
    /// snapshot is megabytes, and written in the blocks' database it held that database's only
    /// writer (and then its WAL checkpoint) while the next block waited to be stored. Losing
    /// this file loses nothing: the node replays from the previous snapshot or from genesis.
    let snapshotPool: DatabasePool

    /// Where the snapshots of the store at `path` are kept: `ledger.sqlite` →
    /// `ledger.snapshots.sqlite`.
    public static func snapshotPath(for path: String) -> String {
        URL(fileURLWithPath: path).deletingPathExtension().path + ".snapshots.sqlite"
    }

    /// Opens (creating if needed) the store at `path` and brings its schema up to date.
    /// `indexBatch`: see the type's notes (tests make it small).
    public init(path: String, indexBatch: Int = 65_536) throws(StorageError) {
        self.indexBatch = max(1, indexBatch)
        do {
            pool = try DatabasePool(path: path, configuration: DurableDatabase.configuration)
            try Self.migrator.migrate(pool)
            unindexed = Mutex(try pool.read(UnindexedTransactions.load))
            snapshotPool = try DatabasePool(path: Self.snapshotPath(for: path), configuration: DurableDatabase.configuration)
            try Self.snapshotMigrator.migrate(snapshotPool)
        } catch let error as StorageError {
            throw error
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
            try createSnapshotTable(db)
            try db.create(table: "signed") { t in
                t.primaryKey("validator", .text)
                t.column("height", .integer).notNull()
                t.column("round", .integer).notNull()
                t.column("step", .integer).notNull()
                t.column("payload", .blob).notNull()
                t.column("signature", .blob).notNull()
            }
        }
        migrator.registerMigration("v2: receipts by height, ids indexed in batches") { db in try Self.moveReceiptsByHeight(db) }
        return migrator
    }

    /// A snapshot table (the same in both databases).
    static func createSnapshotTable(_ db: Database) throws {
        try db.create(table: "snapshot") { t in
            t.primaryKey("height", .integer)
            t.column("state_hash", .text).notNull()
            t.column("state", .blob).notNull()
        }
    }

    /// The snapshot database's schema. (The blocks' database keeps its v1 `snapshot` table,
    /// read when this one has nothing newer.)
    static var snapshotMigrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try createSnapshotTable(db)
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
