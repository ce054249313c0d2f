/// Everything that can go wrong configuring or running spectral analysis; each case names the
/// setting or input involved.
public enum SpectrumError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A configuration value out of range.
    case invalidConfiguration(field: String, problem: String)
    /// FFTW could not make a plan.
    case planFailed(size: Int)
    /// A calibration table that is malformed or does not cover what was asked.
    case invalidCalibration(path: String, problem: String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let field, let problem): return "\(field): \(problem)"
        case .planFailed(let size): return "FFTW could not plan a \(size)-point transform"
        case .invalidCalibration(let path, let problem): return "\(path): calibration: \(problem)"
        }
    }
}
