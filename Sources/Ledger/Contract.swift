import HashTreeCollections
import Crypto
import Evidence

/// Where and when a block's transactions are applied.
public struct BlockContext: Sendable, Equatable {
    public var height: Int64
    public var timeNs: Int64
    /// The validator that proposed the block; nil outside consensus (no production accounting).
    public var proposer: String?

    public init(height: Int64, timeNs: Int64, proposer: String? = nil) {
        self.height = height
        self.timeNs = timeNs
        self.proposer = proposer
    }
}

/// What an accepted transaction did, in words, for receipts and audits.
public struct Receipt: Sendable, Equatable {
    public var transactionID: String
    public var events: [String]
}

/// The consortium's rules as a deterministic state machine (DESIGN.md sections 3 and 6): the
/// same genesis and the same blocks give the same state, bit for bit, on every node. Nothing
/// here reads a clock, a file or a random source; collections that change state are iterated
/// in a fixed order.
///
/// Each transaction is checked completely before anything changes, so a rejected transaction
/// changes nothing.
public struct Contract: Sendable, Codable {
    public let parameters: LedgerParameters
    public internal(set) var accounts: [String: Account] = [:]
    /// Ids of the accounts with the validator role, sorted (derived from `accounts`: kept by
    /// `addAccount`, rebuilt on restore). `validatorSet` is read for every case opened and must
    /// not scan every account.
    var validatorIDs: [String] = []
    /// Unclaimed genesis tokens per signing key (hex).
    public internal(set) var allocations: [String: Int64] = [:]
    public internal(set) var offers: [Offer] = []
    var offerIndex: [String: Int] = [:]
    /// Demands of the round not yet closed, in arrival order.
    public internal(set) var openDemands: ChunkedArray<Demand> = []
    var demandIDs: TreeSet<String> = []
    /// Every demand id ever taken, in arrival order (the order `demandIDs` is hashed in).
    var demandOrder: ChunkedArray<String> = []
    public internal(set) var grants: [LedgerGrant] = []
    var grantIndex: [String: Int] = [:]
    public internal(set) var rounds: [Round] = []
    public internal(set) var cases: ChunkedArray<ArbitrationCase> = []
    var caseIndex: TreeDictionary<String, Int> = [:]
    /// Case positions by grant and rule (derived from `cases`; not part of the state).
    var casesByGrantRule = CaseTimeIndex()
    /// Evidence record id → the case it opened or corroborates.
    public internal(set) var evidence: TreeDictionary<String, String> = [:]
    /// Evidence record ids in arrival order (the order `evidence` is hashed in).
    var evidenceOrder: ChunkedArray<String> = []
    /// Case positions in the order the cases were decided (the order they are hashed in).
    var decisionOrder: [Int] = []
    /// Running digests of the growing sections (derived; rebuilt on restore).
    var chains = StateChains()
    /// Authorizations posted per grant, in order.
    public internal(set) var authorizations: [String: [SealedAuthorization]] = [:]
    /// (validator, height, round, step) already punished for equivocation.
    var punishedEquivocations: Set<String> = []
    /// Tokens taken by penalties that belong to no one (equivocation).
    public internal(set) var treasury: Int64 = 0
    public internal(set) var genesisSupply: Int64 = 0
    public internal(set) var height: Int64 = 0
    public internal(set) var timeNs: Int64
    /// Closed distribution rounds (grant periods).
    public internal(set) var period: Int64 = 0
    /// Block production (BEAST 4.3.1): blocks proposed per validator in the current reward and
    /// penalty cycles, and where each cycle started (counted in blocks that name a proposer).
    var produced = ProductionCycles()
    /// Spectrum tokens by id (split and merged ones are gone; their ids stay in `usedTokenIDs`).
    public internal(set) var tokens: TreeDictionary<String, SpectrumToken> = [:]
    /// Every token id ever minted or made, so none is reused; and in arrival order (hashed so).
    var usedTokenIDs: TreeSet<String> = []
    var usedTokenOrder: ChunkedArray<String> = []
    /// Open bids by id.
    public internal(set) var bids: TreeDictionary<String, Bid> = [:]
    /// Every trade, in order.
    public internal(set) var trades: ChunkedArray<Trade> = []
    /// Orders so far (an order's time priority).
    var orderSequence: Int64 = 0
    /// Order books and leases (derived; rebuilt on restore).
    var market = MarketIndex()
    /// The state a snapshot holds (indexes derived from it are rebuilt on restore).
    enum CodingKeys: String, CodingKey {
        case parameters, accounts, allocations, offers, offerIndex, openDemands, demandIDs, demandOrder, grants, grantIndex, rounds, cases, caseIndex
        case evidence, evidenceOrder, decisionOrder, authorizations, punishedEquivocations, treasury, genesisSupply, height, timeNs, period, produced
        case tokens, usedTokenIDs, usedTokenOrder, bids, trades, orderSequence
    }

