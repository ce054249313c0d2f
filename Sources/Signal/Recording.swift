import Crypto
import Foundation

/// How to read a recording whose metadata is missing or needs correcting.
public struct RecordingOptions: Sendable, Equatable {
    /// Sample format: required for raw files whose extension does not tell; overrides SigMF.
    public var format: SampleFormat?
    /// Sample rate in S/s: overrides or supplies `core:sample_rate`.
    public var sampleRate: Double?
    /// Centre frequency in Hz: overrides or supplies the first capture's `core:frequency`.
    public var centerFrequency: Double?
    /// Time of sample 0: overrides or supplies the first capture's `core:datetime`.
    public var startTime: Timestamp?
    /// Check that the bytes look like the declared datatype before trusting it.
    public var checkDatatype: Bool
    /// Open a recording whose metadata claims more than its data holds (captures past the end),
    /// so that it can be described and its problems reported (`info`); nothing reads it then.
    public var describeOnly: Bool

    public init(format: SampleFormat? = nil, sampleRate: Double? = nil, centerFrequency: Double? = nil,
                startTime: Timestamp? = nil, checkDatatype: Bool = true, describeOnly: Bool = false) {
        self.describeOnly = describeOnly
        self.format = format
        self.sampleRate = sampleRate
        self.centerFrequency = centerFrequency
        self.startTime = startTime
        self.checkDatatype = checkDatatype
    }
}

/// A recording located and described, ready to stream: its metadata (from SigMF, or built
/// from the options for a raw file) and where its samples lie on disk.
public struct Recording: Sendable, Equatable {
    public enum Container: String, Sendable {
        case sigmfPair = "SigMF (meta + data)"
        case sigmfArchive = "SigMF archive"
        case raw = "raw"
    }

    public var container: Container
    /// The path the user named.
    public var path: String
    /// The file holding the samples (the archive itself for `.sigmf`).
    public var dataPath: String
    /// Byte offset of sample 0 in `dataPath`.
    public var dataOffset: Int64
    /// Bytes of sample data.
    public var dataLength: Int64
    public var metadata: SigMFMetadata

    /// Number of complex samples.
    public var sampleCount: Int64 { dataLength / Int64(metadata.global.datatype.bytesPerSample) }
    public var format: SampleFormat { metadata.global.datatype }
    /// Duration in seconds, when the rate is known.
    public var duration: Double? { metadata.global.sampleRate.map { Double(sampleCount) / $0 } }

    /// Locates and describes the recording at `path`: a `.sigmf-meta` or `.sigmf-data` (its
    /// pair beside it), a `.sigmf` archive, or a raw file (format from the options or extension).
    public static func open(_ path: String, options: RecordingOptions = RecordingOptions()) throws(SignalError) -> Recording {
        try validate(options)
        var recording: Recording
        if path.hasSuffix(".sigmf-meta") || path.hasSuffix(".sigmf-data") {
            let stem = String(path.dropLast(".sigmf-meta".count))
            let metaPath = stem + ".sigmf-meta", dataPath = stem + ".sigmf-data"
            let metaFile = try ReadOnlyFile(path: metaPath)
            let metaSize = try metaFile.size()
            guard metaSize <= 64 << 20 else {
                throw .invalidMetadata(path: metaPath, field: "$", problem: "\(metaSize) bytes is too large for SigMF metadata")
            }
            let metaBytes = try metaFile.readBytes(count: Int(metaSize), at: 0)
            let metadata = try SigMFMetadata(json: Data(metaBytes), path: metaPath)
            let size = try ReadOnlyFile(path: dataPath).size()
            recording = Recording(container: .sigmfPair, path: path, dataPath: dataPath, dataOffset: 0, dataLength: size, metadata: metadata)
        } else if path.hasSuffix(".sigmf") {
            let (meta, data) = try SigMFArchive.recordingMembers(ofArchiveAt: path)
            let metadata = try SigMFMetadata(json: Data(SigMFArchive.readMember(meta, ofArchiveAt: path)), path: "\(path):\(meta.name)")
            recording = Recording(container: .sigmfArchive, path: path, dataPath: path, dataOffset: data.offset,
                                  dataLength: data.size, metadata: metadata)
        } else {
            guard let format = options.format ?? SampleFormat.inferred(fromPath: path) else {
                throw .invalidArgument(name: "--format", problem: "cannot tell the sample format of '\(path)' from its name; pass --format (cu8, ci8, ci16_le, cf32_le, …)")
            }
            let size = try ReadOnlyFile(path: path).size()
            let metadata = SigMFMetadata(global: SigMFGlobal(datatype: format, sampleRate: nil))
            recording = Recording(container: .raw, path: path, dataPath: path, dataOffset: 0, dataLength: size, metadata: metadata)
        }
        try recording.apply(options)
        try recording.trimToSamples(describeOnly: options.describeOnly)
        if options.checkDatatype {
            try DatatypeSniffer.check(recording)
        }
        return recording
    }

