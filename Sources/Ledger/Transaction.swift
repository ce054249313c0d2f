import Crypto
import Evidence

/// A request to change the ledger, by one account, with that account's next nonce.
public struct Transaction: Sendable, Equatable {
    public var signer: String
    public var nonce: UInt64
    public var body: Body

    public init(signer: String, nonce: UInt64, body: Body) {
        self.signer = signer
        self.nonce = nonce
        self.body = body
    }

    public enum Body: Sendable, Equatable {
        /// A new account named `signer`, with its keys; `deposit` is staked from the tokens the
        /// genesis allocated to its signing key.
        case register(role: Role, signingKey: [UInt8], agreementKey: [UInt8], deposit: Int64)
        case topUp(amount: Int64)
        case withdraw(amount: Int64)
        case offer(OfferRequest)
        case demand(DemandRequest)
        /// Distributes the open round's demands over the live offers.
        case closeRound
        /// An MNO's sealed, signed authorization for a grant's holder.
        case authorize(grantID: String, sealed: SealedAuthorization)
        /// A sensor's signed evidence record (canonical bytes) and its signature.
        case evidence(record: [UInt8], signature: [UInt8])
        case vote(caseID: String, guilty: Bool)
        /// Two conflicting signed consensus votes by one validator.
        case equivocation(first: SignedVote, second: SignedVote)
        /// An MNO tokenizes `bandwidthHz` from the top of its offer's free band, for the
        /// offer's window (docs/ledger.md, "Spectrum tokens").
        case mint(id: String, offerID: String, bandwidthHz: Int64)
        /// The owner splits a token at a frequency or a time into two that cover it exactly.
        case split(tokenID: String, at: SplitPoint, lowID: String, highID: String)
        /// The owner joins two adjacent tokens with the same terms into one.
        case merge(first: String, second: String, id: String)
        /// The owner gives a token to another account.
        case transfer(tokenID: String, to: String)
        /// The owner lists a token for sale or lease.
        case ask(AskRequest)
        /// A bid for a right of an exact shape, with the most it pays.
        case bid(BidRequest)
        /// Withdraws an ask (by token id) or a bid (by bid id).
        case cancel(orderID: String)
    }

    /// Where a token is split.
    public enum SplitPoint: Sendable, Equatable {
        case frequency(Hz: Int64)
        case time(ns: Int64)
    }

    /// What the body is, in the spelling of scenario files and receipts.
    public var kind: String {
        switch body {
        case .register: return "register"
        case .topUp: return "top_up"
        case .withdraw: return "withdraw"
        case .offer: return "offer"
        case .demand: return "demand"
        case .closeRound: return "close_round"
        case .authorize: return "authorize"
        case .evidence: return "evidence"
        case .vote: return "vote"
        case .equivocation: return "equivocation"
        case .mint: return "mint"
        case .split: return "split"
        case .merge: return "merge"
        case .transfer: return "transfer"
        case .ask: return "ask"
        case .bid: return "bid"
        case .cancel: return "cancel"
        }
    }

    /// SHA-256 of the canonical bytes, hex: the transaction's identity.
    public var id: String { hex(SHA256.hash(data: canonicalBytes)) }

    /// Signs with `key`.
    public func signed(by key: Curve25519.Signing.PrivateKey) throws -> SignedTransaction {
        SignedTransaction(transaction: self, signature: Array(try key.signature(for: canonicalBytes)))
    }
}

public struct OfferRequest: Sendable, Equatable, Codable {
    public var id: String
    public var frequencyLowHz: Int64, frequencyHighHz: Int64
    public var area: String
    public var startNs: Int64, endNs: Int64
    public var unitPriceMilli: Int64
    public var deposit: Int64
    public var rules: UsageRules

    public init(id: String, frequencyLowHz: Int64, frequencyHighHz: Int64, area: String, startNs: Int64, endNs: Int64,
                unitPriceMilli: Int64, deposit: Int64, rules: UsageRules) {
        self.id = id
        self.frequencyLowHz = frequencyLowHz
        self.frequencyHighHz = frequencyHighHz
        self.area = area
        self.startNs = startNs
        self.endNs = endNs
        self.unitPriceMilli = unitPriceMilli
        self.deposit = deposit
        self.rules = rules
    }
}

