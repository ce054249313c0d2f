/// What can go wrong making, reading or verifying evidence; each case names the file or field.
public enum EvidenceError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Canonical bytes that do not decode (truncated, wrong magic or version, trailing bytes).
    case malformedRecord(problem: String)
    /// A key file that is missing, unreadable or not a key.
    case invalidKey(path: String, problem: String)
    /// A file that would be overwritten.
    case refusingToOverwrite(path: String)
    /// A bundle file could not be read or written.
    case io(path: String, problem: String)
    /// Verification failed: which check and why.
    case verificationFailed(check: String, problem: String)

    public var description: String {
        switch self {
        case .malformedRecord(let problem): return "evidence record: \(problem)"
        case .invalidKey(let path, let problem): return "\(path): \(problem)"
        case .refusingToOverwrite(let path): return "\(path) exists; refusing to overwrite it"
        case .io(let path, let problem): return "\(path): \(problem)"
        case .verificationFailed(let check, let problem): return "verification failed: \(check): \(problem)"
        }
    }
}
