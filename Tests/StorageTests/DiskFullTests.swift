import Consensus
import Foundation
import GRDB
import Ledger
import Testing
@testable import Storage

/// A full disk under the agent's outbox, as SQLite meets it (SQLITE_FULL: the database may not
/// grow): the write that does not fit is refused with an error that says so, what was written
/// before is intact, and writing goes on once there is room again.
@Suite("Outbox on a full disk")
struct DiskFullTests {
    @Test("Disk full: a clear error, nothing already enqueued lost or corrupted, recovery when space returns")
    func outboxFull() throws {
        let path = NSTemporaryDirectory() + "trustband-full-\(UUID().uuidString).sqlite"
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let outbox = try EvidenceOutbox(path: path)
        let record = [UInt8](repeating: 7, count: 3_000)
        for n in 0..<5 { try outbox.enqueue(recordID: "r\(n)", record: record, signature: [1], bundle: nil, bundleBytes: 0, at: Int64(n)) }
        // The disk is full: the database may not grow past the pages it has.
        let pages = try outbox.queue.read { try Int.fetchOne($0, sql: "PRAGMA page_count") ?? 0 }
        try outbox.queue.writeWithoutTransaction { try $0.execute(sql: "PRAGMA max_page_count = \(pages)") }
        var refusal: StorageError?
        for n in 5..<200 {
            do { try outbox.enqueue(recordID: "r\(n)", record: record, signature: [1], bundle: nil, bundleBytes: 0, at: Int64(n)) } catch {
                refusal = error
                break
            }
        }
        let error = try #require(refusal, "the outbox kept growing")
        #expect("\(error)".contains("enqueue") && "\(error)".lowercased().contains("full"), "\(error)")
        // Nothing lost, nothing half-written.
        let ids = try outbox.all().map(\.recordID)
        #expect(Set(ids).isSuperset(of: (0..<5).map { "r\($0)" }))
        #expect(try outbox.queue.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") } == "ok")
        // Updates to what is there still work or fail cleanly; then space returns.
        try outbox.queue.writeWithoutTransaction { try $0.execute(sql: "PRAGMA max_page_count = 1073741823") }
        #expect(try outbox.enqueue(recordID: "after", record: record, signature: [1], bundle: nil, bundleBytes: 0, at: 999))
        try outbox.markDelivered("r0", height: 3, at: 1_000)
        // And a reopened outbox has all of it.
        let reopened = try EvidenceOutbox(path: path)
        #expect(try reopened.all().contains { $0.recordID == "after" } && reopened.all().first { $0.recordID == "r0" }?.state == .delivered)
    }

    static func committed(_ height: Int64, previous: [UInt8]) -> CommittedHeight {
        let block = Block(height: height, previousHash: previous, proposer: "v1", timeNs: height * 1_000,
                          transactions: [[UInt8](repeating: UInt8(height & 0xff), count: 3_000)], lastCommit: [])
        let vote = ConsensusVote(step: .precommit, height: height, round: 0, blockHash: block.hash, validator: "v1")
        return CommittedHeight(commit: Commit(block: block, round: 0, precommits: [SignedVote(vote: vote, signature: Array(repeating: 9, count: 64))]),
                               stateHash: "s\(height)", transactions: [], futureValidators: ValidatorSet([Validator(id: "v1", power: 10)]))
    }

