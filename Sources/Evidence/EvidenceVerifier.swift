import Crypto
import Enforcement
import Foundation
import Signal
import Spectrum

/// Checks a bundle as a stranger would: the signature over the record, the excerpt's hash, and
/// that the excerpt, measured again with the record's floor and calibration, shows what the
/// record says it measured.
public enum EvidenceVerifier {
    /// Largest disagreement allowed between the record and the excerpt measured again.
    public static let toleranceDB = 1.0

    /// - Parameter publicKey: pin the signer; nil uses the key in the bundle (which then only
    ///   proves the bundle is intact, not who made it).
    @discardableResult
    public static func verify(bundle: String, publicKey pinned: Curve25519.Signing.PublicKey? = nil) throws -> EvidenceRecord {
        func read(_ name: String) throws -> Data {
            guard let data = FileManager.default.contents(atPath: bundle + "/" + name) else {
                throw EvidenceError.io(path: bundle + "/" + name, problem: "missing or unreadable")
            }
            return data
        }
        let (record, canonical, signature) = try EvidenceBundle.storedRecord(at: bundle)
        let key = try pinned ?? SensorKeys.loadPublicKey(bundle + "/sensor.ed25519.pub")
        guard key.isValidSignature(signature, for: canonical) else {
            throw EvidenceError.verificationFailed(check: "signature", problem: "does not verify for this key and record")
        }
        let excerptHash = Array(SHA256.hash(data: try read("excerpt.sigmf-data")))
        guard excerptHash == record.excerptSHA256 else {
            throw EvidenceError.verificationFailed(check: "excerpt", problem: "SHA-256 of excerpt.sigmf-data is not the one in the record")
        }
        try checkMeasurement(record, bundle: bundle, grantFile: try read("grant.json"))
        return record
    }

    private static func checkMeasurement(_ record: EvidenceRecord, bundle: String, grantFile: Data) throws {
        let grants = try GrantFile.decode(json: grantFile, path: bundle + "/grant.json")
        guard let grant = grants.first, grants.count == 1, grant.id == record.grantID else {
            throw EvidenceError.verificationFailed(check: "grant", problem: "grant.json does not hold grant \(record.grantID)")
        }
        let excerpt = try Recording.open(bundle + "/excerpt.sigmf-meta")
        // The spectra the audit measured: detect's defaults at the recorded FFT size, each
        // segment's mean taken out, and those with a step of the DC left out as the audit left them.
        var welch = Audit.welch(DetectionConfiguration().welch)
        welch.fftSize = Int(record.fftSize)
        try welch.validate()
        let floor = pow(10, Double(record.noiseFloorMilliDBFS) / 10_000)
        let background = Background(floor: floor, perBin: [Double](repeating: floor, count: welch.fftSize), spectra: 0)
        let window = Window(welch.window, length: welch.fftSize)
        let k = DetectionThreshold.effectiveAverages(window: window, hop: welch.hop, averages: welch.averages)
        let spectraCount = max(1, Double(excerpt.sampleCount) / Double(welch.spectrumHop))
        let threshold = try DetectionThreshold(pfa: 1e-3, cells: spectraCount * Double(welch.fftSize),
                                               window: window, hop: welch.hop, averages: welch.averages)
        let meter = GrantMeter(grants: [grant], background: background, threshold: threshold,
                               offsetDB: Double(record.calibrationOffsetMilliDB) / 1000)
        let start = excerpt.metadata.captures.first?.datetime
        var screen = RadioImpairmentScreen(reference: background.levels, floorPerBin: floor, effectiveAverages: k)
        // Per spectrum: its reading when wholly inside the span and not left out by the audit.
        var readings: [GrantReading?] = []
        var samples: Int64 = 0
        try OccupancyAnalysis.spectra(of: try RecordingSource(recording: excerpt), welch: welch, samples: &samples) { spectrum in
            let assessment = screen.assess(spectrum)
            if assessment.previousHoldsStep, !readings.isEmpty { readings[readings.count - 1] = nil }
            guard assessment.dcStepDB == nil,
                  let t = spectrum.time ?? start?.advanced(bySamples: spectrum.startSample, sampleRate: spectrum.sampleRate) else {
                readings.append(nil)
                return
            }
            let end = t.nanosecondsSinceEpoch + Int64(Double(spectrum.endSample - spectrum.startSample) / spectrum.sampleRate * 1e9)
            // Spectra wholly inside the violation.
            readings.append(t.nanosecondsSinceEpoch >= record.startNs && end <= record.endNs ? meter.read(spectrum)[0] : nil)
        }
        let measuredReadings = readings.compactMap { $0 }
        guard !measuredReadings.isEmpty else {
            throw EvidenceError.verificationFailed(check: "measurement", problem: "the excerpt holds no spectrum inside the violation's span")
        }
        let measured = Double(record.measuredMilli) / 1000
        func agree(_ value: Double, _ what: String) throws {
            guard abs(value - measured) <= toleranceDB else {
                throw EvidenceError.verificationFailed(check: "measurement",
                                                      problem: "the excerpt shows \(what) \(value), the record says \(measured) \(record.unit)")
            }
        }
        switch record.rule {
        case "max_psd", "outside_windows": try agree(measuredReadings.map(\.peakPsdDbmPerMhz).max()!, "peak PSD")
        case "oob_mask": try agree(measuredReadings.compactMap(\.worstOutOfBandPsdDbmPerMhz).max() ?? -.infinity, "out-of-band PSD")
        case "nominal_psd": try agree(measuredReadings.compactMap(\.deliveredPsdDbmPerMhz).min() ?? -.infinity, "delivered PSD")
        case "nominal_bandwidth":
            let width = measuredReadings.map(\.occupiedBandwidthHz).min()!
            guard abs(width - measured) <= 0.2 * max(measured, 1) else {
                throw EvidenceError.verificationFailed(check: "measurement", problem: "the excerpt shows \(width) Hz occupied, the record says \(measured) Hz")
            }
        case "max_occupancy":
            let on = measuredReadings.filter(\.occupied).count
            guard on * 5 >= measuredReadings.count * 4 else {
                throw EvidenceError.verificationFailed(check: "measurement", problem: "the band is occupied in only \(on) of \(measuredReadings.count) spectra")
            }
        default:
            throw EvidenceError.verificationFailed(check: "rule", problem: "unknown rule \(record.rule)")
        }
    }
}
