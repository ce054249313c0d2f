import Foundation
import Testing
import TestSupport
@testable import Signal

/// Bad recordings give one error naming the problem, never a crash or garbage.
@Suite("Bad recordings are refused clearly")
struct BadInputTests {
    func writeMeta(_ json: String, data: [UInt8], in dir: URL, name: String = "r") throws -> String {
        let meta = dir.appendingPathComponent("\(name).sigmf-meta")
        try Data(json.utf8).write(to: meta)
        try Data(data).write(to: dir.appendingPathComponent("\(name).sigmf-data"))
        return meta.path
    }

    func meta(datatype: String, rate: String = "1000000") -> String {
        #"{"global": {"core:datatype": "\#(datatype)", "core:sample_rate": \#(rate), "core:version": "1.2.0"}, "captures": [{"core:sample_start": 0}], "annotations": []}"#
    }

    /// cf32 noise at about -20 dBFS, as raw bytes.
    func floatNoise(samples: Int) -> [UInt8] {
        var generator = SeededRandom(seed: 9)
        let floats = (0..<(2 * samples)).map { _ in Float.random(in: -0.1...0.1, using: &generator) }
        return floats.withUnsafeBytes { Array($0) }
    }

    @Test("A data file that is not whole samples is reported as truncated, with the leftover bytes")
    func truncated() throws {
        let dir = try Paths.scratch()
        let path = try writeMeta(meta(datatype: "ci16_le"), data: [UInt8](repeating: 1, count: 4 * 1000 + 3), in: dir)
        #expect(throws: SignalError.truncatedData(path: dir.appendingPathComponent("r.sigmf-data").path, bytes: 4003, sampleBytes: 4, leftover: 3)) {
            try Recording.open(path)
        }
        let raw = dir.appendingPathComponent("cut.cs16").path
        try Data([UInt8](repeating: 0, count: 4097)).write(to: URL(fileURLWithPath: raw))
        let error = #expect(throws: SignalError.self) { try Recording.open(raw, options: RecordingOptions(sampleRate: 1e6)) }
        #expect(error?.description.contains("truncated") == true)
    }

    @Test("Float data whose meta claims ci16_le is called out, with the likely real datatype")
    func floatDeclaredAsInteger() throws {
        let dir = try Paths.scratch()
        let path = try writeMeta(meta(datatype: "ci16_le"), data: floatNoise(samples: 8192), in: dir)
        let error = #expect(throws: SignalError.self) { try Recording.open(path) }
        guard case .datatypeMismatch(_, let declared, let evidence) = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(declared == "ci16_le")
        #expect(evidence.contains("cf32_le"))
    }

    @Test("Integer data whose meta claims cf32_le is called out")
    func integerDeclaredAsFloat() throws {
        let dir = try Paths.scratch()
        var generator = SeededRandom(seed: 2)
        let bytes = (0..<16384).map { _ in UInt8(truncatingIfNeeded: Int(Int8.random(in: -40...40, using: &generator))) }
        let path = try writeMeta(meta(datatype: "cf32_le"), data: bytes, in: dir)
        let error = #expect(throws: SignalError.self) { try Recording.open(path) }
        #expect(error?.description.contains("does not look like cf32_le") == true)
    }

    @Test("Offset-binary and two's-complement 8-bit are not confused",
          arguments: [("ci8", "cu8"), ("cu8", "ci8")])
    func eightBitSwap(actual: String, declared: String) throws {
        let dir = try Paths.scratch()
        var generator = SeededRandom(seed: 4)
        let signed = (0..<16384).map { _ in Int8.random(in: -20...20, using: &generator) }
        let bytes = signed.map { actual == "ci8" ? UInt8(bitPattern: $0) : UInt8(Int($0) + 128) }
        let path = try writeMeta(meta(datatype: declared), data: bytes, in: dir)
        let error = #expect(throws: SignalError.self) { try Recording.open(path) }
        #expect(error?.description.contains("it looks like \(actual == "ci8" ? "signed ci8" : "unsigned cu8")") == true)
        // …and the honest declaration opens.
        let honest = try writeMeta(meta(datatype: actual), data: bytes, in: dir, name: "honest")
        #expect(try Recording.open(honest).sampleCount == 8192)
    }

    @Test("A wrong or missing sample rate names the field",
          arguments: [("-1", "global.core:sample_rate"), ("0", "global.core:sample_rate"), ("\"fast\"", "global.core:sample_rate")])
    func badRate(rate: String, field: String) throws {
        let dir = try Paths.scratch()
        let path = try writeMeta(meta(datatype: "cf32_le", rate: rate), data: floatNoise(samples: 10), in: dir)
        let error = #expect(throws: SignalError.self) { try Recording.open(path) }
        guard case .invalidMetadata(_, let named, _) = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(named == field)
    }

    @Test("A rate given on the command line must be a rate")
    func badRateOption() throws {
        let dir = try Paths.scratch()
        let raw = dir.appendingPathComponent("x.cf32")
        try Data(floatNoise(samples: 10)).write(to: raw)
        #expect(throws: SignalError.invalidArgument(name: "--rate", problem: "-5.0 is not a sample rate (must be > 0 and ≤ 1e12 S/s)")) {
            try Recording.open(raw.path, options: RecordingOptions(sampleRate: -5))
        }
        let recording = try Recording.open(raw.path)
        let error = #expect(throws: SignalError.self) { try RecordingSource(recording: recording) }
        #expect(error?.description.contains("pass --rate") == true)
    }

    @Test("Unknown and loosely-spelt datatypes in meta are refused", arguments: ["cf32_lex", "cf16_le", "ri16_le"])
    func badDatatype(name: String) throws {
        let dir = try Paths.scratch()
        let path = try writeMeta(meta(datatype: name), data: floatNoise(samples: 10), in: dir)
        let error = #expect(throws: SignalError.self) { try Recording.open(path) }
        #expect(error?.description.contains("global.core:datatype") == true)
    }

    @Test("Malformed JSON, unsorted captures and a capture past the end name the problem",
          arguments: [
            (#"{"global": {"core:datatype": "cf32_le""#, "$"),
            (#"{"global": {"core:datatype": "cf32_le", "core:version": "1.2.0"}, "captures": [{"core:sample_start": 5}, {"core:sample_start": 1}]}"#, "captures[1].core:sample_start"),
            (#"{"global": {"core:datatype": "cf32_le", "core:version": "1.2.0"}, "captures": [{"core:sample_start": 0}, {"core:sample_start": 99}]}"#, "captures[1].core:sample_start"),
            (#"{"global": {"core:datatype": "cf32_le", "core:version": "1.2.0"}, "captures": [{"core:sample_start": 0, "core:datetime": "yesterday"}]}"#, "captures[0].core:datetime"),
          ])
    func malformedMeta(json: String, field: String) throws {
        let dir = try Paths.scratch()
        let path = try writeMeta(json, data: floatNoise(samples: 10), in: dir)
        let error = #expect(throws: SignalError.self) { try Recording.open(path) }
        guard case .invalidMetadata(_, let named, _) = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(named == field)
    }

    @Test("A missing file and a raw file of unknown format say so")
    func missing() throws {
        let dir = try Paths.scratch()
        let error = #expect(throws: SignalError.self) { try Recording.open(dir.appendingPathComponent("nothing.sigmf-meta").path) }
        #expect(error?.description.contains("nothing.sigmf-meta: cannot open") == true)
        let odd = dir.appendingPathComponent("capture.bin")
        try Data(floatNoise(samples: 10)).write(to: odd)
        let formatError = #expect(throws: SignalError.self) { try Recording.open(odd.path) }
        #expect(formatError?.description.contains("pass --format") == true)
    }

    @Test("A data file that does not match core:sha512 is reported")
    func checksum() throws {
        let dir = try Paths.scratch()
        let (meta, _, _) = try SigMFTests.writeRich(in: dir)
        let data = dir.appendingPathComponent("rich.sigmf-data")
        var bytes = try Data(contentsOf: data)
        bytes[100] ^= 1
        try bytes.write(to: data)
        let error = #expect(throws: SignalError.self) { try Recording.open(meta).verifyChecksum() }
        guard case .checksumMismatch = error else { Issue.record("got \(String(describing: error))"); return }
    }

    @Test("A tar that is not a recording is refused")
    func badArchive() throws {
        let dir = try Paths.scratch()
        let path = dir.appendingPathComponent("junk.sigmf")
        try Data(repeating: 0x41, count: 2048).write(to: path)
        let error = #expect(throws: SignalError.self) { try Recording.open(path.path) }
        guard case .invalidArchive = error else { Issue.record("got \(String(describing: error))"); return }
    }
}
