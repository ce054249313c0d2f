import Crypto
import Foundation
import Testing
import TestSupport
@testable import Signal

@Suite("trustband command line")
struct CLITests {
    static let demo = Paths.repository.appendingPathComponent("Fixtures/recordings/demo.sigmf-meta").path

    func sha512(_ path: String) throws -> String {
        SHA512.hash(data: try Data(contentsOf: URL(fileURLWithPath: path))).map { String(format: "%02x", $0) }.joined()
    }

    @Test("record through driver=replay reproduces the source bytes, keeps the device settings, and validates")
    func recordReproducesSource() throws {
        let out = try Paths.scratch().appendingPathComponent("copy.sigmf-meta").path
        let result = try CLI.run(["record", "--device", "driver=replay,file=\(Self.demo)", "--freq", "3.56e9", "--rate", "500000",
                                  "--gain", "12", "--samples", "100000", "--out", out])
        #expect(result.status == 0, "\(result.err)")
        #expect(result.out.contains("100000 samples (ci16_le) from replay"))
        let copyData = out.replacingOccurrences(of: ".sigmf-meta", with: ".sigmf-data")
        let sourceData = Self.demo.replacingOccurrences(of: ".sigmf-meta", with: ".sigmf-data")
        #expect(try sha512(copyData) == sha512(sourceData))
        let copy = try Recording.open(out)
        #expect(copy.metadata.global.sha512 == (try sha512(sourceData)))
        #expect(copy.metadata.global.sampleRate == 500_000)
        #expect(copy.metadata.captures.first?.frequency == 3.56e9)
        #expect(copy.metadata.captures.first?.datetime != nil)
        guard case .object(let device) = copy.metadata.global.extra["trustband:device"] else { Issue.record("no trustband:device"); return }
        #expect(device["driver"] == .string("replay"))
        #expect(device["gain_db"]?.doubleValue == 12)
        #expect(device["agc"] == .bool(false))
        #expect(device["stream_format"] == .string("CS16"))
        if Oracle.sigmf {
            let validation = try Oracle.validate(out)
            #expect(validation.ok, "\(validation.output)")
        }
    }

    @Test("record across overflows starts a new capture segment at each gap, with its global index")
    func recordSegmentsAtGaps() throws {
        let out = try Paths.scratch().appendingPathComponent("gappy.sigmf-meta").path
        let result = try CLI.run(["record", "--device", "driver=replay,file=\(Self.demo),overflow_every=3,overflow_drop=5000,mtu=4096",
                                  "--freq", "3.56e9", "--rate", "5e5", "--samples", "40000", "--out", out])
        #expect(result.status == 0, "\(result.err)")
        let copy = try Recording.open(out)
        #expect(copy.sampleCount == 40_000)
        #expect(copy.metadata.captures.count >= 3)
        let gaps = zip(copy.metadata.captures, copy.metadata.captures.dropFirst()).map { a, b in
            (b.globalIndex ?? 0) - (a.globalIndex ?? 0) - (b.sampleStart - a.sampleStart)
        }
        #expect(gaps.allSatisfy { $0 == 5000 }, "gaps \(gaps)")
        if Oracle.sigmf {
            let validation = try Oracle.validate(out)
            #expect(validation.ok, "\(validation.output)")
        }
    }

