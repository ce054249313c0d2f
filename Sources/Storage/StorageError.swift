/// A store that could not be opened, read or written, or that holds something it should not.
public enum StorageError: Error, Sendable, CustomStringConvertible {
    case database(operation: String, underlying: String)
    case corrupt(problem: String)
    case notContiguous(expected: Int64, got: Int64)
    /// What was to be written is not well formed.
    case invalid(problem: String)

    public var description: String {
        switch self {
        case .database(let operation, let underlying): return "storage: \(operation) failed: \(underlying)"
        case .corrupt(let problem): return "storage: corrupt store: \(problem)"
        case .notContiguous(let expected, let got): return "storage: block \(got) does not follow the last stored height (next is \(expected))"
        case .invalid(let problem): return "storage: refused to write: \(problem)"
        }
    }
}
