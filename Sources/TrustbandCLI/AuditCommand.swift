import Agent
import ArgumentParser
import Enforcement
import Evidence
import Foundation
import Signal
import Spectrum

/// `trustband audit RECORDING --grants FILE`: every violation of the grants in a recording.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Check a recording against spectrum grants: power, frequency, time and degradation violations.")

    @Argument(help: "The recording to audit (its centre frequency must be known: SigMF or --center).")
    var recording: String

    @OptionGroup var source: RecordingArguments

    @Option(help: "Grant file (JSON: {\"grants\": [...]}).")
    var grants: String

    @Option(name: .customLong("cal"), help: "Calibration table (JSON) for dBm; needs --gain. Without it dBFS are read as dBm.")
    var calibration: String?

    @Option(help: "Receiver gain in dB the recording was made at (for --cal).")
    var gain: Double?

    @Option(help: "Seconds a rule must stay broken before it is a violation (and stay kept to end it).")
    var hold = 0.05

    @Option(help: "Allowance over limits before a reading counts as broken, dB.")
    var margin = 0.5

    @Flag(help: "Print JSON.")
    var json = false

    @Option(help: "Sensor signing key (sensor.ed25519 from keygen): write a signed evidence bundle per violation.")
    var key: String?

    @Option(help: "Directory for evidence bundles (with --key).")
    var evidenceDir: String?

    @Option(help: "Sensor id recorded in evidence.")
    var sensorID = ProcessInfo.processInfo.hostName

    @Option(help: "Sensor location recorded in evidence.")
    var location = ""

    @Option(help: "Threads computing spectra (default: one per core, at most 4; the result is the same bit for bit).")
    var threads = AgentConfiguration.defaultThreads

    func run() throws {
        try reportingErrors {
            let recording = try source.open(recording)
            try recording.checkIntegrity()
            guard recording.metadata.captures.first?.frequency != nil else {
                throw UserFacingError(message: "\(recording.path): the centre frequency is not known; pass --center (grants are in absolute Hz)")
            }
            guard let data = FileManager.default.contents(atPath: grants) else {
                throw UserFacingError(message: "\(grants): cannot read the grant file")
            }
            let grantList = try GrantFile.decode(json: data, path: grants)
            guard recording.metadata.captures.first?.datetime != nil else {
                throw UserFacingError(message: "\(recording.path): the start time is unknown; pass --start-time (grant windows are absolute times)")
            }
            let rate = recording.metadata.global.sampleRate ?? 0, centre = recording.metadata.captures.first?.frequency ?? 0
            let unseen = grantList.filter { $0.frequencyLow < centre - rate / 2 || $0.frequencyHigh > centre + rate / 2 }
            if !unseen.isEmpty {
                FileHandle.standardError.write(Data("trustband: warning: not wholly inside the recorded band, so not audited: \(unseen.map(\.id).joined(separator: ", "))\n".utf8))
            }
            guard hold >= 0, hold.isFinite, margin.isFinite else { throw UserFacingError(message: "--hold and --margin must be finite, --hold ≥ 0") }
            let applied = try CalibrationLoader.load(path: calibration, gain: gain, for: recording)
            let holdNs = Int64((hold * 1e9).rounded())
            var detection = DetectionConfiguration()
            detection.welch.threads = threads
            try detection.welch.validate()
            let progress = TerminalProgress(enabled: !json)
            var pass = 0
            let report = try Audit.run(grants: grantList, detection: detection, configuration: AuditConfiguration(hold: holdNs, release: holdNs, marginDB: margin),
                                       calibration: applied) {
                pass += 1
                return ProgressRecordingSource(try RecordingSource(recording: recording), progress: progress, pass: pass)
            }
            progress.finish()
            if let key {
                guard let evidenceDir else { throw UserFacingError(message: "--key needs --evidence-dir") }
                let signing = try SensorKeys.loadSigningKey(key)
                var random = SystemRandomNumberGenerator()
                let context = EvidenceBundle.Context(sensorID: sensorID, location: location,
                                                     noiseFloorDBFSPerBin: report.floorDBFSPerBin, fftSize: report.fftSize,
                                                     calibration: applied)
                for violation in report.violations {
                    guard let grant = grantList.first(where: { $0.id == violation.grantID }) else { continue }
                    let path = try EvidenceBundle.write(violation, grant: grant, recording: recording, context: context, key: signing,
                                                        into: evidenceDir, random: &random)
                    FileHandle.standardError.write(Data("evidence: \(path)\n".utf8))
                }
            } else if evidenceDir != nil {
                throw UserFacingError(message: "--evidence-dir needs --key (the sensor's signing key)")
            }
            if json {
                print(try JSONWriter.write(report.jsonValue(recording: recording.path)))
            } else {
                print("recording:  \(recording.path)")
                print("grants:     \(grantList.map(\.id).joined(separator: ", "))")
                print("calibration: \(applied.map { "\($0.id) (\(String(format: "%+.1f", $0.offsetDb)) dB)" } ?? "none (dBFS read as dBm)")")
                print("violations: \(report.violations.count)")
                for v in report.violations {
                    let when = v.startTime.map { "\($0.rfc3339) … \(v.endTime?.rfc3339 ?? "")" }
                        ?? String(format: "%.3f … %.3f s", Double(v.startSample) / report.sampleRate, Double(v.endSample) / report.sampleRate)
                    let limit = v.limit.isFinite ? String(format: "limit %.2f (%+.1f dB)", v.limit, v.marginDB) : "none allowed"
                    print(String(format: "  %@ %@ grant %@ suspect %@: measured %.2f %@, %@, %@",
                                 v.kind.rawValue, v.rule, v.grantID, v.suspect, v.measured, v.unit, limit, when))
                }
                let affected = report.impairedSpectra
                if !affected.isEmpty {
                    let dc = affected[.dcStep].map { "\($0) spectra with a DC step kept out" }
                    let floor = affected[.floorShift].map { "\($0) with the floor moved read with limits widened by the shift" }
                    print("radio:      " + [dc, floor].compactMap { $0 }.joined(separator: "; ")
                          + " (\(report.impairments.count) stretch\(report.impairments.count == 1 ? "" : "es"); --json lists them)")
                }
            }
        }
    }
}

/// Reads a calibration table and applies it to a recording's centre, rate and gain.
enum CalibrationLoader {
    static func load(path: String?, gain: Double?, for recording: Recording) throws -> AppliedCalibration? {
        guard let path else { return nil }
        guard let gain else { throw UserFacingError(message: "a calibration needs --gain (the gain the recording was made at)") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw UserFacingError(message: "\(path): cannot read the calibration table")
        }
        let table = try CalibrationTable.decode(json: data, path: path)
        guard let centre = recording.metadata.captures.first?.frequency, let rate = recording.metadata.global.sampleRate else {
            throw UserFacingError(message: "calibration needs the recording's centre frequency and rate (--center, --rate)")
        }
        return AppliedCalibration(id: table.id, offsetDb: table.offset(frequency: centre, gain: gain, sampleRate: rate))
    }
}
