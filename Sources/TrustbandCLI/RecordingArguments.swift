import ArgumentParser
import Signal

/// Options that say how to read a recording whose metadata is missing or wrong.
struct RecordingArguments: ParsableArguments {
    @Option(help: "Sample format of a raw file (cu8, ci8/cs8, ci16_le/cs16, cf32_le/cf32, …); overrides SigMF.")
    var format: String?

    @Option(help: "Sample rate in S/s (required for raw files); overrides SigMF.")
    var rate: Double?

    @Option(help: "Centre frequency in Hz; overrides SigMF.")
    var center: Double?

    @Option(help: "Time of the first sample (RFC 3339, e.g. 2026-11-24T06:00:00Z); overrides SigMF.")
    var startTime: String?

    @Flag(help: "Trust the declared datatype even when the bytes do not look like it.")
    var skipFormatCheck = false

    func options() throws -> RecordingOptions {
        RecordingOptions(format: try format.map { try SampleFormat(parsing: $0) }, sampleRate: rate,
                         centerFrequency: center, startTime: try startTime.map { try Timestamp(rfc3339: $0) },
                         checkDatatype: !skipFormatCheck)
    }

    func open(_ path: String) throws -> Recording {
        try Recording.open(path, options: options())
    }
}