    /// The genesis state; throws naming the first bad field.
    public init(genesis: Genesis) throws(LedgerError) {
        try genesis.parameters.validate()
        parameters = genesis.parameters
        timeNs = genesis.timeNs
        for (n, a) in genesis.accounts.enumerated() {
            let field = "accounts[\(n)]"
            guard Genesis.isValidID(a.id) else { throw .invalidGenesis(field: "\(field).id", problem: "\"\(a.id)\" is not 1–64 of A–Z a–z 0–9 . _ -") }
            guard accounts[a.id] == nil else { throw .invalidGenesis(field: "\(field).id", problem: "\(a.id) appears twice") }
            guard a.signingKey.count == 32, a.agreementKey.count == 32 else { throw .invalidGenesis(field: "\(field).keys", problem: "keys are 32 bytes") }
            guard a.deposit >= 0, a.balance >= 0 else { throw .invalidGenesis(field: "\(field).deposit", problem: "amounts must be ≥ 0") }
            addAccount(Account(id: a.id, role: a.role, signingKey: a.signingKey, agreementKey: a.agreementKey, balance: a.balance,
                               deposit: a.deposit, registrationDeposit: a.deposit, locked: 0,
                               trustMilli: initialTrust(deposit: a.deposit), nonce: 0, accessedPeriods: [], violationPeriods: []))
            genesisSupply += a.deposit + a.balance
        }
        for (n, allocation) in genesis.allocations.enumerated() {
            guard allocation.signingKey.count == 32, allocation.amount >= 0 else {
                throw .invalidGenesis(field: "allocations[\(n)]", problem: "needs a 32-byte signing key and an amount ≥ 0")
            }
            allocations[hex(allocation.signingKey), default: 0] += allocation.amount
            genesisSupply += allocation.amount
        }
        produced.startRewardCycle(at: 1, validators: validatorSet.count)
        produced.startPenaltyCycle(at: 1, validators: validatorSet.count)
    }

    /// `TV = 100 + d_token`, capped at `TrustMAX`, in thousandths.
    func initialTrust(deposit: Int64) -> Int64 {
        min(parameters.trustMaxMilli, (100 + min(deposit, Int64.max / 1000 - 100)) * 1000)
    }

    /// Validators that vote now: accounts with the validator role and trust ≥ `Trth`, with
    /// their power (trust in thousandths), sorted by id.
    public var validatorSet: [(id: String, power: Int64)] {
        validatorIDs.compactMap { id in
            guard let trust = accounts[id]?.trustMilli, trust >= parameters.trustThresholdMilli, trust > 0 else { return nil }
            return (id, trust)
        }
    }

    /// Adds a new account (accounts are never removed).
    mutating func addAccount(_ account: Account) {
        accounts[account.id] = account
        if account.role == .validator { rebuildValidatorIDs() }
    }

    mutating func rebuildValidatorIDs() {
        validatorIDs = accounts.values.filter { $0.role == .validator }.map(\.id).sorted()
    }

    /// Tokens in all accounts, escrows and the treasury; equal to the genesis supply always.
    public var supply: (balances: Int64, deposits: Int64, escrow: Int64, treasury: Int64, allocations: Int64) {
        let values = accounts.values
        return (values.reduce(0) { $0 + $1.balance }, values.reduce(0) { $0 + $1.deposit },
                openDemands.reduce(0) { $0 + $1.deposit } + marketEscrow, treasury, allocations.values.reduce(0, +))
    }

    // MARK: Blocks

    /// Starts a block: the height and time move on; offers that have ended release their
    /// deposits; streamed rent is paid, leases end or default, bids past their window return.
    @discardableResult
    public mutating func beginBlock(_ context: BlockContext) -> [String] {
        height = context.height
        timeNs = max(timeNs, context.timeNs)
        for i in offers.indices where !offers[i].released && offers[i].endNs <= timeNs {
            offers[i].released = true
            accounts[offers[i].mno]?.locked -= offers[i].deposit
        }
        return market.leased.isEmpty && bids.isEmpty ? [] : settleMarket()
    }