    @Test("record from a device that does not exist, or at a rate it cannot do, fails with one clear line",
          arguments: [(["--device", "driver=nonexistent", "--rate", "500000"], "no SoapySDR device matches 'driver=nonexistent'"),
                      (["--device", "driver=replay,file=\(demo)", "--rate", "1e6"], "device refused sample rate = 1000000.0 S/s")])
    func recordErrors(arguments: [String], message: String) throws {
        let out = try Paths.scratch().appendingPathComponent("x.sigmf-meta").path
        let result = try CLI.run(["record", "--freq", "3.56e9", "--samples", "10", "--out", out] + arguments)
        #expect(result.status == 1)
        #expect(result.err.contains(message), "\(result.err)")
        #expect(result.err.split(separator: "\n").filter { $0.hasPrefix("trustband: error") }.count == 1)
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test("info --json describes a real recording as the manifest does", .enabled(if: RealDataManifest.available))
    func infoJSON() throws {
        let path = Paths.realData.appendingPathComponent("d06.cs8").path
        let result = try CLI.run(["info", path, "--rate", "2000000", "--center", "868e6", "--json"])
        #expect(result.status == 0, "\(result.err)")
        guard case .object(let o) = try JSONValue.parse(Data(result.out.utf8)) else { Issue.record("not an object"); return }
        #expect(o["datatype"] == .string("ci8"))
        #expect(o["samples"] == .integer(1_236_159))
        #expect(o["sample_rate"]?.doubleValue == 2_000_000)
    }

    @Test("info on the bundled recording lists its captures and annotations")
    func infoText() throws {
        let result = try CLI.run(["info", Self.demo, "--verify"])
        #expect(result.status == 0, "\(result.err)")
        for expected in ["ci16_le", "500 kS/s", "3.560000 GHz", "100000 (0.200000 s)", "'intruder (unlicensed burst)'", "annotations: 3"] {
            #expect(result.out.contains(expected), "missing \(expected)")
        }
    }

    @Test("convert turns a raw real recording into validated SigMF without changing a byte", .enabled(if: RealDataManifest.available))
    func convertRaw() throws {
        let source = Paths.realData.appendingPathComponent("d01.cu8").path
        let out = try Paths.scratch().appendingPathComponent("d01.sigmf-meta").path
        let result = try CLI.run(["convert", source, "--rate", "250000", "--center", "433.92e6", "--start-time", "2020-01-01T00:00:00Z", "--out", out])
        #expect(result.status == 0, "\(result.err)")
        #expect(try sha512(out.replacingOccurrences(of: "-meta", with: "-data")) == sha512(source))
        let converted = try Recording.open(out)
        #expect(converted.format == .cu8 && converted.sampleCount == 131_072)
        #expect(converted.metadata.captures[0].datetime?.rfc3339 == "2020-01-01T00:00:00Z")
        if Oracle.sigmf {
            let validation = try Oracle.validate(out)
            #expect(validation.ok, "\(validation.output)")
        }
    }

    @Test("convert to another datatype is exact when the target can hold the values")
    func convertDatatype() throws {
        let dir = try Paths.scratch()
        let floats = dir.appendingPathComponent("f.sigmf-meta").path
        let back = dir.appendingPathComponent("i.sigmf-meta").path
        #expect(try CLI.run(["convert", Self.demo, "--datatype", "cf32_le", "--out", floats]).status == 0)
        #expect(try CLI.run(["convert", floats, "--datatype", "ci16_le", "--out", back]).status == 0)
        #expect(try sha512(back.replacingOccurrences(of: "-meta", with: "-data"))
                == sha512(Self.demo.replacingOccurrences(of: "-meta", with: "-data")))
        #expect(try Recording.open(back).metadata.annotations.count == 3)
    }

    @Test("Bad recordings and arguments give one error line naming the problem, never a crash",
          arguments: [(["info", "/nonexistent/x.sigmf-meta"], "/nonexistent/x.sigmf-meta: cannot open"),
                      (["info", "Fixtures/scenes/demo.json"], "pass --format"),
                      (["info", "Fixtures/recordings/demo.sigmf-data", "--format", "cf32_le"], "does not look like cf32_le"),
                      (["info", "Fixtures/recordings/demo.sigmf-meta", "--rate=-3"], "--rate: -3.0 is not a sample rate"),
                      (["replay", "Fixtures/recordings/demo.sigmf-meta", "--format", "ci8"], "does not look like"),
                      (["info", "Fixtures/recordings/demo.sigmf-meta", "--format", "cf33"], "unknown datatype 'cf33'")])
    func badInput(arguments: [String], message: String) throws {
        var resolved = arguments
        resolved[1] = resolved[1].hasPrefix("/") ? resolved[1] : Paths.repository.appendingPathComponent(resolved[1]).path
        let result = try CLI.run(resolved)
        #expect(result.status != 0)
        #expect(result.err.contains(message), "\(result.err)")
        #expect(!result.err.contains("Fatal error"))
    }

