import Agent
import Foundation
import Storage
import Testing

@Suite("Evidence delivery: outbox to ledger, exactly once")
struct DeliveryTests {
    @Test("Ledger down for minutes while violations happen: all evidence delivered after recovery, once each")
    func ledgerDown() async throws {
        let f = try DeliveryFixture()
        let outbox = try f.openOutbox()
        let delivery = f.delivery(outbox)
        f.ledger.down = true
        var ids: [String] = []
        var delays: [Int64] = []
        // Five violations over more than three simulated minutes, the ledger unreachable throughout.
        for n in 0..<5 {
            ids.append(try f.enqueue(n, into: outbox))
            for _ in 0..<6 {
                guard case .backOff(let delay) = try await delivery.step() else { Issue.record("delivered while the ledger was down"); return }
                delays.append(delay)
                f.clock.advance(delay)
            }
        }
        #expect(delays.reduce(0, +) >= 180_000_000_000)
        // Back-off doubles to its ceiling (1, 2, 4, 8 s, then 8 s) rather than hammering the ledger.
        #expect(Array(delays.prefix(5)) == [Int64](arrayLiteral: 1, 2, 4, 8, 8).map { $0 * 1_000_000_000 })
        #expect(delays.max() == 8_000_000_000)
        #expect(try outbox.depth() == 5)
        #expect(f.ledger.committedRecords.isEmpty)
        #expect(try outbox.entry(ids[0])?.lastError == "no node reachable")
        f.ledger.down = false
        _ = try await f.drive(delivery)
        #expect(f.ledger.committedRecords == ids)
        #expect(try outbox.depth() == 0)
        #expect(try outbox.all().allSatisfy { $0.state == .delivered && $0.height != nil })
    }

    @Test("Killed at each point of a delivery: after restart nothing is lost or duplicated",
          arguments: ["before the send arrived", "after the send", "after the commit"])
    func killedMidDelivery(point: String) async throws {
        let f = try DeliveryFixture(point)
        var ids: [String] = []
        do {
            let outbox = try f.openOutbox()
            for n in 0..<3 { ids.append(try f.enqueue(n, into: outbox)) }
            let delivery = f.delivery(outbox)
            switch point {
            case "before the send arrived":
                // The transaction is written to the outbox, then the process dies mid-send.
                f.ledger.loseSubmissions(1)
                guard case .backOff = try await delivery.step() else { Issue.record("the lost send was not noticed"); return }
                #expect(try outbox.entry(ids[0])?.state == .sent)
            case "after the send":
                #expect(try await delivery.step() == .waitForCommit)
            default:
                #expect(try await delivery.step() == .waitForCommit)
                f.ledger.commitPending()
            }
            #expect(try outbox.entry(ids[0])?.state == .sent)
        }
        // A new process: the outbox reopened from disk, a new worker.
        let reopened = try f.openOutbox()
        #expect(try reopened.depth() == 3)
        _ = try await f.drive(f.delivery(reopened))
        #expect(f.ledger.committedRecords == ids)
        #expect(try reopened.depth() == 0)
    }

    @Test("A node that lost its mempool: the same transaction is sent again, and committed once")
    func lostMempool() async throws {
        let f = try DeliveryFixture()
        let outbox = try f.openOutbox()
        let id = try f.enqueue(1, into: outbox)
        let delivery = f.delivery(outbox)
        #expect(try await delivery.step() == .waitForCommit)
        let first = try #require(try outbox.entry(id)?.transactionID)
        f.ledger.dropPending()
        _ = try await f.drive(delivery)
        #expect(f.ledger.committedRecords == [id])
        #expect(try outbox.entry(id)?.transactionID == first)
    }