    /// Ends a block: cases past their deadline are decided; block production is counted and,
    /// at the end of a cycle, rewarded or penalised.
    public mutating func endBlock(_ context: BlockContext) -> [String] {
        var events: [String] = []
        for i in chains.openCases where cases[i].deadlineHeight <= context.height {
            events += decide(case: i, final: true)
        }
        if let proposer = context.proposer, accounts[proposer] != nil { events += countProduction(by: proposer) }
        return events
    }

    /// Applies one block: begin, every transaction in order, end.
    public mutating func apply(block context: BlockContext, _ transactions: [SignedTransaction]) -> (results: [Result<Receipt, LedgerError>], endEvents: [String]) {
        let beginEvents = beginBlock(context)
        let results = transactions.map { apply($0) }
        return (results, beginEvents + endBlock(context))
    }

    // MARK: Transactions

    /// Checks and applies one transaction; on rejection nothing changes.
    /// `signatureChecked`: the caller has already verified the transaction with
    /// `checkSignature` against this state's keys (a node checks each once, on admission);
    /// every other check still runs.
    public mutating func apply(_ signed: SignedTransaction, signatureChecked: Bool = false) -> Result<Receipt, LedgerError> {
        do throws(LedgerError) {
            let events = try execute(signed, bytes: signed.canonicalBytes, signatureChecked: signatureChecked)
            return .success(Receipt(transactionID: signed.id, events: events))
        } catch {
            return .failure(error)
        }
    }

    /// Checks the transaction's signatures that depend on nothing but the signer's key: its
    /// own (by the key in its body for a registration, by the signer's registered key
    /// otherwise) and, for evidence, the record's.
    public func checkSignature(_ signed: SignedTransaction) throws(LedgerError) {
        try Self.checkSignature(signed, signer: accounts[signed.transaction.signer])
    }

    /// `checkSignature` given only the signer's account in this state (nil: not registered),
    /// so that a caller holding the state under a lock need not copy it to check outside.
    public static func checkSignature(_ signed: SignedTransaction, signer: Account?) throws(LedgerError) {
        let tx = signed.transaction
        if case .register(_, let signingKey, _, _) = tx.body { return try Self.verify(signed.signature, of: signed.canonicalBytes, key: signingKey) }
        guard let account = signer else { throw .unknownAccount(tx.signer) }
        try Self.verify(signed.signature, of: signed.canonicalBytes, key: account.signingKey)
        if case .evidence(let record, let signature) = tx.body {
            do { try Self.verify(signature, of: record, key: account.signingKey) } catch {
                throw .invalidEvidence(problem: "the record's signature does not verify for \(account.id)'s key")
            }
        }
    }

    private mutating func execute(_ signed: SignedTransaction, bytes: [UInt8], signatureChecked: Bool) throws(LedgerError) -> [String] {
        let tx = signed.transaction
        if case .register(let role, let signingKey, let agreementKey, let deposit) = tx.body {
            return try register(tx, bytes: bytes, signature: signatureChecked ? nil : signed.signature, role: role, signingKey: signingKey, agreementKey: agreementKey, deposit: deposit)
        }
        guard let account = accounts[tx.signer] else { throw .unknownAccount(tx.signer) }
        guard tx.nonce == account.nonce + 1 else { throw .wrongNonce(account: tx.signer, expected: account.nonce + 1, got: tx.nonce) }
        if !signatureChecked { try verify(signed.signature, of: bytes, by: account) }
        let events: [String]
        switch tx.body {
        case .register: fatalError("handled above")
        case .topUp(let amount): events = try topUp(account, amount)
        case .withdraw(let amount): events = try withdraw(account, amount)
        case .offer(let request): events = try offer(account, request)
        case .demand(let request): events = try demand(account, request)
        case .closeRound: events = try closeRound(account)
        case .authorize(let grantID, let sealed): events = try authorize(account, grantID: grantID, sealed: sealed)
        case .evidence(let record, let signature): events = try submitEvidence(account, record: record, signature: signature, signatureChecked: signatureChecked)
        case .vote(let caseID, let guilty): events = try vote(account, caseID: caseID, guilty: guilty)
        case .equivocation(let first, let second): events = try equivocation(account, first, second)
        case .mint(let id, let offerID, let hz): events = try mint(account, id: id, offerID: offerID, bandwidthHz: hz)
        case .split(let token, let at, let low, let high): events = try split(account, tokenID: token, at: at, lowID: low, highID: high)
        case .merge(let first, let second, let id): events = try merge(account, first: first, second: second, id: id)
        case .transfer(let token, let to): events = try transfer(account, tokenID: token, to: to)
        case .ask(let request): events = try ask(account, request)
        case .bid(let request): events = try bid(account, request)
        case .cancel(let order): events = try cancel(account, orderID: order)
        }
        accounts[tx.signer]!.nonce = tx.nonce
        return events
    }

