import Consensus
import Foundation
import GRDB
import Ledger
import Signal
import Synchronization

/// What a committed height writes, all at once.
public struct CommittedHeight: Sendable {
    public var commit: Commit
    public var stateHash: String
    /// The committed transactions: id (64 hex digits), kind, signer, events.
    public var transactions: [(id: String, kind: String, signer: String, events: [String])]
    /// What the block's end did (round closings, case deadlines…).
    public var endEvents: [String]
    /// The validator set that votes at `commit.block.height + 2`.
    public var futureValidators: ValidatorSet

    public init(commit: Commit, stateHash: String, transactions: [(id: String, kind: String, signer: String, events: [String])],
                endEvents: [String] = [], futureValidators: ValidatorSet) {
        self.commit = commit
        self.stateHash = stateHash
        self.transactions = transactions
        self.endEvents = endEvents
        self.futureValidators = futureValidators
    }
}

/// Where a committed transaction is.
public struct StoredTransaction: Sendable, Equatable {
    public var id: String
    public var height: Int64
    public var position: Int
    public var kind: String
    public var signer: String
    public var events: [String]
}

/// A stored height's summary.
public struct StoredBlock: Sendable, Equatable {
    public var height: Int64
    public var hash: [UInt8]
    public var stateHash: String
    public var timeNs: Int64
    public var transactionCount: Int
    /// What the block's end did.
    public var endEvents: [String]
}

extension LedgerStore {
    /// The highest committed height (0: none yet).
    public func lastHeight() throws(StorageError) -> Int64 {
        try read("read last height") { db in try Int64.fetchOne(db, sql: "SELECT MAX(height) FROM block") ?? 0 }
    }

    /// Writes the genesis validator sets (heights 1 and 2) once; later calls change nothing.
    public func initialize(genesisValidators set: ValidatorSet) throws(StorageError) {
        let members = Self.encode(set)
        try write("write genesis validators") { db in
            for h in [1, 2] {
                try db.execute(sql: "INSERT OR IGNORE INTO validator_set (height, members) VALUES (?, ?)", arguments: [h, members])
            }
        }
    }

    /// Writes one committed height; refuses a height that does not follow the last one, and
    /// a transaction id that is not 64 hex digits. Once enough ids wait for the id index, a
    /// batch of them is written in the background (`LedgerStore` explains why).
    public func append(_ h: CommittedHeight) throws(StorageError) {
        let height = h.commit.block.height
        let wire = Data(h.commit.wireBytes), hash = Data(h.commit.block.hash)
        let members = Self.encode(h.futureValidators)
        let transactions = h.transactions, endEvents = h.endEvents.joined(separator: "\n")
        var parsed: [TransactionKey] = []
        parsed.reserveCapacity(transactions.count)
        for tx in transactions {
            guard let key = TransactionKey(hex: tx.id) else { throw .invalid(problem: "transaction id \"\(tx.id)\" is not 64 hex digits") }
            parsed.append(key)
        }
        let keys = parsed
        try write("append block \(height)") { db in
            let last = try Int64.fetchOne(db, sql: "SELECT MAX(height) FROM block") ?? 0
            guard height == last + 1 else { throw StorageError.notContiguous(expected: last + 1, got: height) }
            try db.cachedStatement(sql: "INSERT INTO block (height, hash, state_hash, time_ns, tx_count, commit_wire, end_events) VALUES (?, ?, ?, ?, ?, ?, ?)")
                .execute(arguments: [height, hash, h.stateHash, h.commit.block.timeNs, transactions.count, wire, endEvents])
            try Self.insertReceipts(db, height: height, keys: keys, transactions: transactions)
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO validator_set (height, members) VALUES (?, ?)").execute(arguments: [height + 2, members])
        }
        let due = unindexed.withLock { pending -> Bool in
            for (position, key) in keys.enumerated() { pending.locations[key] = ReceiptLocation(height: height, position: position) }
            pending.lastHeight = height
            guard !pending.indexing, pending.locations.count >= indexBatch else { return false }
            pending.indexing = true
            return true
        }
        if due { indexer.async { [self] in indexBatchInBackground() } }
    }

