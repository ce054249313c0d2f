#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A reusable block of CF32 samples with 64-byte aligned storage (the alignment FFTW's
/// SIMD plans need). Sources fill it; nothing in the sample path allocates per block.
///
/// Not thread-safe: one pipeline stage owns a buffer at a time.
public final class IQBuffer {
    /// How many samples the buffer can hold.
    public let capacity: Int
    /// How many samples are valid, from the start.
    public var count: Int
    private let storage: UnsafeMutablePointer<IQ>

    /// Alignment of the storage in bytes.
    public static let alignment = 64

    public init(capacity: Int) {
        precondition(capacity > 0, "IQBuffer capacity must be positive")
        self.capacity = capacity
        self.count = 0
        var raw: UnsafeMutableRawPointer?
        let status = posix_memalign(&raw, Self.alignment, capacity * MemoryLayout<IQ>.stride)
        guard status == 0, let raw else { fatalError("posix_memalign failed for \(capacity) samples") }
        storage = raw.bindMemory(to: IQ.self, capacity: capacity)
        storage.initialize(repeating: IQ(i: 0, q: 0), count: capacity)
    }

    deinit {
        storage.deinitialize(count: capacity)
        free(storage)
    }

    /// The valid samples.
    public var samples: UnsafeMutableBufferPointer<IQ> {
        UnsafeMutableBufferPointer(start: storage, count: count)
    }

    /// The whole storage, valid or not (for producers that fill it).
    public var storageBuffer: UnsafeMutableBufferPointer<IQ> {
        UnsafeMutableBufferPointer(start: storage, count: capacity)
    }

    /// The valid samples as interleaved floats (I, Q, I, Q, …).
    public var interleaved: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableRawPointer(storage).withMemoryRebound(to: Float.self, capacity: capacity * 2) {
            UnsafeMutableBufferPointer(start: $0, count: count * 2)
        }
    }

    /// A copy of the valid samples (for tests and small excerpts; not for the hot path).
    public func copySamples() -> [IQ] { Array(samples) }
}