    @Test("replay prints the bundled recording's power over time, bursts where the annotations say")
    func replayBundled() throws {
        let result = try CLI.run(["replay", Self.demo, "--rows", "20"])
        #expect(result.status == 0, "\(result.err)")
        let rows = result.out.split(separator: "\n").filter { Double($0.split(separator: " ").first ?? "") != nil }
        #expect(rows.count == 20)
        let mean = rows.map { Double($0.split(separator: " ")[2]) ?? 0 }
        let burst = rows.indices.filter { rows[$0].contains("intruder") }
        #expect(burst == Array(6...12))
        #expect(burst.allSatisfy { mean[$0] > mean[0] + 2 })
        #expect(result.out.contains("SoapySDR replay (CS16)"))
    }
}

@Suite("trustband detect")
struct DetectCLITests {
    @Test("detect --json reports the bundled recording's bursts, the persistent carrier and the floor, as DESIGN.md fixes")
    func detectJSON() throws {
        let result = try CLI.run(["detect", CLITests.demo, "--json"])
        #expect(result.status == 0, "\(result.err)")
        guard case .object(let report) = try JSONValue.parse(Data(result.out.utf8)),
              case .array(let emissions) = report["emissions"], case .array(let persistent) = report["persistent"],
              case .object(let floor) = report["noise_floor"] else { Issue.record("unexpected shape: \(result.out)"); return }
        #expect(emissions.count == 2)
        #expect(persistent.count >= 1)
        #expect(floor["dbfs_per_hz"]?.doubleValue != nil)
        guard case .object(let intruder) = emissions.first else { return }
        for key in ["start_sample", "end_sample", "freq_low_hz", "freq_high_hz", "peak_hz", "power_dbfs", "snr_db", "start_time"] {
            #expect(intruder[key] != nil, "missing \(key)")
        }
        // Truth: 0.06–0.13 s at 500 kS/s, 3.56008–3.56014 GHz (LO error included).
        #expect(abs((intruder["start_sample"]?.doubleValue ?? 0) - 30_000) < 1024)
        #expect(abs((intruder["end_sample"]?.doubleValue ?? 0) - 65_000) < 1024)
        #expect((intruder["peak_hz"]?.doubleValue ?? 0) > 3.56008e9 && (intruder["peak_hz"]?.doubleValue ?? 0) < 3.56014e9)
    }

    @Test("detect with a calibration table reports dBm and names the table")
    func detectCalibrated() throws {
        let table = try Paths.scratch().appendingPathComponent("cal.json")
        try Data(#"{"id": "bench rx", "points": [{"frequency_hz": 3.5e9, "gain_db": 20, "sample_rate_hz": 500000, "offset_db": -40}]}"#.utf8).write(to: table)
        let result = try CLI.run(["detect", CLITests.demo, "--calibration", table.path, "--gain", "20", "--json"])
        #expect(result.status == 0, "\(result.err)")
        guard case .object(let report) = try JSONValue.parse(Data(result.out.utf8)),
              case .object(let calibration) = report["calibration"], case .array(let emissions) = report["emissions"],
              case .object(let first) = emissions.first else { Issue.record("unexpected shape"); return }
        #expect(calibration["id"] == .string("bench rx"))
        #expect(abs((first["power_dbm"]?.doubleValue ?? 0) - (first["power_dbfs"]?.doubleValue ?? 0) - -40) < 0.01)
    }

    @Test("detect refuses bad options with one line naming them",
          arguments: [(["--pfa", "2"], "--pfa"), (["--fft", "8"], "--fft"), (["--fft", "65536"], "more than detect's 8192 bins"), (["--window", "kaiser"], "unknown window"),
                      (["--calibration", "/nonexistent.json"], "needs --gain"), (["--integration=-1"], "--integration")])
    func badOptions(arguments: [String], message: String) throws {
        let result = try CLI.run(["detect", CLITests.demo] + arguments)
        #expect(result.status == 1)
        #expect(result.err.contains(message), "\(result.err)")
    }
}

@Suite("trustband audit")
struct AuditCLITests {
    static let grants = Paths.repository.appendingPathComponent("Fixtures/grants/demo.json").path