    static func verify(_ signature: [UInt8], of bytes: [UInt8], key: [UInt8]) throws(LedgerError) {
        guard Ed25519Verification.isValid(signature, of: bytes, publicKey: key) else { throw .badSignature }
    }

    /// Checks a signature by `account`'s key.
    func verify(_ signature: [UInt8], of bytes: [UInt8], by account: Account) throws(LedgerError) {
        try Self.verify(signature, of: bytes, key: account.signingKey)
    }

    static func require(_ account: Account, _ roles: [Role]) throws(LedgerError) {
        guard roles.contains(account.role) else {
            throw .wrongRole(account: account.id, role: account.role.rawValue, allowed: roles.map(\.rawValue).joined(separator: " or "))
        }
    }

    static func positive(_ value: Int64, _ field: String) throws(LedgerError) {
        guard value > 0 else { throw .invalidField(field: field, problem: "\(value) must be > 0") }
    }

    private mutating func register(_ tx: Transaction, bytes: [UInt8], signature: [UInt8]?, role: Role, signingKey: [UInt8], agreementKey: [UInt8],
                                   deposit: Int64) throws(LedgerError) -> [String] {
        guard Genesis.isValidID(tx.signer) else { throw .invalidField(field: "signer", problem: "\"\(tx.signer)\" is not 1–64 of A–Z a–z 0–9 . _ -") }
        guard accounts[tx.signer] == nil else { throw .accountExists(tx.signer) }
        guard tx.nonce == 1 else { throw .wrongNonce(account: tx.signer, expected: 1, got: tx.nonce) }
        guard signingKey.count == 32 else { throw .invalidField(field: "signing_key", problem: "is \(signingKey.count) bytes, not 32") }
        guard agreementKey.count == 32 else { throw .invalidField(field: "agreement_key", problem: "is \(agreementKey.count) bytes, not 32") }
        if let signature { try Self.verify(signature, of: bytes, key: signingKey) }
        guard deposit >= 0 else { throw .invalidField(field: "deposit", problem: "\(deposit) must be ≥ 0") }
        let key = hex(signingKey), funds = allocations[key] ?? 0
        guard funds >= deposit else { throw .insufficientFunds(account: tx.signer, needed: deposit, available: funds) }
        allocations[key] = nil
        let trust = initialTrust(deposit: deposit)
        addAccount(Account(id: tx.signer, role: role, signingKey: signingKey, agreementKey: agreementKey, balance: funds - deposit,
                           deposit: deposit, registrationDeposit: deposit, locked: 0, trustMilli: trust, nonce: 1,
                           accessedPeriods: [], violationPeriods: []))
        return ["registered \(tx.signer) as \(role.rawValue), deposit \(deposit), balance \(funds - deposit), trust \(Milli(trust))"]
    }

    private mutating func topUp(_ account: Account, _ amount: Int64) throws(LedgerError) -> [String] {
        try Self.positive(amount, "amount")
        guard account.balance >= amount else { throw .insufficientFunds(account: account.id, needed: amount, available: account.balance) }
        accounts[account.id]!.balance -= amount
        accounts[account.id]!.deposit += amount
        return ["\(account.id) deposit +\(amount) → \(account.deposit + amount)"]
    }

    private mutating func withdraw(_ account: Account, _ amount: Int64) throws(LedgerError) -> [String] {
        try Self.positive(amount, "amount")
        guard account.available >= amount else { throw .insufficientFunds(account: account.id, needed: amount, available: max(0, account.available)) }
        accounts[account.id]!.deposit -= amount
        accounts[account.id]!.balance += amount
        return ["\(account.id) deposit −\(amount) → \(account.deposit - amount) (locked \(account.locked))"]
    }
}

/// Thousandths printed as a decimal.
struct Milli: CustomStringConvertible {
    let value: Int64
    init(_ value: Int64) { self.value = value }
    var description: String {
        let sign = value < 0 ? "-" : "", v = value.magnitude
        let fraction = String(v % 1000)
        return "\(sign)\(v / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }
}
