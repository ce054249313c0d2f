/// A spectrum token (docs/ledger.md, "Spectrum tokens"): the right to use a frequency range
/// over a time interval in an area, minted by an MNO from one of its offers and carrying that
/// offer's usage rules, so whoever holds it is audited against them. It can be split, merged,
/// transferred, sold or leased; a lease lends the use and returns it to the owner at its end.
public struct SpectrumToken: Sendable, Equatable, Codable {
    public var id: String
    /// The MNO that minted it: it answers for the service (degradation), and its offer's
    /// deposit backs the right.
    public var mno: String
    public var offerID: String
    public var owner: String
    public var area: String
    public var frequencyLowHz: Int64, frequencyHighHz: Int64
    public var startNs: Int64, endNs: Int64
    public var rules: UsageRules
    /// The use lent to another account, if any.
    public var lease: Lease?
    /// The owner's standing ask, if it is listed.
    public var ask: Ask?
    /// No split, merge, transfer, listing or lease before this height (an open case against
    /// its holder, or a conviction).
    public var frozenUntilHeight: Int64 = 0
    /// The last trade's price per MHz·s (thousandths), wash trades excluded; nil before the first.
    public var lastPriceMilli: Int64?
    /// The last purchase: seller and height (for the wash-trade rule).
    public var lastSeller: String?
    public var lastSaleHeight: Int64 = 0

    /// Who may transmit under it now: the lessee while leased, the owner otherwise.
    public var holder: String { lease?.lessee ?? owner }
    public var bandwidthHz: Int64 { frequencyHighHz - frequencyLowHz }

    /// The right as a grant (for audits, evidence and the agent): id, holder, MNO, band,
    /// window, rules.
    public func asGrant(period: Int64) -> LedgerGrant {
        LedgerGrant(id: id, holder: holder, mno: mno, offerID: offerID, demandID: "", period: period, frequencyLowHz: frequencyLowHz,
                    frequencyHighHz: frequencyHighHz, area: area, startNs: lease.map { max(startNs, $0.startNs) } ?? startNs,
                    endNs: lease?.endNs ?? endNs, pricePaid: 0, rules: rules)
    }
}

/// How a right changes hands in the market.
public enum TradeMode: String, Sendable, Equatable, Codable, CaseIterable {
    /// Ownership moves to the buyer, who can use, split, resell or lease it.
    case purchase
    /// The use moves to the lessee until the lease ends, then returns to the owner.
    case lease

    var code: UInt8 { self == .purchase ? 0 : 1 }
}

/// A lease in force.
public struct Lease: Sendable, Equatable, Codable {
    public var lessee: String
    /// The lease's span: from the trade (or the token's start, if later) to `endNs`.
    public var startNs: Int64, endNs: Int64
    /// The whole rent; paid up front, or streamed: at each block the rent due so far.
    public var rent: Int64
    public var paid: Int64
    public var streamed: Bool
    /// Taken from the lessee at the trade; covers missed rent and penalties; returned at the end.
    public var collateral: Int64
}

/// A standing offer to sell or lease a token.
public struct Ask: Sendable, Equatable, Codable {
    public var priceMilli: Int64
    public var mode: TradeMode
    /// For a lease: when it ends (≤ the token's end).
    public var leaseEndNs: Int64?
    /// For a lease: rent streamed per block (true) or paid up front.
    public var streamed: Bool
    /// Arrival order among orders (time priority).
    public var sequence: Int64
    /// Listed by the contract to cover a convicted holder's shortfall.
    public var forced: Bool
}

/// A standing bid for a right of an exact shape (area, band, window).
public struct Bid: Sendable, Equatable, Codable {
    public var id: String
    public var bidder: String
    public var product: Product
    public var mode: TradeMode
    public var maxPriceMilli: Int64
    public var streamed: Bool
    /// Tokens held from the bidder's balance: the most it can pay, plus lease collateral.
    public var escrow: Int64
    public var sequence: Int64
}

/// What an order trades: a band in an area over a window. For a purchase, the token's whole
/// right; for a lease, the token's band from its start to the lease's end.
public struct Product: Sendable, Equatable, Hashable, Codable {
    public var area: String
    public var frequencyLowHz: Int64, frequencyHighHz: Int64
    public var startNs: Int64, endNs: Int64

    public init(area: String, frequencyLowHz: Int64, frequencyHighHz: Int64, startNs: Int64, endNs: Int64) {
        self.area = area
        self.frequencyLowHz = frequencyLowHz
        self.frequencyHighHz = frequencyHighHz
        self.startNs = startNs
        self.endNs = endNs
    }

    /// The order book's key: one book per product and mode.
    func bookKey(_ mode: TradeMode) -> String { "\(mode.rawValue)|\(area)|\(frequencyLowHz)|\(frequencyHighHz)|\(startNs)|\(endNs)" }
}

/// One matched trade, as the ledger keeps it.
public struct Trade: Sendable, Equatable, Codable {
    public var height: Int64
    public var tokenID: String
    public var seller: String, buyer: String
    public var mode: TradeMode
    public var priceMilli: Int64
    public var value: Int64
    /// A round trip of the same right between the same two accounts within the wash window.
    public var wash: Bool
}