    private static func validate(_ options: RecordingOptions) throws(SignalError) {
        if let rate = options.sampleRate, !(rate.isFinite && rate > 0 && rate <= 1e12) {
            throw .invalidArgument(name: "--rate", problem: "\(rate) is not a sample rate (must be > 0 and ≤ 1e12 S/s)")
        }
        if let centre = options.centerFrequency, !(centre.isFinite && centre >= 0) {
            throw .invalidArgument(name: "--center", problem: "\(centre) is not a frequency in Hz")
        }
    }

    private mutating func apply(_ options: RecordingOptions) throws(SignalError) {
        if let format = options.format { metadata.global.datatype = format }
        if let rate = options.sampleRate { metadata.global.sampleRate = rate }
        if let centre = options.centerFrequency { metadata.captures[0].frequency = centre }
        if let start = options.startTime { metadata.captures[0].datetime = start }
    }

    /// Applies header and trailing bytes, and rejects data that is not whole samples.
    private mutating func trimToSamples(describeOnly: Bool) throws(SignalError) {
        if let header = metadata.captures.first?.headerBytes {
            dataOffset += header
            dataLength -= header
        }
        if metadata.captures.dropFirst().contains(where: { ($0.headerBytes ?? 0) > 0 }) {
            throw .invalidMetadata(path: path, field: "captures[1...].core:header_bytes",
                                   problem: "header bytes between capture segments are not supported")
        }
        if let trailing = metadata.global.trailingBytes { dataLength -= trailing }
        guard dataLength >= 0 else {
            throw .invalidMetadata(path: path, field: "core:header_bytes/core:trailing_bytes", problem: "larger than the data file")
        }
        let width = Int64(metadata.global.datatype.bytesPerSample)
        let leftover = dataLength % width
        guard leftover == 0 else {
            throw .truncatedData(path: dataPath, bytes: dataLength, sampleBytes: Int(width), leftover: leftover)
        }
        if !describeOnly, let problem = capturesPastEnd() { throw problem }
    }

    private func capturesPastEnd() -> SignalError? {
        guard let last = metadata.captures.last, last.sampleStart > sampleCount else { return nil }
        return .invalidMetadata(path: path, field: "captures[\(metadata.captures.count - 1)].core:sample_start",
                                problem: "\(last.sampleStart) is beyond the \(sampleCount) samples in the data: the data is shorter than its metadata says")
    }

    /// Everything that says the data is not what its metadata describes: captures or
    /// annotations past the end of the data (a truncated copy), and a `core:sha512` that does
    /// not match (with `hash`, which reads the whole data once). Empty for a sound recording.
    public func integrityProblems(hash: Bool = true) throws(SignalError) -> [SignalError] {
        var problems: [SignalError] = []
        if let captures = capturesPastEnd() { problems.append(captures) }
        for (n, a) in metadata.annotations.enumerated() where a.sampleStart + max(0, a.sampleCount ?? 0) > sampleCount {
            let end = a.sampleStart + max(0, a.sampleCount ?? 0)
            problems.append(.invalidMetadata(path: path, field: "annotations[\(n)]",
                                             problem: "ends at sample \(end), beyond the \(sampleCount) samples in the data: the data is shorter than its metadata says"))
        }
        if hash {
            do { try verifyChecksum() } catch { problems.append(error) }
        }
        return problems
    }

    /// Refuses a recording with an integrity problem, naming the first (for commands that
    /// measure or accuse from it: detect, audit).
    public func checkIntegrity() throws(SignalError) {
        if let first = try integrityProblems().first { throw first }
    }

    /// SHA-512 of the sample data, as `core:sha512` records it (whole data file for SigMF).
    public func computeSHA512() throws(SignalError) -> String {
        let file = try ReadOnlyFile(path: dataPath)
        let (start, length) = container == .sigmfPair ? (Int64(0), try file.size()) : (dataOffset, dataLength)
        var hasher = SHA512()
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { chunk.deallocate() }
        var done: Int64 = 0
        while done < length {
            let want = Int(min(Int64(chunk.count), length - done))
            let got = try file.read(into: UnsafeMutableRawBufferPointer(rebasing: chunk[0..<want]), at: start + done)
            guard got > 0 else { throw .io(path: dataPath, operation: "read", message: "file shrank while hashing") }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: chunk[0..<got]))
            done += Int64(got)
        }
        return Hex.encode(hasher.finalize())
    }

    /// Checks the data against `core:sha512`, if the metadata has one.
    public func verifyChecksum() throws(SignalError) {
        guard let expected = metadata.global.sha512 else { return }
        let actual = try computeSHA512()
        guard actual.lowercased() == expected.lowercased() else {
            throw .checksumMismatch(path: dataPath, expected: expected, actual: actual)
        }
    }
}
