/// A case opened by evidence.
public struct ArbitrationCase: Sendable, Equatable, Codable {
    public enum Verdict: String, Sendable, Codable {
        case open, guilty, notGuilty = "not_guilty"
    }

    /// A validator of the case, with its power when the case opened.
    public struct Member: Sendable, Equatable, Codable {
        public var id: String
        public var power: Int64
    }

    public struct Vote: Sendable, Equatable, Codable {
        public var validator: String
        public var guilty: Bool
        public var power: Int64
        public var height: Int64
    }

    /// The id of the evidence record that opened it.
    public var id: String
    public var grantID: String
    public var kind: String
    public var rule: String
    public var suspect: String
    public var reporter: String
    /// The violation's time span, ns.
    public var startNs: Int64, endNs: Int64
    public var openedHeight: Int64
    /// Last height at which votes count.
    public var deadlineHeight: Int64
    /// Validators and their power when the case opened, sorted by id.
    public var validators: [Member]
    public var votes: [Vote] = []
    /// Further evidence records about the same violation (other sensors, resubmissions).
    public var corroborations: [String] = []
    public var verdict: Verdict = .open
    public var decidedHeight: Int64?
    /// Tokens taken from the suspect, and where they went.
    public var penalty: Int64 = 0
    public var paidToReporter: Int64 = 0
    public var paidToHarmed: Int64 = 0
    public var harmedParty: String

    public var totalPower: Int64 { validators.reduce(0) { $0 + $1.power } }
    public var guiltyPower: Int64 { votes.filter(\.guilty).reduce(0) { $0 + $1.power } }
    public var innocentPower: Int64 { votes.filter { !$0.guilty }.reduce(0) { $0 + $1.power } }

    public static func == (a: ArbitrationCase, b: ArbitrationCase) -> Bool {
        a.id == b.id && a.votes == b.votes && a.verdict == b.verdict && a.corroborations == b.corroborations
            && a.validators.map(\.id) == b.validators.map(\.id) && a.validators.map(\.power) == b.validators.map(\.power)
            && a.penalty == b.penalty && a.decidedHeight == b.decidedHeight
    }
}
