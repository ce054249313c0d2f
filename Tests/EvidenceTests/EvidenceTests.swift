import Crypto
import Foundation
import Testing
import TestSupport
@testable import Enforcement
@testable import Evidence
@testable import Signal
@testable import Spectrum

@Suite("Evidence")
struct EvidenceTests {
    static func record() -> EvidenceRecord {
        EvidenceRecord(sensorID: "sensor-7", grantID: "g-A", kind: "power", rule: "max_psd", suspect: "pbs-a", startNs: 1_795_500_000_000_000_000,
                       endNs: 1_795_500_000_200_000_000, centerHz: 3_600_000_000, sampleRateMilliHz: 2_500_000_000, unit: "dBm/MHz",
                       measuredMilli: -25_012, limitMilli: -30_000, marginMilliDB: 4_988, noiseFloorMilliDBFS: -91_000, fftSize: 1024,
                       calibrationID: "none", calibrationOffsetMilliDB: 0, location: "52.37N 4.90E", excerptSHA256: Array(repeating: 7, count: 32),
                       nonce: Array(0..<16))
    }

    @Test("Canonical bytes round-trip, and any truncation or trailing byte is refused")
    func canonical() throws {
        let bytes = Self.record().canonicalBytes
        #expect(try EvidenceRecord(canonical: bytes) == Self.record())
        #expect(Array(bytes.prefix(4)) == Array("TBEV".utf8))
        for cut in [0, 4, 6, 40, bytes.count - 1] {
            #expect(throws: EvidenceError.self) { try EvidenceRecord(canonical: Array(bytes.prefix(cut))) }
        }
        #expect(throws: EvidenceError.self) { try EvidenceRecord(canonical: bytes + [0]) }
        // The identity is the hash of the unsigned bytes: a different nonce is a different record.
        var other = Self.record()
        other.nonce = Array(repeating: 1, count: 16)
        #expect(other.id != Self.record().id)
    }