    @Test("The node's store on a full disk: the block and the vote record that do not fit are refused (the node stops rather than vote without them), the chain stored is intact, appends go on when space returns")
    func ledgerStoreFull() throws {
        let path = NSTemporaryDirectory() + "trustband-store-full-\(UUID().uuidString).sqlite"
        defer { for suffix in ["", "-wal", "-shm", "-snapshots", "-snapshots-wal", "-snapshots-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        let store = try LedgerStore(path: path)
        try store.initialize(genesisValidators: ValidatorSet([Validator(id: "v1", power: 10)]))
        var previous: [UInt8] = []
        for h in Int64(1)...5 {
            let c = Self.committed(h, previous: previous)
            try store.append(c)
            previous = c.commit.block.hash
        }
        let pages = try store.pool.read { try Int.fetchOne($0, sql: "PRAGMA page_count") ?? 0 }
        try store.pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA max_page_count = \(pages)") }
        var refusal: StorageError?
        var h: Int64 = 6
        while h < 200 {
            let c = Self.committed(h, previous: previous)
            do { try store.append(c) } catch { refusal = error; break }
            previous = c.commit.block.hash
            h += 1
        }
        let error = try #require(refusal, "the store kept growing")
        #expect("\(error)".contains("append block \(h)") && "\(error)".lowercased().contains("full"), "\(error)")
        // A vote record that cannot be made durable is refused too (one row per validator here, so
        // that each record needs new pages): NodeSigner then signs nothing.
        var signingRefused = false
        for n in 0..<50 where !signingRefused {
            do { try store.recordSigned(SignedRecord(height: h + Int64(n), round: 0, step: 1, payload: [UInt8](repeating: 1, count: 4_000), signature: [3]), by: "v\(n)") } catch {
                signingRefused = true
            }
        }
        #expect(signingRefused)
        #expect(try store.lastHeight() == h - 1)
        #expect(try store.pool.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") } == "ok")
        // Space returns: the same block goes in, and a reopened store has every height.
        try store.pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA max_page_count = 1073741823") }
        try store.append(Self.committed(h, previous: previous))
        let reopened = try LedgerStore(path: path)
        #expect(try reopened.lastHeight() == h)
        #expect(try reopened.commit(at: h)?.block.previousHash == previous)
    }

    @Test("A read-only store (the node's and the outbox): writes are refused naming the operation, reads go on, nothing changes; writable again, both go on")
    func readOnly() throws {
        let dir = NSTemporaryDirectory() + "trustband-readonly-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try LedgerStore(path: dir + "/ledger.sqlite")
        try store.initialize(genesisValidators: ValidatorSet([Validator(id: "v1", power: 10)]))
        let first = Self.committed(1, previous: [])
        try store.append(first)
        let outbox = try EvidenceOutbox(path: dir + "/outbox.sqlite")
        try outbox.enqueue(recordID: "r0", record: [1], signature: [1], bundle: nil, bundleBytes: 0, at: 0)
        // The file system turns read-only under them (SQLite's own switch: as root, file modes would not stop it).
        try store.pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA query_only = ON") }
        try outbox.queue.writeWithoutTransaction { try $0.execute(sql: "PRAGMA query_only = ON") }
        do { try store.append(Self.committed(2, previous: first.commit.block.hash)); Issue.record("a read-only store took a block") } catch {
            #expect("\(error)".contains("append block 2") && "\(error)".lowercased().contains("readonly"), "\(error)")
        }
        #expect(throws: StorageError.self) { try store.recordSigned(SignedRecord(height: 2, round: 0, step: 1, payload: [1], signature: [2]), by: "v1") }
        do { _ = try outbox.enqueue(recordID: "r1", record: [1], signature: [1], bundle: nil, bundleBytes: 0, at: 1); Issue.record("a read-only outbox took a record") } catch {
            #expect("\(error)".contains("enqueue") && "\(error)".lowercased().contains("readonly"), "\(error)")
        }
        #expect(try store.lastHeight() == 1 && outbox.all().map(\.recordID) == ["r0"])
        try store.pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA query_only = OFF") }
        try outbox.queue.writeWithoutTransaction { try $0.execute(sql: "PRAGMA query_only = OFF") }
        try store.append(Self.committed(2, previous: first.commit.block.hash))
        #expect(try outbox.enqueue(recordID: "r1", record: [1], signature: [1], bundle: nil, bundleBytes: 0, at: 1))
        #expect(try store.lastHeight() == 2 && outbox.all().count == 2)
    }
}
