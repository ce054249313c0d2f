import Crypto
import Enforcement
import Evidence
import Foundation
import Signal
import Storage

/// Turns violations into evidence bundles on disk and entries in the outbox, so that auditing
/// the same recording again (after a restart) adds nothing: a bundle's name follows from its
/// violation, a bundle that exists is whole (it is renamed into place when written), and its
/// record is enqueued again under the same id, which the outbox keeps once.
public struct EvidenceIntake: Sendable {
    public let directory: String
    public let outbox: EvidenceOutbox
    public let key: Curve25519.Signing.PrivateKey

    public init(directory: String, outbox: EvidenceOutbox, key: Curve25519.Signing.PrivateKey) {
        self.directory = directory
        self.outbox = outbox
        self.key = key
    }

    /// Bundles and enqueues each violation; returns the record ids newly added to the outbox.
    public func take(_ violations: [Violation], grants: [Grant], recording: Recording, context: EvidenceBundle.Context,
                     now: Int64) throws(AgentError) -> [String] {
        var added: [String] = []
        var random = SystemRandomNumberGenerator()
        for violation in violations {
            guard let grant = grants.first(where: { $0.id == violation.grantID }) else { continue }
            let bundle = directory + "/" + EvidenceBundle.name(of: violation)
            do {
                if !FileManager.default.fileExists(atPath: bundle) {
                    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                    _ = try EvidenceBundle.write(violation, grant: grant, recording: recording, context: context, key: key,
                                                 into: directory, random: &random)
                }
                let stored = try EvidenceBundle.storedRecord(at: bundle)
                if try outbox.enqueue(recordID: stored.record.id, record: stored.canonical, signature: stored.signature, bundle: bundle,
                                      bundleBytes: Self.size(of: bundle), at: now) {
                    added.append(stored.record.id)
                }
            } catch {
                throw .evidence("\(bundle): \(error)")
            }
        }
        return added
    }

    /// Bytes of the files in a bundle directory.
    static func size(of directory: String) -> Int64 {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return files.reduce(Int64(0)) { total, name in
            let attributes = try? FileManager.default.attributesOfItem(atPath: directory + "/" + name)
            return total + ((attributes?[.size] as? NSNumber)?.int64Value ?? 0)
        }
    }

    /// Deletes bundles the outbox chooses so that those kept fit in `quotaBytes` (delivered
    /// ones, oldest delivery first; never one still to deliver). Returns how many went.
    @discardableResult
    public func evict(quotaBytes: Int64) throws(AgentError) -> Int {
        do {
            let chosen = try outbox.bundlesToEvict(quotaBytes: quotaBytes)
            for entry in chosen {
                if let path = entry.bundle { try? FileManager.default.removeItem(atPath: path) }
                try outbox.bundleEvicted(entry.recordID)
            }
            return chosen.count
        } catch {
            throw .evidence("evicting bundles: \(error)")
        }
    }
}