    @Test("audit --json finds the bundled recording's one violation: the intruder in the primary user's band outside its window")
    func auditJSON() throws {
        let result = try CLI.run(["audit", CLITests.demo, "--grants", Self.grants, "--json"])
        #expect(result.status == 0, "\(result.err)")
        guard case .object(let report) = try JSONValue.parse(Data(result.out.utf8)), case .array(let violations) = report["violations"],
              case .object(let v) = violations.first else { Issue.record("unexpected: \(result.out)"); return }
        #expect(violations.count == 1)
        #expect(v["kind"] == .string("time") && v["rule"] == .string("outside_windows"))
        #expect(v["grant_id"] == .string("pu-1-3560.11") && v["suspect"] == .string("pu-1"))
        // Truth: the intruder transmits 0.06–0.13 s after 06:00:00Z.
        let start = try Timestamp(rfc3339: v["start_time"]?.stringValue ?? "")
        let end = try Timestamp(rfc3339: v["end_time"]?.stringValue ?? "")
        let origin = try Timestamp(rfc3339: "2026-11-24T06:00:00Z")
        #expect(abs(Double(start.nanosecondsSinceEpoch - origin.nanosecondsSinceEpoch) / 1e9 - 0.06) < 0.1)
        #expect(abs(Double(end.nanosecondsSinceEpoch - origin.nanosecondsSinceEpoch) / 1e9 - 0.13) < 0.1)
        #expect(v["limit"] == .null)
    }

    @Test("audit of a recording without a start time asks for one, since windows are absolute")
    func needsStartTime() throws {
        let raw = try Paths.scratch().appendingPathComponent("demo.cs16")
        try FileManager.default.copyItem(atPath: CLITests.demo.replacingOccurrences(of: "-meta", with: "-data"), toPath: raw.path)
        let result = try CLI.run(["audit", raw.path, "--rate", "500000", "--center", "3.56e9", "--grants", Self.grants])
        #expect(result.status == 1)
        #expect(result.err.contains("pass --start-time"), "\(result.err)")
        let timed = try CLI.run(["audit", raw.path, "--rate", "500000", "--center", "3.56e9", "--start-time", "2026-11-24T06:00:00Z",
                                 "--grants", Self.grants, "--json"])
        #expect(timed.status == 0, "\(timed.err)")
        #expect(timed.out.contains("outside_windows"))
    }

    @Test("audit refuses a malformed grant file naming the grant and field")
    func badGrants() throws {
        let file = try Paths.scratch().appendingPathComponent("grants.json")
        let text = try String(contentsOfFile: Self.grants, encoding: .utf8).replacingOccurrences(of: "\"max_occupancy_s\": 1", with: "\"max_occupancy_s\": \"long\"")
        try Data(text.utf8).write(to: file)
        let result = try CLI.run(["audit", CLITests.demo, "--grants", file.path])
        #expect(result.status == 1)
        #expect(result.err.contains("grant 'pu-1-3560.11': max_occupancy_s: must be a number"), "\(result.err)")
    }
}

@Suite("trustband keygen, audit --key, evidence verify")
struct EvidenceCLITests {
    @Test("A signed bundle from audit verifies against the sensor's key, and not once its record is touched")
    func roundTrip() throws {
        let dir = try Paths.scratch()
        let keys = dir.appendingPathComponent("keys").path, evidence = dir.appendingPathComponent("evidence").path
        #expect(try CLI.run(["keygen", "--out", keys]).status == 0)
        let again = try CLI.run(["keygen", "--out", keys])
        #expect(again.status == 1 && again.err.contains("refusing to overwrite"))
        let audit = try CLI.run(["audit", CLITests.demo, "--grants", AuditCLITests.grants, "--key", keys + "/sensor.ed25519",
                                 "--evidence-dir", evidence, "--sensor-id", "sensor-1"])
        #expect(audit.status == 0, "\(audit.err)")
        let bundles = try FileManager.default.contentsOfDirectory(atPath: evidence)
        #expect(bundles.count == 1)
        let bundle = evidence + "/" + bundles[0]
        let ok = try CLI.run(["evidence", "verify", bundle, "--pubkey", keys + "/sensor.ed25519.pub"])
        #expect(ok.status == 0, "\(ok.err)")
        #expect(ok.out.hasPrefix("ok: time outside_windows of pu-1-3560.11"))
        var record = try Data(contentsOf: URL(fileURLWithPath: bundle + "/record.bin"))
        record[record.count - 3] ^= 0x40
        try record.write(to: URL(fileURLWithPath: bundle + "/record.bin"))
        let bad = try CLI.run(["evidence", "verify", bundle, "--pubkey", keys + "/sensor.ed25519.pub"])
        #expect(bad.status == 1)
        #expect(bad.err.contains("verification failed: signature"), "\(bad.err)")
    }
}

/// The agent's instrument on what real radios do to a stream (the replay driver's faults): the
/// bundled demo recording captured through `driver=replay` with a fault, then audited against
/// the demo grants. Packet loss (with timestamps that show it, or not), a drifting sample
/// clock, DC offset spikes and unannounced gain steps change neither who is accused of what
/// nor lose a violation, and the evidence still verifies (docs/security.md).
@Suite("Audits through radio faults")
struct RadioFaultAuditTests {
    static let demo = Paths.repository.appendingPathComponent("Fixtures/recordings/demo.sigmf-meta").path
    static let grants = Paths.repository.appendingPathComponent("Fixtures/grants/demo.json").path

