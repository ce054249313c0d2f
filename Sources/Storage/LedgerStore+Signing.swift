import Foundation
import GRDB

/// The last message a local validator signed, kept so that a restarted validator never signs
/// a different message for a height, round and step it already signed (CometBFT's
/// "last sign state"): the guard against double signing after a crash.
public struct SignedRecord: Sendable, Equatable {
    public var height: Int64
    public var round: Int64
    /// 0 proposal, 1 prevote, 2 precommit.
    public var step: Int
    public var payload: [UInt8]
    public var signature: [UInt8]

    public init(height: Int64, round: Int64, step: Int, payload: [UInt8], signature: [UInt8]) {
        self.height = height
        self.round = round
        self.step = step
        self.payload = payload
        self.signature = signature
    }
}

extension LedgerStore {
    public func lastSigned(by validator: String) throws(StorageError) -> SignedRecord? {
        try read("read sign state") { db in
            try Row.fetchOne(db, sql: "SELECT height, round, step, payload, signature FROM signed WHERE validator = ?", arguments: [validator]).map { row in
                SignedRecord(height: row[0], round: row[1], step: row[2], payload: [UInt8](row[3] as Data), signature: [UInt8](row[4] as Data))
            }
        }
    }

    /// Records a signature before it leaves the process.
    public func recordSigned(_ record: SignedRecord, by validator: String) throws(StorageError) {
        let payload = Data(record.payload), signature = Data(record.signature)
        try write("write sign state") { db in
            try db.execute(sql: "INSERT OR REPLACE INTO signed (validator, height, round, step, payload, signature) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [validator, record.height, record.round, record.step, payload, signature])
        }
    }
}
