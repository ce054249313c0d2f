import Agent
import Consensus
import Crypto
import Enforcement
import Evidence
import Foundation
import Ledger
import Node
import Signal

/// The decoders that read bytes from outside, as fuzz targets (`Fuzz/`, `scripts/fuzz.sh`).
/// Each takes any bytes and must either decode them or refuse them with an error: never
/// crash, hang or read out of bounds. The same functions replay the seed corpora and every
/// crash ever found in the tests (`FuzzRegressionTests`).
public enum FuzzTargets {
    /// Target names, as `TRUSTBAND_FUZZ_TARGET` and the corpus folders spell them.
    public static let names = ["sigmf-meta", "raw-samples", "transaction", "consensus", "evidence-record", "grants", "scenario", "genesis",
                               "peer-frames", "sigmf-archive", "evidence-bundle", "tx-body", "node-config", "agent-config"]

    /// Runs the target named by `TRUSTBAND_FUZZ_TARGET` (read once).
    public static func run(_ input: UnsafeBufferPointer<UInt8>) {
        run(selected, Array(input))
    }

    static let selected: String = {
        let name = ProcessInfo.processInfo.environment["TRUSTBAND_FUZZ_TARGET"] ?? ""
        guard names.contains(name) else { fatalError("TRUSTBAND_FUZZ_TARGET must be one of \(names.joined(separator: ", ")), not \"\(name)\"") }
        return name
    }()

    /// Decodes `bytes` with the decoder `target` names. Errors are the expected outcome for
    /// most inputs and are ignored; what is decoded is re-encoded where an encoder exists and
    /// must decode to the same value (a round trip that breaks is a bug, reported by a trap).
    public static func run(_ target: String, _ bytes: [UInt8]) {
        switch target {
        case "sigmf-meta":
            if let metadata = try? SigMFMetadata(json: Data(bytes), path: "fuzz.sigmf-meta") { _ = metadata.captures.count }
        case "raw-samples": rawSamples(bytes)
        case "transaction":
            if let tx = try? Transaction(canonical: bytes) { precondition(tx.canonicalBytes == bytes, "transaction does not re-encode to its bytes") }
            if let signed = try? SignedTransaction(wire: bytes) { precondition(signed.wireBytes == bytes, "wire transaction does not re-encode to its bytes") }
            if let vote = try? ConsensusVote(canonical: bytes) { precondition(vote.canonicalBytes == bytes, "vote does not re-encode to its bytes") }
        case "consensus":
            if let message = try? ConsensusMessage(wire: bytes) { precondition(message.wireBytes == bytes, "consensus message does not re-encode to its bytes") }
            if let commit = try? Commit(wire: bytes) { precondition(commit.wireBytes == bytes, "commit does not re-encode to its bytes") }
        case "evidence-record":
            if let record = try? EvidenceRecord(canonical: bytes) { precondition(record.canonicalBytes == bytes, "record does not re-encode to its bytes") }
        case "grants": _ = try? GrantFile.decode(json: Data(bytes), path: "fuzz.json")
        case "scenario": _ = try? Scenario.run(json: Data(bytes), devSign: true)
        case "genesis": _ = try? Genesis.parse(json: Data(bytes), devSign: true)
        case "peer-frames": peerFrames(bytes)
        case "sigmf-archive": sigmfArchive(bytes)
        case "evidence-bundle": evidenceBundle(bytes)
        case "tx-body": txBody(bytes)
        case "node-config": _ = try? NodeConfiguration.load(data: Data(bytes), path: "/nonexistent/fuzz/node.json")
        case "agent-config": _ = try? AgentConfiguration.load(data: Data(bytes), path: "/nonexistent/fuzz/agent.json")
        default: fatalError("no fuzz target \(target)")
        }
    }

    /// A `POST /v1/tx` body sent as JSON (`{"tx": "<hex>"}`), decoded as the node decodes it
    /// before admission: the wire bytes, then the signed transaction, which must re-encode.
    static func txBody(_ bytes: [UInt8]) {
        guard let wire = SubmissionBody.wireBytes(bytes, json: true), let signed = try? SignedTransaction(wire: wire) else { return }
        precondition(signed.wireBytes == wire, "a transaction from a JSON body does not re-encode to its bytes")
    }

