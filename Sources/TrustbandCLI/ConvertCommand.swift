import ArgumentParser
import Signal

/// `trustband convert RECORDING --out NAME.sigmf-meta`: any recording to SigMF.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert", abstract: "Convert a recording (raw or SigMF) to a validated SigMF recording.")

    @Argument(help: "The recording to convert.")
    var recording: String

    @Option(help: "Output metadata path (NAME.sigmf-meta); the data goes beside it.")
    var out: String

    @Option(help: "Output datatype (default: the input's, which is lossless).")
    var datatype: String?

    @Flag(help: "Replace existing output files.")
    var overwrite = false

    @OptionGroup var source: RecordingArguments

    func run() throws {
        try reportingErrors {
            let input = try source.open(recording)
            let format = try datatype.map { try SampleFormat(parsing: $0) } ?? input.format
            let written = try RecordingConverter.convert(input, to: out, format: format, overwrite: overwrite)
            print("wrote \(out): \(input.sampleCount) samples, \(format.sigmfName), sha512 \(written.global.sha512?.prefix(16) ?? "")…")
        }
    }
}

/// Streams a recording into a new SigMF recording, keeping its captures and annotations.
public enum RecordingConverter {
    @discardableResult
    public static func convert(_ input: Recording, to metaPath: String, format: SampleFormat,
                               overwrite: Bool = false) throws -> SigMFMetadata {
        let source = try RecordingSource(recording: input)
        let writer = try SigMFWriter(metaPath: metaPath, format: format, overwrite: overwrite)
        let buffer = IQBuffer(capacity: 1 << 16)
        while try source.read(into: buffer) != nil {
            try writer.append(UnsafeBufferPointer(buffer.samples))
        }
        var metadata = input.metadata
        metadata.global.sha512 = nil
        metadata.global.trailingBytes = nil
        for n in metadata.captures.indices { metadata.captures[n].headerBytes = nil }
        if input.container == .raw {
            metadata.global.description = "Converted from raw \(input.format.sigmfName) file \(input.path)"
        }
        return try writer.finish(metadata: metadata)
    }
}
