import Crypto
import Enforcement
import Foundation
import Signal
import Spectrum

/// A directory a stranger can check: the signed record, the signature, the signer's public key,
/// the grant, and the IQ excerpt (SigMF, annotated with the violation) whose SHA-256 the record
/// carries. `record.json` repeats the record for people, and `evidence.svg` draws it (PSD against
/// the grant's limit and mask, waterfall of the excerpt); neither is what is signed.
public enum EvidenceBundle {
    /// Context the record needs beyond the violation itself.
    public struct Context: Sendable {
        public var sensorID: String
        public var location: String
        public var noiseFloorDBFSPerBin: Double
        public var fftSize: Int
        public var calibration: AppliedCalibration?

        public init(sensorID: String, location: String, noiseFloorDBFSPerBin: Double, fftSize: Int, calibration: AppliedCalibration?) {
            self.sensorID = sensorID
            self.location = location
            self.noiseFloorDBFSPerBin = noiseFloorDBFSPerBin
            self.fftSize = fftSize
            self.calibration = calibration
        }
    }

    /// Samples kept either side of the violation, and at most in all.
    public static let paddingSeconds = 0.1, maximumExcerptSamples: Int64 = 4 << 20

    /// Writes one bundle for `violation` into a new directory under `directory`; returns its path.
    @discardableResult
    public static func write<R: RandomNumberGenerator>(_ violation: Violation, grant: Grant, recording: Recording, context: Context,
                                                        key: Curve25519.Signing.PrivateKey, into directory: String,
                                                        random: inout R) throws -> String {
        let rate = recording.metadata.global.sampleRate ?? 1
        let pad = Int64(paddingSeconds * rate)
        let first = max(0, violation.startSample - pad)
        let last = min(recording.sampleCount, violation.endSample + pad, first + maximumExcerptSamples)
        let nonce = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &random) }
        let final = directory + "/" + name(of: violation)
        guard !FileManager.default.fileExists(atPath: final) else { throw EvidenceError.refusingToOverwrite(path: final) }
        // Built under a temporary name and renamed when whole: a bundle that exists is complete,
        // whenever the process was killed.
        let bundle = final + ".partial"
        try? FileManager.default.removeItem(atPath: bundle)
        try FileManager.default.createDirectory(atPath: bundle, withIntermediateDirectories: true)

        // The excerpt, with the violation annotated on it (sample indices relative to the excerpt).
        let source = try RecordingSource(recording: recording, startSample: first, sampleLimit: last - first)
        let writer = try SigMFWriter(metaPath: bundle + "/excerpt.sigmf-meta", format: .cf32LE)
        let buffer = IQBuffer(capacity: 1 << 16)
        while try source.read(into: buffer) != nil { try writer.append(UnsafeBufferPointer(buffer.samples)) }
        let capture = recording.metadata.capture(containing: first)
        var note = SigMFAnnotation(sampleStart: max(0, violation.startSample - first),
                                   sampleCount: min(last, violation.endSample) - max(first, violation.startSample),
                                   freqLowerEdge: grant.frequencyLow, freqUpperEdge: grant.frequencyHigh,
                                   label: "\(violation.kind.rawValue) violation of \(grant.id)", comment: violation.rule, generator: "trustband audit")
        note.extra["trustband:rule"] = .string(violation.rule)
        note.extra["trustband:suspect"] = .string(violation.suspect)
        let start = capture?.datetime.map { $0.advanced(bySamples: first - (capture?.sampleStart ?? 0), sampleRate: rate) }
        let metadata = SigMFMetadata(global: SigMFGlobal(datatype: .cf32LE, sampleRate: rate, description: "Evidence excerpt", recorder: "trustband audit"),
                                     captures: [SigMFCapture(sampleStart: 0, frequency: capture?.frequency, datetime: start)],
                                     annotations: [note])
        try writer.finish(metadata: metadata)
        let excerptHash = Array(SHA256.hash(data: try Data(contentsOf: URL(fileURLWithPath: bundle + "/excerpt.sigmf-data"))))

        let record = EvidenceRecord(
            sensorID: context.sensorID, grantID: grant.id, kind: violation.kind.rawValue, rule: violation.rule, suspect: violation.suspect,
            startNs: violation.startTime?.nanosecondsSinceEpoch ?? 0, endNs: violation.endTime?.nanosecondsSinceEpoch ?? 0,
            centerHz: Int64((capture?.frequency ?? 0).rounded()), sampleRateMilliHz: Int64((rate * 1000).rounded()), unit: violation.unit,
            measuredMilli: EvidenceRecord.milli(violation.measured) ?? 0, limitMilli: EvidenceRecord.milli(violation.limit),
            marginMilliDB: EvidenceRecord.milli(violation.marginDB),
            noiseFloorMilliDBFS: EvidenceRecord.milli(context.noiseFloorDBFSPerBin) ?? 0, fftSize: Int64(context.fftSize),
            calibrationID: context.calibration?.id ?? "none", calibrationOffsetMilliDB: EvidenceRecord.milli(context.calibration?.offsetDb ?? 0) ?? 0,
            location: context.location, excerptSHA256: excerptHash, nonce: nonce)
        let canonical = Data(record.canonicalBytes)
        let signature = try key.signature(for: canonical)
        try canonical.write(to: URL(fileURLWithPath: bundle + "/record.bin"))
        try Data((hex(signature) + "\n").utf8).write(to: URL(fileURLWithPath: bundle + "/record.sig"))
        try Data((hex(key.publicKey.rawRepresentation) + "\n").utf8).write(to: URL(fileURLWithPath: bundle + "/sensor.ed25519.pub"))
        try Data(JSONWriter.write(GrantFile.encode([grant])).utf8).write(to: URL(fileURLWithPath: bundle + "/grant.json"))
        try Data(JSONWriter.write(record.jsonValue).utf8).write(to: URL(fileURLWithPath: bundle + "/record.json"))
        let picture = try picture(excerptPath: bundle + "/excerpt.sigmf-meta", violation: violation, excerptStart: first, grant: grant, context: context)
        try Data(picture.svg().utf8).write(to: URL(fileURLWithPath: bundle + "/evidence.svg"))
        try FileManager.default.moveItem(atPath: bundle, toPath: final)
        return final
    }

    /// The signed record a bundle holds: `record.bin` decoded, its bytes, and `record.sig`.
    public static func storedRecord(at bundle: String) throws(EvidenceError) -> (record: EvidenceRecord, canonical: [UInt8], signature: [UInt8]) {
        func read(_ name: String) throws(EvidenceError) -> Data {
            guard let data = FileManager.default.contents(atPath: bundle + "/" + name) else {
                throw .io(path: bundle + "/" + name, problem: "missing or unreadable")
            }
            return data
        }
        let canonical = Array(try read("record.bin"))
        let record = try EvidenceRecord(canonical: canonical)
        let signatureText = String(decoding: try read("record.sig"), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let signature = Hex.decode(signatureText), signature.count == 64 else {
            throw .verificationFailed(check: "signature", problem: "record.sig is not a 64-byte Ed25519 signature")
        }
        return (record, canonical, signature)
    }

    /// The bundle's directory name for a violation: `kind-grant-START`, START its start time in
    /// ns since the epoch (or its sample index when the time is unknown). The same whenever the
    /// same recording is audited again, and distinct across the segments of a live stream,
    /// whose sample indices each start at 0.
    public static func name(of violation: Violation) -> String {
        "\(violation.kind.rawValue)-\(violation.grantID)-\(violation.startTime.map { String($0.nanosecondsSinceEpoch) } ?? String(violation.startSample))"
    }
}