    @Test("keygen writes private keys 0600, public keys beside them, and refuses to overwrite")
    func keys() throws {
        let dir = try Paths.scratch().path
        let keys = SensorKeys()
        try keys.write(to: dir)
        let mode = try FileManager.default.attributesOfItem(atPath: dir + "/sensor.ed25519")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try SensorKeys.loadSigningKey(dir + "/sensor.ed25519").rawRepresentation == keys.signing.rawRepresentation)
        #expect(try SensorKeys.loadPublicKey(dir + "/sensor.ed25519.pub").rawRepresentation == keys.signing.publicKey.rawRepresentation)
        #expect(throws: EvidenceError.refusingToOverwrite(path: dir + "/sensor.ed25519")) { try SensorKeys().write(to: dir) }
    }

    /// A power violation from a synthetic scene, bundled; with `dcSteps`, the receiver's DC
    /// steps to a quarter of full scale for 20 ms of every 50 ms (splattering into the band,
    /// which ends at the centre).
    static func bundle(in dir: URL, dcSteps: Bool = false) throws -> (path: String, key: Curve25519.Signing.PrivateKey, report: AuditReport) {
        let scene = SyntheticScene(sampleRate: 2.5e6, centerHz: 3.6e9, durationS: 0.6, seed: 1, startTime: "2026-11-24T06:00:00Z", noiseDbfs: -60,
                                   emitters: [.init(kind: .carrier, offsetHz: -500_000, psdDbfsPerMhz: -25, bandwidthHz: 800_000, subcarriers: 32,
                                                    startS: 0.2, endS: 0.4)])
        let meta = dir.appendingPathComponent("scene.sigmf-meta").path
        let source = try SyntheticSource(scene: scene)
        let writer = try SigMFWriter(metaPath: meta, format: .cf32LE)
        let buffer = IQBuffer(capacity: 65_536)
        while let info = try source.read(into: buffer) {
            let samples = buffer.samples
            for k in 0..<info.count where dcSteps && (info.sampleIndex + Int64(k)) % 125_000 < 50_000 {
                samples[k] = IQ(i: samples[k].i + 0.25, q: samples[k].q + 0.25)
            }
            try writer.append(UnsafeBufferPointer(samples))
        }
        try writer.finish(metadata: scene.metadata(format: .cf32LE))
        let recording = try Recording.open(meta)
        let start = try Timestamp(rfc3339: "2026-11-24T06:00:00Z")
        let grant = Grant(id: "g-A", holder: "pbs-a", mno: "mno-1", frequencyLow: 3.599e9, frequencyHigh: 3.6e9, maxPsdDbmPerMhz: -30,
                          outOfBandMaxPsdDbmPerMhz: dcSteps ? -20 : -55, windows: [Grant.Window(start: start, end: start.advanced(byNanoseconds: 10_000_000_000))],
                          maxOccupancySeconds: 10)
        let report = try Audit.run(grants: [grant]) { try RecordingSource(recording: recording) }
        let violation = try #require(report.violations.first { $0.rule == "max_psd" })
        let key = Curve25519.Signing.PrivateKey()
        var random = SeededRandom(seed: 5)
        let path = try EvidenceBundle.write(violation, grant: grant, recording: recording,
                                            context: .init(sensorID: "sensor-7", location: "lab", noiseFloorDBFSPerBin: report.floorDBFSPerBin,
                                                           fftSize: report.fftSize, calibration: nil),
                                            key: key, into: dir.appendingPathComponent("evidence").path, random: &random)
        return (path, key, report)
    }

    @Test("Through steps of the receiver's DC the verifier leaves out the spectra the audit left out, so the measurement still agrees")
    func dcStepsLeftOutAlike() throws {
        let (path, key, report) = try Self.bundle(in: try Paths.scratch(), dcSteps: true)
        #expect(report.impairedSpectra[.dcStep] ?? 0 > 0)
        let record = try EvidenceVerifier.verify(bundle: path, publicKey: key.publicKey)
        #expect(record.rule == "max_psd" && abs(Double(record.measuredMilli) / 1000 - -25) < 1, "\(record)")
    }

    @Test("A bundle verifies: signature, excerpt hash, and the excerpt measured again; sigmf_validate accepts the excerpt")
    func verifies() throws {
        let (path, key, _) = try Self.bundle(in: try Paths.scratch())
        let record = try EvidenceVerifier.verify(bundle: path, publicKey: key.publicKey)
        #expect(record.kind == "power" && record.grantID == "g-A" && record.suspect == "pbs-a")
        #expect(abs(Double(record.measuredMilli) / 1000 - -25) < 1)
        if Oracle.sigmf {
            let validation = try Oracle.validate(path + "/excerpt.sigmf-meta")
            #expect(validation.ok, "\(validation.output)")
        }
    }

    @Test("Changing any byte of the record, the signature, the excerpt or the key makes verification fail",
          arguments: ["record.bin", "record.sig", "excerpt.sigmf-data", "key"])
    func tampering(target: String) throws {
        let (path, key, _) = try Self.bundle(in: try Paths.scratch())
        var pinned = key.publicKey
        switch target {
        case "key":
            pinned = Curve25519.Signing.PrivateKey().publicKey
        default:
            let url = URL(fileURLWithPath: path + "/" + target)
            var bytes = try Data(contentsOf: url)
            let index = target == "record.sig" ? 10 : bytes.count / 2
            bytes[index] = bytes[index] == UInt8(ascii: "0") ? UInt8(ascii: "1") : (target == "record.sig" ? UInt8(ascii: "0") : bytes[index] ^ 0x01)
            try bytes.write(to: url)
        }
        #expect(throws: (any Error).self) { try EvidenceVerifier.verify(bundle: path, publicKey: pinned) }
    }

    @Test("A record whose measurement the excerpt does not support is refused, even when freshly signed")
    func lyingMeasurement() throws {
        let (path, key, _) = try Self.bundle(in: try Paths.scratch())
        var record = try EvidenceRecord(canonical: Array(try Data(contentsOf: URL(fileURLWithPath: path + "/record.bin"))))
        record.measuredMilli += 6_000  // claims 6 dB more than was there
        let canonical = Data(record.canonicalBytes)
        try canonical.write(to: URL(fileURLWithPath: path + "/record.bin"))
        try Data((try key.signature(for: canonical).map { String(format: "%02x", $0) }.joined() + "\n").utf8)
            .write(to: URL(fileURLWithPath: path + "/record.sig"))
        let error = #expect(throws: EvidenceError.self) { try EvidenceVerifier.verify(bundle: path, publicKey: key.publicKey) }
        #expect(error?.description.contains("measurement") == true, "\(String(describing: error))")
    }
}
