import Foundation
import Testing
import TestSupport
@testable import Signal

@Suite("SigMF reading and writing")
struct SigMFTests {
    /// Metadata with everything that must survive a round trip: several captures, annotations
    /// with and without extension fields, and global extension fields.
    static func richMetadata() throws -> SigMFMetadata {
        var global = SigMFGlobal(datatype: .ci16LE, sampleRate: 2_048_000, description: "round trip", author: "tests",
                                 hardware: "replay")
        global.extra["trustband:site"] = .string("roof")
        var tagged = SigMFAnnotation(sampleStart: 900, sampleCount: 50, freqLowerEdge: 433.9e6, freqUpperEdge: 433.95e6,
                                     label: "burst", comment: "hand placed")
        tagged.extra["trustband:power_dbfs"] = .number(-12.5)
        return SigMFMetadata(
            global: global,
            captures: [SigMFCapture(sampleStart: 0, frequency: 433.92e6, datetime: try Timestamp(rfc3339: "2026-11-24T06:00:00.000000125Z")),
                       SigMFCapture(sampleStart: 1000, frequency: 434.5e6, datetime: try Timestamp(rfc3339: "2026-11-24T06:00:01Z"))],
            annotations: [SigMFAnnotation(sampleStart: 10, sampleCount: 100, label: "noise"), tagged])
    }

    static func writeRich(in dir: URL, samples: Int = 2_000) throws -> (meta: String, written: SigMFMetadata, input: [IQ]) {
        let meta = dir.appendingPathComponent("rich.sigmf-meta").path
        let writer = try SigMFWriter(metaPath: meta, format: .ci16LE)
        var generator = SeededRandom(seed: 3)
        let input = (0..<samples).map { _ in
            IQ(i: Float(Int16.random(in: -30_000...30_000, using: &generator)) / 32768,
               q: Float(Int16.random(in: -30_000...30_000, using: &generator)) / 32768)
        }
        try input.withUnsafeBufferPointer { try writer.append($0) }
        let written = try writer.finish(metadata: richMetadata())
        return (meta, written, input)
    }

    @Test("Captures, annotations and extension fields round-trip through our writer and reader")
    func roundTrip() throws {
        let (meta, written, input) = try Self.writeRich(in: try Paths.scratch())
        let recording = try Recording.open(meta)
        #expect(recording.metadata == written)
        #expect(recording.metadata.captures.count == 2)
        #expect(recording.metadata.annotations[1].extra["trustband:power_dbfs"] == .number(-12.5))
        #expect(recording.metadata.global.extra["trustband:site"] == .string("roof"))
        #expect(recording.metadata.global.extensions.contains { $0.name == "trustband" })
        #expect(recording.metadata.captures[0].datetime?.rfc3339 == "2026-11-24T06:00:00.000000125Z")
        #expect(recording.sampleCount == Int64(input.count))
        try recording.verifyChecksum()

        let source = try RecordingSource(recording: recording)
        let buffer = IQBuffer(capacity: 4096)
        var read: [IQ] = []
        while try source.read(into: buffer) != nil { read += buffer.copySamples() }
        #expect(read == input)  // values on the ci16 grid survive exactly
    }

    @Test("What we write passes sigmf_validate, and sigmf-python reads the same samples and annotations",
          .enabled(if: Oracle.sigmf))
    func validatesWithSigMFPython() throws {
        let (meta, _, input) = try Self.writeRich(in: try Paths.scratch())
        let validation = try Oracle.validate(meta)
        #expect(validation.ok, "sigmf_validate: \(validation.output)")
        #expect(!validation.output.lowercased().contains("warn"), "sigmf_validate warned: \(validation.output)")
        let out = try Oracle.script("""
            import sys, sigmf, numpy as np
            f = sigmf.sigmffile.fromfile(sys.argv[1])
            x = f.read_samples()
            print(len(x), len(f.get_captures()), [a['core:label'] for a in f.get_annotations()], f.get_global_field('core:sha512')[:16])
            print(repr(float(x[1234].real)), repr(float(x[1234].imag)))
            """, [meta])
        let lines = out.split(separator: "\n")
        #expect(lines[0].hasPrefix("2000 2 ['noise', 'burst']"))
        let values = lines[1].split(separator: " ").compactMap { Double($0) }
        #expect(values == [Double(input[1234].i), Double(input[1234].q)])
    }

    @Test("A .sigmf archive made by sigmf-python is read: metadata, sample count and samples", .enabled(if: Oracle.sigmf))
    func readsSigMFPythonArchive() throws {
        let dir = try Paths.scratch()
        let archive = dir.appendingPathComponent("made-by-python.sigmf").path
        _ = try Oracle.script("""
            import sys, numpy as np, sigmf
            from sigmf import SigMFFile
            rng = np.random.default_rng(5)
            x = (rng.integers(-2000, 2000, 6000) + 1j * rng.integers(-2000, 2000, 6000)).astype(np.complex64) / np.float32(32768)
            d = sys.argv[1].replace('.sigmf', '.sigmf-data')
            x.tofile(d)
            f = SigMFFile(data_file=d, global_info={SigMFFile.DATATYPE_KEY: 'cf32_le', SigMFFile.SAMPLE_RATE_KEY: 48000})
            f.add_capture(0, metadata={SigMFFile.FREQUENCY_KEY: 915e6})
            f.add_annotation(100, 200, metadata={SigMFFile.LABEL_KEY: 'pkt'})
            f.tofile(sys.argv[1].replace('.sigmf', ''), toarchive=True)
            """, [archive])
        let recording = try Recording.open(archive)
        #expect(recording.container == .sigmfArchive)
        #expect(recording.sampleCount == 6000)
        #expect(recording.metadata.global.sampleRate == 48000)
        #expect(recording.metadata.captures.first?.frequency == 915e6)
        #expect(recording.metadata.annotations.map(\.label) == ["pkt"])
        try recording.verifyChecksum()
        let source = try RecordingSource(recording: recording)
        let buffer = IQBuffer(capacity: 10_000)
        _ = try source.read(into: buffer)
        let expected = try Data(contentsOf: dir.appendingPathComponent("made-by-python.sigmf-data"))
        #expect(Data(UnsafeRawBufferPointer(buffer.interleaved)) == expected)
    }

    @Test("The writer refuses to overwrite, and leaves no partial files when abandoned")
    func writerSafety() throws {
        let dir = try Paths.scratch()
        let (meta, _, _) = try Self.writeRich(in: dir)
        #expect(throws: SignalError.self) { try SigMFWriter(metaPath: meta, format: .cf32LE) }
        do {
            let abandoned = try SigMFWriter(metaPath: dir.appendingPathComponent("gone.sigmf-meta").path, format: .cu8)
            try [IQ(i: 0.5, q: -0.5)].withUnsafeBufferPointer { try abandoned.append($0) }
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(names == ["rich.sigmf-data", "rich.sigmf-meta"])
    }

    @Test("Written JSON is stricter than SigMF: anchored datatype, Z datetimes, sha512, declared extensions")
    func strictOutput() throws {
        let (meta, _, _) = try Self.writeRich(in: try Paths.scratch())
        let text = try String(contentsOfFile: meta, encoding: .utf8)
        #expect(text.contains("\"core:datatype\": \"ci16_le\""))
        #expect(text.contains("\"core:datetime\": \"2026-11-24T06:00:00.000000125Z\""))
        #expect(text.contains("\"core:sha512\": \""))
        #expect(text.contains("\"name\": \"trustband\""))
    }
}
