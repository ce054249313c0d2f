import Foundation
import GRDB
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
}
