import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a SigMF recording: samples stream into `NAME.sigmf-data` (hashed as they go), and
/// `finish` writes `NAME.sigmf-meta` with `core:sha512`. Both files are written under temporary
/// names and renamed into place, so a crash never leaves a half recording under the real name.
public final class SigMFWriter {
    public let metaPath: String
    public let dataPath: String
    public let format: SampleFormat
    public private(set) var samplesWritten: Int64 = 0
    /// Samples whose I or Q had to be clipped to the integer range.
    public private(set) var clippedComponents: Int = 0
    private let descriptor: Int32
    private let partialDataPath: String
    private var hasher = SHA512()
    private var scratch: UnsafeMutableRawBufferPointer
    private var finished = false

    /// - Parameters:
    ///   - metaPath: must end in `.sigmf-meta`; the data file goes beside it.
    ///   - overwrite: replace existing files (refused by default).
    public init(metaPath: String, format: SampleFormat, overwrite: Bool = false) throws(SignalError) {
        guard metaPath.hasSuffix(".sigmf-meta") else {
            throw .invalidArgument(name: "--out", problem: "'\(metaPath)' must end in .sigmf-meta")
        }
        self.metaPath = metaPath
        self.dataPath = String(metaPath.dropLast(".sigmf-meta".count)) + ".sigmf-data"
        self.format = format
        if !overwrite {
            for path in [metaPath, dataPath] where FileManager.default.fileExists(atPath: path) {
                throw .invalidArgument(name: "--out", problem: "'\(path)' exists; refusing to overwrite it")
            }
        }
        partialDataPath = dataPath + ".partial"
        descriptor = open(partialDataPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .io(path: partialDataPath, operation: "create", message: ReadOnlyFile.errnoText()) }
        scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 0, alignment: 64)
    }

    deinit {
        scratch.deallocate()
        if !finished {
            close(descriptor)
            unlink(partialDataPath)
        }
    }

    /// Appends CF32 samples, converted to the file's format.
    public func append(_ samples: UnsafeBufferPointer<IQ>) throws(SignalError) {
        guard samples.count > 0 else { return }
        let bytes = samples.count * format.bytesPerSample
        if scratch.count < bytes {
            scratch.deallocate()
            scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes, alignment: 64)
        }
        let floats = UnsafeRawPointer(samples.baseAddress!).assumingMemoryBound(to: Float.self)
        clippedComponents += SampleConverter.fromCF32(floats, sampleCount: samples.count, format: format, into: scratch.baseAddress!)
        try write(UnsafeRawBufferPointer(rebasing: scratch[0..<bytes]))
        samplesWritten += Int64(samples.count)
    }

    /// Appends bytes already in the file's format (whole samples only).
    public func appendRaw(_ bytes: UnsafeRawBufferPointer) throws(SignalError) {
        guard bytes.count % format.bytesPerSample == 0 else {
            throw .invalidArgument(name: "raw block", problem: "\(bytes.count) bytes is not whole \(format.sigmfName) samples")
        }
        try write(bytes)
        samplesWritten += Int64(bytes.count / format.bytesPerSample)
    }

    private func write(_ bytes: UnsafeRawBufferPointer) throws(SignalError) {
        hasher.update(bufferPointer: bytes)
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(descriptor, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(path: partialDataPath, operation: "write", message: ReadOnlyFile.errnoText())
            }
            done += n
        }
    }

    /// Flushes the data, writes the metadata (datatype and `core:sha512` filled in, extensions
    /// declared) and moves both files into place. Returns the metadata as written.
    @discardableResult
    public func finish(metadata: SigMFMetadata) throws(SignalError) -> SigMFMetadata {
        var final = metadata.withDeclaredExtensions()
        final.global.datatype = format
        final.global.sha512 = Hex.encode(hasher.finalize())
        let text = try final.jsonText()
        guard fsync(descriptor) == 0, close(descriptor) == 0 else {
            throw .io(path: partialDataPath, operation: "flush", message: ReadOnlyFile.errnoText())
        }
        finished = true
        let partialMeta = metaPath + ".partial"
        do {
            try text.write(toFile: partialMeta, atomically: false, encoding: .utf8)
        } catch {
            throw .io(path: partialMeta, operation: "write", message: "\(error)")
        }
        guard rename(partialDataPath, dataPath) == 0 else { throw .io(path: dataPath, operation: "rename", message: ReadOnlyFile.errnoText()) }
        guard rename(partialMeta, metaPath) == 0 else { throw .io(path: metaPath, operation: "rename", message: ReadOnlyFile.errnoText()) }
        return final
    }
}