    /// A body of a peer link message, `/v1/peer/…` or `/v1/txs`: framed items, each decoded as
    /// the node decodes them (a consensus message, or a signed transaction).
    static func peerFrames(_ bytes: [UInt8]) {
        guard case .success(let items) = PeerFraming.unframe(bytes, maxItems: 10_000) else { return }
        precondition(PeerFraming.frame(items) == bytes, "frames do not re-encode to their bytes")
        for item in items {
            if let message = try? ConsensusMessage(wire: item) { precondition(message.wireBytes == item, "framed consensus message does not re-encode") }
            if let signed = try? SignedTransaction(wire: item) { precondition(signed.wireBytes == item, "framed transaction does not re-encode") }
        }
    }

    /// An evidence bundle as an auditor receives it: the input is four framed items (record,
    /// excerpt metadata, excerpt samples, grant file). The record is re-signed with a fixed key
    /// and its excerpt hash set to the samples' so that the check reaches the re-measurement of
    /// the excerpt against the grant (a fuzzer cannot forge signatures or hashes).
    static func evidenceBundle(_ bytes: [UInt8]) {
        guard case .success(let items) = PeerFraming.unframe(bytes, maxItems: 8), items.count == 4,
              var record = try? EvidenceRecord(canonical: items[0]) else { return }
        record.excerptSHA256 = Array(SHA256.hash(data: items[2]))
        let dir = NSTemporaryDirectory() + "trustband-fuzz-bundle-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        guard (try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)) != nil,
              let signature = try? bundleKey.signature(for: record.canonicalBytes) else { return }
        let files: [(String, [UInt8])] = [("record.bin", record.canonicalBytes), ("record.sig", Array(Hex.encode(Array(signature)).utf8)),
                                          ("excerpt.sigmf-meta", items[1]), ("excerpt.sigmf-data", items[2]), ("grant.json", items[3])]
        for (name, content) in files { guard FileManager.default.createFile(atPath: dir + "/" + name, contents: Data(content)) else { return } }
        if let verified = try? EvidenceVerifier.verify(bundle: dir, publicKey: bundleKey.publicKey) {
            precondition(verified == record, "a bundle verified as another record than the one it holds")
        }
    }

    static let bundleKey = DevKeys.signing("fuzz-sensor")

    /// A `.sigmf` archive (tar): its members listed, the recording opened, checked and read.
    static func sigmfArchive(_ bytes: [UInt8]) {
        let path = NSTemporaryDirectory() + "trustband-fuzz-\(getpid()).sigmf"
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { return }
        defer { try? FileManager.default.removeItem(atPath: path) }
        guard let members = try? SigMFArchive.members(ofArchiveAt: path) else { return }
        for member in members { precondition(member.offset >= 0 && member.size >= 0 && member.offset + member.size <= Int64(bytes.count), "member outside the archive") }
        readToEnd(path, options: RecordingOptions())
    }

    /// Opens the recording at `path`, checks it and reads every sample; never more than it holds.
    static func readToEnd(_ path: String, options: RecordingOptions) {
        guard let recording = try? Recording.open(path, options: options), let source = try? RecordingSource(recording: recording) else { return }
        _ = try? recording.integrityProblems()
        let buffer = IQBuffer(capacity: 4096)
        var total = 0
        while let info = try? source.read(into: buffer) {
            total += info.count
            precondition(total <= recording.sampleCount, "read more samples than the recording holds")
        }
    }

    /// A raw sample file: the first byte picks the declared format (or none, to sniff), the
    /// rest is the file; it is opened, checked and read to the end.
    static func rawSamples(_ bytes: [UInt8]) {
        guard let selector = bytes.first else { return }
        let formats = ["cu8", "cs8", "cs16", "cf32", "cf64", "ci16_le", "ci16_be", "cf32_be", "cu16_le"]
        let path = NSTemporaryDirectory() + "trustband-fuzz-\(getpid()).raw"
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes.dropFirst())) else { return }
        defer { try? FileManager.default.removeItem(atPath: path) }
        var options = RecordingOptions(sampleRate: 1e6)
        let index = Int(selector) % (formats.count + 1)
        if index < formats.count { options.format = try? SampleFormat(parsing: formats[index]) }
        readToEnd(path, options: options)
    }
}
