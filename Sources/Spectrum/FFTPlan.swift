import CFFTW
import Synchronization

/// FFTW's planner is not thread-safe: every plan is made and destroyed holding this lock.
/// Executing a plan needs no lock.
private let fftwPlanner = Mutex<Void>(())

/// A forward complex FFT of one size with its own aligned input and output arrays
/// (interleaved CF32, as `fftwf_complex` is laid out without `<complex.h>`).
///
/// Plans are made once (`FFTW_MEASURE`, which overwrites the arrays while it measures, so
/// they are filled only afterwards) and executed many times: on the plan's own input, or
/// straight from a caller's samples (`execute(from:)`), always into `output`.
///
/// `output` may be padded: `outputPadding` complex values of writable space before its first
/// bin and after its last, for filters that read a bin's neighbours without wrapping the index.
public final class FFTPlan {
    public let size: Int
    /// 2 × size floats, 64-byte aligned by fftwf_malloc.
    public let input: UnsafeMutablePointer<Float>
    /// 2 × size floats, with `outputPadding` complex values of writable space either side.
    public let output: UnsafeMutablePointer<Float>
    public let outputPadding: Int
    private let outputAllocation: UnsafeMutablePointer<Float>
    private let inputAlignment: Int32
    private let plan: fftwf_plan

    /// How hard FFTW looks for a fast algorithm (`measure` takes tens of milliseconds).
    public enum Effort: Sendable { case estimate, measure }

    /// - Parameter outputPadding: complex values of space either side of `output`; a multiple
    ///   of 8 keeps `output` 64-byte aligned.
    public init(size: Int, effort: Effort = .measure, outputPadding: Int = 0) throws(SpectrumError) {
        guard size >= 2, size <= 1 << 24 else {
            throw .invalidConfiguration(field: "fft size", problem: "\(size) must be 2…16777216")
        }
        precondition(outputPadding >= 0 && outputPadding % 8 == 0, "output padding must be a multiple of 8")
        self.size = size
        self.outputPadding = outputPadding
        let floatSize = MemoryLayout<Float>.stride
        let outputFloats = 2 * (size + 2 * outputPadding)
        guard let inRaw = fftwf_malloc(2 * size * floatSize), let outRaw = fftwf_malloc(outputFloats * floatSize) else {
            throw .planFailed(size: size)
        }
        input = inRaw.bindMemory(to: Float.self, capacity: 2 * size)
        outputAllocation = outRaw.bindMemory(to: Float.self, capacity: outputFloats)
        output = outputAllocation + 2 * outputPadding
        // Complex out-of-place plans keep their input by default; say so, since segments
        // overlap and `execute(from:)` reads the caller's samples where they lie.
        let flags = (effort == .measure ? UInt32(FFTW_MEASURE) : UInt32(FFTW_ESTIMATE)) | UInt32(FFTW_PRESERVE_INPUT)
        let inAddress = Int(bitPattern: inRaw), outAddress = Int(bitPattern: output)
        // The plan crosses the lock as an address: OpaquePointer is not Sendable.
        let address = fftwPlanner.withLock { _ in
            Int(bitPattern: fftwf_plan_dft_1d(Int32(size), complexArray(inAddress), complexArray(outAddress), FFTW_FORWARD, flags))
        }
        guard let made = fftwf_plan(bitPattern: address) else {
            fftwf_free(inRaw)
            fftwf_free(outRaw)
            throw .planFailed(size: size)
        }
        plan = made
        inputAlignment = fftwf_alignment_of(input)
        input.initialize(repeating: 0, count: 2 * size)
        outputAllocation.initialize(repeating: 0, count: outputFloats)
    }

    deinit {
        fftwPlanner.withLock { _ in fftwf_destroy_plan(plan) }
        fftwf_free(input)
        fftwf_free(outputAllocation)
    }

    /// FFTW's version string ("fftw-3.3.10-sse2-avx": the SIMD it was built with).
    public static var libraryVersion: String {
        String(cString: trustband_fftwf_version())
    }

    /// Transforms `input` into `output`.
    public func execute() { fftwf_execute(plan) }

    /// Transforms the `2 × size` floats at `samples` into `output`: in place (FFTW's new-array
    /// execute) when their alignment is the one the plan was made for, through `input`
    /// otherwise. Either way the arithmetic is the same and `samples` is not modified.
    public func execute(from samples: UnsafePointer<Float>) {
        let source = UnsafeMutablePointer(mutating: samples)
        if fftwf_alignment_of(source) == inputAlignment {
            fftwf_execute_dft(plan, complexArray(Int(bitPattern: source)), complexArray(Int(bitPattern: output)))
        } else {
            input.update(from: samples, count: 2 * size)
            fftwf_execute(plan)
        }
    }
}

/// An address as FFTW's complex array type (float[2] without `<complex.h>`).
private func complexArray(_ address: Int) -> UnsafeMutablePointer<fftwf_complex>? {
    UnsafeMutablePointer(bitPattern: address)
}
