/// The ledger's first state: its parameters, the accounts that exist from the start (at least
/// the validators, so that someone can vote), and tokens allocated to signing keys that
/// registering accounts claim.
public struct Genesis: Sendable, Equatable {
    public struct GenesisAccount: Sendable, Equatable {
        public var id: String
        public var role: Role
        public var signingKey: [UInt8]
        public var agreementKey: [UInt8]
        public var deposit: Int64
        public var balance: Int64

        public init(id: String, role: Role, signingKey: [UInt8], agreementKey: [UInt8], deposit: Int64, balance: Int64) {
            self.id = id
            self.role = role
            self.signingKey = signingKey
            self.agreementKey = agreementKey
            self.deposit = deposit
            self.balance = balance
        }
    }

    public var parameters: LedgerParameters
    public var accounts: [GenesisAccount]
    /// Tokens per Ed25519 signing key (raw 32 bytes), claimed by `register`.
    public var allocations: [(signingKey: [UInt8], amount: Int64)]
    /// Time of the genesis, ns since the epoch.
    public var timeNs: Int64
    /// SHA-256 of the consortium CA certificate (DER, lower-case hex): nodes serving TLS must use
    /// this CA, and trust peers and clients only through it (docs/security.md). Not part of the state.
    public var consortiumCA: String?

    public init(parameters: LedgerParameters = LedgerParameters(), accounts: [GenesisAccount] = [],
                allocations: [(signingKey: [UInt8], amount: Int64)] = [], timeNs: Int64 = 0) {
        self.parameters = parameters
        self.accounts = accounts
        self.allocations = allocations
        self.timeNs = timeNs
    }

    public static func == (a: Genesis, b: Genesis) -> Bool {
        a.parameters == b.parameters && a.accounts == b.accounts && a.timeNs == b.timeNs
            && a.allocations.map(\.signingKey) == b.allocations.map(\.signingKey) && a.allocations.map(\.amount) == b.allocations.map(\.amount)
            && a.consortiumCA == b.consortiumCA
    }

    /// Account ids: 1–64 characters of letters, digits, `.`, `_`, `-`.
    public static func isValidID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 64 && id.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || ".-_".unicodeScalars.contains($0)) }
    }
}
