/// What can go wrong reading grants or checking them; each case names the grant and field.
public enum EnforcementError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A grant file that is not JSON of the expected shape.
    case malformedGrantFile(path: String, problem: String)
    /// One grant's field is missing or wrong.
    case invalidGrant(path: String, grant: String, field: String, problem: String)

    public var description: String {
        switch self {
        case .malformedGrantFile(let path, let problem): return "\(path): \(problem)"
        case .invalidGrant(let path, let grant, let field, let problem): return "\(path): grant '\(grant)': \(field): \(problem)"
        }
    }
}
