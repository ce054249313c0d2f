import CFFTW
import Synchronization

/// FFTW's planner is not thread-safe: every plan is made and destroyed holding this lock.
/// Executing a plan needs no lock.
private let fftwPlanner = Mutex<Void>(())

/// A forward complex FFT of one size with its own aligned input and output arrays
/// (interleaved CF32, as `fftwf_complex` is laid out without `<complex.h>`).
///
/// Plans are made once (`FFTW_MEASURE`, which overwrites the arrays while it measures, so
/// they are filled only afterwards) and executed on the same arrays every time.
public final class FFTPlan {
    public let size: Int
    /// 2 × size floats, 64-byte aligned by fftwf_malloc.
    public let input: UnsafeMutablePointer<Float>
    public let output: UnsafeMutablePointer<Float>
    private let plan: fftwf_plan

    /// How hard FFTW looks for a fast algorithm (`measure` takes tens of milliseconds).
    public enum Effort: Sendable { case estimate, measure }

    public init(size: Int, effort: Effort = .measure) throws(SpectrumError) {
        guard size >= 2, size <= 1 << 24 else {
            throw .invalidConfiguration(field: "fft size", problem: "\(size) must be 2…16777216")
        }
        self.size = size
        let bytes = 2 * size * MemoryLayout<Float>.stride
        guard let inRaw = fftwf_malloc(bytes), let outRaw = fftwf_malloc(bytes) else { throw .planFailed(size: size) }
        input = inRaw.bindMemory(to: Float.self, capacity: 2 * size)
        output = outRaw.bindMemory(to: Float.self, capacity: 2 * size)
        let flags = effort == .measure ? UInt32(FFTW_MEASURE) : UInt32(FFTW_ESTIMATE)
        // The plan crosses the lock as an address: OpaquePointer is not Sendable.
        let address = fftwPlanner.withLock { _ in
            Int(bitPattern: fftwf_plan_dft_1d(Int32(size), OpaquePointer(inRaw).assumingComplex,
                                              OpaquePointer(outRaw).assumingComplex, FFTW_FORWARD, flags))
        }
        guard let made = fftwf_plan(bitPattern: address) else {
            fftwf_free(inRaw)
            fftwf_free(outRaw)
            throw .planFailed(size: size)
        }
        plan = made
        input.initialize(repeating: 0, count: 2 * size)
        output.initialize(repeating: 0, count: 2 * size)
    }

    deinit {
        fftwPlanner.withLock { _ in fftwf_destroy_plan(plan) }
        fftwf_free(input)
        fftwf_free(output)
    }

    /// Transforms `input` into `output`.
    public func execute() { fftwf_execute(plan) }
}

private extension OpaquePointer {
    var assumingComplex: UnsafeMutablePointer<fftwf_complex> { UnsafeMutablePointer<fftwf_complex>(self) }
}
