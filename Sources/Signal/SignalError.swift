/// Everything that can go wrong reading, describing or writing samples. Each case carries
/// the file, field or offset involved, so that the message alone tells a user what to fix.
public enum SignalError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A datatype name that is not a SigMF datatype we understand.
    case unknownDatatype(String)
    /// A SigMF datatype that is valid but not one we can convert (real-valued, for example).
    case unsupportedDatatype(String, reason: String)
    /// A file could not be opened, read or written.
    case io(path: String, operation: String, message: String)
    /// A metadata field is missing or wrong. `field` is a JSON path such as `global.core:sample_rate`.
    case invalidMetadata(path: String, field: String, problem: String)
    /// The data file's length is not a whole number of samples.
    case truncatedData(path: String, bytes: Int64, sampleBytes: Int, leftover: Int64)
    /// The bytes do not look like the declared datatype.
    case datatypeMismatch(path: String, declared: String, evidence: String)
    /// A value given on the command line or in a spec is out of range.
    case invalidArgument(name: String, problem: String)
    /// A SigMF archive (tar) is malformed or does not hold what was asked for.
    case invalidArchive(path: String, problem: String)
    /// The data file's SHA-512 does not match `core:sha512`.
    case checksumMismatch(path: String, expected: String, actual: String)

    public var description: String {
        switch self {
        case .unknownDatatype(let name):
            return "unknown datatype '\(name)' (expected a SigMF datatype such as cf32_le, ci16_le, ci8, cu8, or an alias cs8, cs16, cf32)"
        case .unsupportedDatatype(let name, let reason):
            return "datatype '\(name)' is not supported: \(reason)"
        case .io(let path, let operation, let message):
            return "\(path): cannot \(operation): \(message)"
        case .invalidMetadata(let path, let field, let problem):
            return "\(path): \(field): \(problem)"
        case .truncatedData(let path, let bytes, let sampleBytes, let leftover):
            return "\(path): truncated: \(bytes) bytes is not a whole number of \(sampleBytes)-byte samples (\(leftover) bytes left over)"
        case .datatypeMismatch(let path, let declared, let evidence):
            return "\(path): the data does not look like \(declared): \(evidence)"
        case .invalidArgument(let name, let problem):
            return "\(name): \(problem)"
        case .invalidArchive(let path, let problem):
            return "\(path): not a usable SigMF archive: \(problem)"
        case .checksumMismatch(let path, let expected, let actual):
            return "\(path): SHA-512 is \(actual), but core:sha512 says \(expected)"
        }
    }
}
