#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file opened for positional reads (`pread`), so one descriptor serves any offset.
final class ReadOnlyFile {
    let path: String
    private let descriptor: Int32

    init(path: String) throws(SignalError) {
        self.path = path
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .io(path: path, operation: "open", message: Self.errnoText()) }
    }

    deinit { close(descriptor) }

    /// The file's size in bytes.
    func size() throws(SignalError) -> Int64 {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw .io(path: path, operation: "stat", message: Self.errnoText()) }
        return Int64(info.st_size)
    }

    /// Reads up to `buffer.count` bytes at `offset`; returns how many were read (fewer only at end of file).
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(SignalError) -> Int {
        var done = 0
        while done < buffer.count {
            let n = pread(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(path: path, operation: "read at byte \(offset + Int64(done))", message: Self.errnoText())
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Reads exactly `count` bytes at `offset` into a new array (metadata-sized reads only).
    func readBytes(count: Int, at offset: Int64) throws(SignalError) -> [UInt8] {
        let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 16)
        defer { raw.deallocate() }
        let got = try read(into: raw, at: offset)
        return Array(raw[0..<got])
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}