    /// Stores a snapshot of the state after `height` (a committed height) and drops older ones
    /// (in the snapshot database: block appends do not wait for it).
    public func writeSnapshot(height: Int64, stateHash: String, state: [UInt8]) throws(StorageError) {
        try DurableDatabase.write(snapshotPool, "write snapshot \(height)") { db in
            try db.execute(sql: "INSERT OR REPLACE INTO snapshot (height, state_hash, state) VALUES (?, ?, ?)", arguments: [height, stateHash, Data(state)])
            try db.execute(sql: "DELETE FROM snapshot WHERE height < ?", arguments: [height])
        }
    }

    /// The commit of `height` in wire form, as served to peers catching up.
    public func commitWire(at height: Int64) throws(StorageError) -> [UInt8]? {
        try read("read block \(height)") { db in
            try Data.fetchOne(db, sql: "SELECT commit_wire FROM block WHERE height = ?", arguments: [height]).map { [UInt8]($0) }
        }
    }

    /// The commit of `height`, decoded.
    public func commit(at height: Int64) throws(StorageError) -> Commit? {
        guard let wire = try commitWire(at: height) else { return nil }
        do { return try Commit(wire: wire) } catch { throw .corrupt(problem: "block \(height): \(error)") }
    }

    public func block(at height: Int64) throws(StorageError) -> StoredBlock? {
        try read("read block \(height)") { db in
            try Row.fetchOne(db, sql: "SELECT height, hash, state_hash, time_ns, tx_count, end_events FROM block WHERE height = ?", arguments: [height]).map { row in
                let events: String = row[5]
                return StoredBlock(height: row[0], hash: [UInt8](row[1] as Data), stateHash: row[2], timeNs: row[3], transactionCount: row[4],
                                   endEvents: events.isEmpty ? [] : events.components(separatedBy: "\n"))
            }
        }
    }

    /// The state hash recorded after `height`.
    public func stateHash(at height: Int64) throws(StorageError) -> String? {
        try read("read state hash") { db in try String.fetchOne(db, sql: "SELECT state_hash FROM block WHERE height = ?", arguments: [height]) }
    }

    /// The validator set that votes at `height`.
    public func validators(at height: Int64) throws(StorageError) -> ValidatorSet? {
        let text = try read("read validator set") { db in try String.fetchOne(db, sql: "SELECT members FROM validator_set WHERE height = ?", arguments: [height]) }
        guard let text else { return nil }
        return try Self.decode(text)
    }

    /// The newest snapshot: its height, state hash and bytes (from the snapshot database, or
    /// one a store of before it still holds, whichever is newer).
    public func latestSnapshot() throws(StorageError) -> (height: Int64, stateHash: String, state: [UInt8])? {
        @Sendable func newest(_ db: Database) throws -> (height: Int64, stateHash: String, state: [UInt8])? {
            try Row.fetchOne(db, sql: "SELECT height, state_hash, state FROM snapshot ORDER BY height DESC LIMIT 1").map { row in
                (row[0], row[1], [UInt8](row[2] as Data))
            }
        }
        let own = try DurableDatabase.read(snapshotPool, "read snapshot", newest)
        let legacy = try read("read snapshot", newest)
        guard let legacy, legacy.height > own?.height ?? 0 else { return own }
        return legacy
    }

    /// "id:power:key-hex" lines, sorted by id.
    static func encode(_ set: ValidatorSet) -> String {
        set.members.map { "\($0.id):\($0.power):\(Hex.encode($0.key))" }.joined(separator: "\n")
    }

    static func decode(_ text: String) throws(StorageError) -> ValidatorSet {
        var members: [Validator] = []
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 3, let power = Int64(parts[1]), let key = Hex.decode(String(parts[2])) else {
                throw .corrupt(problem: "validator set line \"\(line)\"")
            }
            members.append(Validator(id: String(parts[0]), power: power, key: key))
        }
        return ValidatorSet(members)
    }
}