public struct DemandRequest: Sendable, Equatable, Codable {
    public var id: String
    public var bandwidthHz: Int64
    public var durationNs: Int64
    public var area: String
    public var startNs: Int64
    public var deposit: Int64

    public init(id: String, bandwidthHz: Int64, durationNs: Int64, area: String, startNs: Int64, deposit: Int64) {
        self.id = id
        self.bandwidthHz = bandwidthHz
        self.durationNs = durationNs
        self.area = area
        self.startNs = startNs
        self.deposit = deposit
    }
}

/// An owner's listing of a token: price per MHz·s (thousandths of a token), sale or lease.
public struct AskRequest: Sendable, Equatable {
    public var tokenID: String
    public var priceMilli: Int64
    public var mode: TradeMode
    /// For a lease: its end (the right returns to the owner then).
    public var leaseEndNs: Int64?
    /// For a lease: rent streamed per block rather than paid up front.
    public var streamed: Bool

    public init(tokenID: String, priceMilli: Int64, mode: TradeMode, leaseEndNs: Int64? = nil, streamed: Bool = false) {
        self.tokenID = tokenID
        self.priceMilli = priceMilli
        self.mode = mode
        self.leaseEndNs = leaseEndNs
        self.streamed = streamed
    }
}

/// A bid for a right of an exact shape: the most it pays per MHz·s (thousandths).
public struct BidRequest: Sendable, Equatable {
    public var id: String
    public var product: Product
    public var mode: TradeMode
    public var maxPriceMilli: Int64
    public var streamed: Bool

    public init(id: String, product: Product, mode: TradeMode, maxPriceMilli: Int64, streamed: Bool = false) {
        self.id = id
        self.product = product
        self.mode = mode
        self.maxPriceMilli = maxPriceMilli
        self.streamed = streamed
    }
}

/// A transaction and its signer's Ed25519 signature over its canonical bytes. The canonical
/// bytes and the id are computed once, when it is made or decoded: a node checks, executes and
/// records each transaction several times, and re-encoding and re-hashing it each time was a
/// measurable part of a block's cost.
public struct SignedTransaction: Sendable, Equatable {
    public let transaction: Transaction
    public var signature: [UInt8]
    /// `transaction.canonicalBytes`: what the signature covers.
    public let canonicalBytes: [UInt8]
    /// `transaction.id`: SHA-256 of the canonical bytes, hex.
    public let id: String

    public init(transaction: Transaction, signature: [UInt8]) {
        self.init(transaction: transaction, canonicalBytes: transaction.canonicalBytes, signature: signature)
    }

    /// `canonicalBytes` must be `transaction.canonicalBytes` (as decoding finds them).
    init(transaction: Transaction, canonicalBytes: [UInt8], signature: [UInt8]) {
        self.transaction = transaction
        self.signature = signature
        self.canonicalBytes = canonicalBytes
        self.id = hex(SHA256.hash(data: canonicalBytes))
    }

    public static func == (a: Self, b: Self) -> Bool { a.canonicalBytes == b.canonicalBytes && a.signature == b.signature }
}

/// A consensus vote as validators sign it (the Consensus target uses this layout).
public struct ConsensusVote: Sendable, Equatable {
    public enum Step: UInt8, Sendable { case prevote = 1, precommit = 2 }

    public var step: Step
    public var height: Int64
    public var round: Int64
    /// The block voted for; empty for a nil vote.
    public var blockHash: [UInt8]
    public var validator: String

    public init(step: Step, height: Int64, round: Int64, blockHash: [UInt8], validator: String) {
        self.step = step
        self.height = height
        self.round = round
        self.blockHash = blockHash
        self.validator = validator
    }

    public var canonicalBytes: [UInt8] {
        var w = CanonicalWriter()
        for b in "TBVO".utf8 { w.u8(b) }
        w.u16(1)
        w.u8(step.rawValue)
        w.i64(height)
        w.i64(round)
        w.data(blockHash)
        w.string(validator)
        return w.bytes
    }
}

public struct SignedVote: Sendable, Equatable {
    public var vote: ConsensusVote
    public var signature: [UInt8]

    public init(vote: ConsensusVote, signature: [UInt8]) {
        self.vote = vote
        self.signature = signature
    }
}