    /// (kind, rule, grant, suspect) of every violation the audit prints, in order.
    static func violations(_ fault: String) throws -> [String] {
        let out = try Paths.scratch("fault-\(fault.hashValue)").appendingPathComponent("r.sigmf-meta").path
        let record = try CLI.run(["record", "--device", "driver=replay,file=\(demo)" + (fault.isEmpty ? "" : "," + fault), "--freq", "3.56e9", "--rate", "500000",
                                  "--samples", "100000", "--out", out, "--overwrite"])
        #expect(record.status == 0 || record.err.contains("device stopped"), "\(record.err)")
        let audit = try CLI.run(["audit", out, "--grants", grants])
        #expect(audit.status == 0, "\(audit.err)")
        return audit.out.split(separator: "\n").filter { $0.hasPrefix("  ") && $0.contains(" grant ") }
            .map { $0.split(separator: ":").first.map(String.init) ?? "" }
    }

    @Test("Packet loss, clock drift, DC spikes and gain steps: the same violations as the clean stream", arguments: [
        "drop_every=4,drop_samples=2000", "drop_every=4,drop_samples=2000,drop_timestamps=0", "drift_ppm=200", "drift_ppm=-200", "overflow_every=5,overflow_drop=3000",
        "dc_spike_every=3", "dc_spike_every=2,dc_spike_level=0.01", "gain_step_every=5", "gain_step_every=5,gain_step_db=-6", "gain_step_every=2,gain_step_db=3",
        "gain_step_every=5,dc_spike_every=4",
    ])
    func sameViolations(fault: String) throws {
        let clean = try Self.violations("")
        #expect(clean.count == 2, "\(clean)")
        #expect(try Self.violations(fault) == clean)
    }

    @Test("Through DC spikes and gain steps every bundle still verifies")
    func evidenceThroughRadioFaults() throws {
        let dir = try Paths.scratch()
        let keys = dir.appendingPathComponent("keys").path
        #expect(try CLI.run(["keygen", "--out", keys]).status == 0)
        for fault in ["dc_spike_every=3", "gain_step_every=5", "gain_step_every=5,dc_spike_every=4"] {
            let out = dir.appendingPathComponent("\(fault.hashValue).sigmf-meta").path, evidence = dir.appendingPathComponent("ev-\(fault.hashValue)").path
            let record = try CLI.run(["record", "--device", "driver=replay,file=\(Self.demo),\(fault)", "--freq", "3.56e9", "--rate", "500000",
                                      "--samples", "100000", "--out", out, "--overwrite"])
            #expect(record.status == 0, "\(record.err)")
            let audit = try CLI.run(["audit", out, "--grants", Self.grants, "--key", keys + "/sensor.ed25519", "--evidence-dir", evidence, "--json"])
            #expect(audit.status == 0, "\(audit.err)")
            guard case .object(let report) = try JSONValue.parse(Data(audit.out.utf8)), case .array(let impairments) = report["radio_impairments"] else {
                Issue.record("\(fault): \(audit.out)")
                continue
            }
            #expect(!impairments.isEmpty, "\(fault)")
            let bundles = try FileManager.default.contentsOfDirectory(atPath: evidence)
            #expect(bundles.count == 2, "\(fault): \(bundles)")
            for bundle in bundles {
                let verified = try CLI.run(["evidence", "verify", evidence + "/" + bundle, "--pubkey", keys + "/sensor.ed25519.pub"])
                #expect(verified.status == 0, "\(fault): \(verified.err)")
            }
        }
    }
}