    @Test("Someone else used the sensor's nonce: the record is signed again and still lands once")
    func staleNonce() async throws {
        let f = try DeliveryFixture()
        let outbox = try f.openOutbox()
        let a = try f.enqueue(1, into: outbox), b = try f.enqueue(2, into: outbox)
        let delivery = f.delivery(outbox)
        #expect(try await delivery.step() == .waitForCommit)
        let firstTransaction = try #require(try outbox.entry(a)?.transactionID)
        // The node loses it; meanwhile another transaction from the account takes nonce 1.
        f.ledger.dropPending()
        let otherOutbox = try EvidenceOutbox(path: ":memory:")
        let intruder = try f.enqueue(99, into: otherOutbox)
        _ = try await f.drive(f.delivery(otherOutbox))
        _ = try await f.drive(delivery)
        #expect(f.ledger.committedRecords == [intruder, a, b])
        #expect(try outbox.entry(a)?.transactionID != firstTransaction)
        #expect(try outbox.entry(a)?.state == .delivered)
        #expect(try outbox.depth() == 0)
    }

    @Test("Evidence already on the ledger (sent by an earlier install) is marked delivered, never a second case")
    func alreadyOnLedger() async throws {
        let f = try DeliveryFixture()
        let earlier = try EvidenceOutbox(path: ":memory:")
        let id = try f.enqueue(7, into: earlier)
        _ = try await f.drive(f.delivery(earlier))
        let outbox = try f.openOutbox()
        try f.enqueue(7, into: outbox)
        _ = try await f.drive(f.delivery(outbox))
        #expect(f.ledger.committedRecords == [id])
        #expect(try outbox.entry(id)?.state == .delivered)
    }

    @Test("Enqueueing the same evidence twice keeps one entry")
    func enqueueIdempotent() throws {
        let f = try DeliveryFixture()
        let outbox = try f.openOutbox()
        let r = f.record(3)
        #expect(try outbox.enqueue(recordID: r.id, record: r.bytes, signature: r.signature, bundle: nil, bundleBytes: 0, at: 1))
        #expect(try !outbox.enqueue(recordID: r.id, record: r.bytes, signature: r.signature, bundle: nil, bundleBytes: 0, at: 2))
        #expect(try outbox.all().count == 1)
    }

    @Test("Disk quota reached: the oldest delivered bundles go first, nothing undelivered")
    func quota() async throws {
        let f = try DeliveryFixture()
        let outbox = try f.openOutbox()
        var ids: [String] = []
        for n in 0..<4 {
            ids.append(try f.enqueue(n, into: outbox, bundleBytes: 400, bundle: "bundle-\(n)"))
            f.clock.advance(1_000)
        }
        // The first three are delivered; the ledger refuses to commit the fourth for now.
        let delivery = f.delivery(outbox)
        for _ in 0..<3 {
            f.clock.advance(1_000)
            #expect(try await delivery.step() == .waitForCommit)
            f.ledger.commitPending()
            #expect(try await delivery.step() == .again)
        }
        #expect(try outbox.depth() == 1)
        // 1600 bytes kept, quota 800: the two oldest deliveries go.
        let evicted = try outbox.bundlesToEvict(quotaBytes: 800)
        #expect(evicted.map(\.recordID) == [ids[0], ids[1]])
        for e in evicted { try outbox.bundleEvicted(e.recordID) }
        // Whatever the quota, the undelivered bundle is never offered.
        #expect(try outbox.bundlesToEvict(quotaBytes: 0).map(\.recordID) == [ids[2]])
        #expect(try outbox.entry(ids[3])?.bundle == "bundle-3")
    }

    @Test("A record the ledger will never take is set aside with the reason, and the queue moves on")
    func refusedRecord() async throws {
        let f = try DeliveryFixture()
        let outbox = try f.openOutbox()
        let bad = try f.enqueue(1, into: outbox), good = try f.enqueue(2, into: outbox)
        f.ledger.refuse(recordID: bad, reason: "grant g-9 is not on the ledger")
        _ = try await f.drive(f.delivery(outbox))
        #expect(f.ledger.committedRecords == [good])
        let refused = try #require(try outbox.entry(bad))
        #expect(refused.state == .refused && refused.lastError == "grant g-9 is not on the ledger")
        #expect(try outbox.depth() == 0)
    }
}
