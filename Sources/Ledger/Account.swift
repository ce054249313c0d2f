/// What an account does in the consortium.
public enum Role: String, Sendable, CaseIterable, Comparable, Codable {
    case mno, pbs, pu, sensor, validator

    var code: UInt8 { UInt8(Self.allCases.firstIndex(of: self)!) }
    init?(code: UInt8) {
        guard Int(code) < Self.allCases.count else { return nil }
        self = Self.allCases[Int(code)]
    }

    /// Users: those who demand spectrum and hold grants.
    public var isUser: Bool { self == .pbs || self == .pu }

    public static func < (a: Role, b: Role) -> Bool { a.code < b.code }
}

/// One account: keys, tokens and trust.
public struct Account: Sendable, Equatable, Codable {
    public var id: String
    public var role: Role
    /// Ed25519 key that signs its transactions (and, for sensors, its evidence); X25519 key
    /// authorizations are sealed to.
    public var signingKey: [UInt8]
    public var agreementKey: [UInt8]
    /// Free tokens.
    public var balance: Int64
    /// Staked tokens: slashable, and what offers lock.
    public var deposit: Int64
    /// `d_token`: the deposit at registration, which the trust formulas start from.
    public var registrationDeposit: Int64
    /// Part of `deposit` locked by live offers.
    public var locked: Int64
    public var trustMilli: Int64
    /// Last nonce used (0: none yet).
    public var nonce: UInt64
    /// Grant periods (distribution rounds) in which the account accessed spectrum (held a grant,
    /// or for an MNO, had spectrum granted), and those with a conviction; ascending.
    public var accessedPeriods: [Int64]
    public var violationPeriods: [Int64]

    /// Deposit not locked by offers.
    public var available: Int64 { deposit - locked }
}

/// Spectrum an MNO offers for a distribution round: the terms it posted, and what has been
/// granted of it.
@dynamicMemberLookup
public struct Offer: Sendable, Equatable, Codable {
    public var mno: String
    public var terms: OfferRequest
    /// Hz from the bottom of the band already granted.
    public var grantedHz: Int64 = 0
    /// Hz from the top of the band minted as tokens (out of the distribution rounds).
    public var tokenizedHz: Int64 = 0
    /// The deposit has been unlocked (the offer ended).
    public var released = false

    public subscript<T>(dynamicMember path: KeyPath<OfferRequest, T>) -> T { terms[keyPath: path] }

    public var bandwidthHz: Int64 { terms.frequencyHighHz - terms.frequencyLowHz }
    /// Hz neither granted nor minted.
    public var freeHz: Int64 { bandwidthHz - grantedHz - tokenizedHz }
}

/// The rules a grant carries to the sensing agent (the enforcement grant fields).
public struct UsageRules: Sendable, Equatable, Codable {
    public var maxPsdMilliDbmPerMHz: Int64
    public var outOfBandMaxMilliDbmPerMHz: Int64
    public var maxOccupancyNs: Int64
    /// The service the MNO promises: PSD and tolerance, milli-dB (bandwidth is the grant's).
    public var nominalPsdMilliDbmPerMHz: Int64?
    public var nominalToleranceMilliDB: Int64?

    public init(maxPsdMilliDbmPerMHz: Int64, outOfBandMaxMilliDbmPerMHz: Int64, maxOccupancyNs: Int64,
                nominalPsdMilliDbmPerMHz: Int64? = nil, nominalToleranceMilliDB: Int64? = nil) {
        self.maxPsdMilliDbmPerMHz = maxPsdMilliDbmPerMHz
        self.outOfBandMaxMilliDbmPerMHz = outOfBandMaxMilliDbmPerMHz
        self.maxOccupancyNs = maxOccupancyNs
        self.nominalPsdMilliDbmPerMHz = nominalPsdMilliDbmPerMHz
        self.nominalToleranceMilliDB = nominalToleranceMilliDB
    }
}

/// A user's request for spectrum in the open round.
public struct Demand: Sendable, Equatable, Codable {
    public var id: String
    public var user: String
    public var bandwidthHz: Int64
    public var durationNs: Int64
    public var area: String
    /// Wanted start, ns; 0 lets the grant start with the offer.
    public var startNs: Int64
    /// Escrowed tokens: pays for what is granted, the rest is returned when the round closes.
    public var deposit: Int64
}

/// Spectrum granted to a user by a distribution round.
public struct LedgerGrant: Sendable, Equatable, Codable {
    public var id: String
    public var holder: String
    public var mno: String
    public var offerID: String
    public var demandID: String
    public var period: Int64
    public var frequencyLowHz: Int64, frequencyHighHz: Int64
    public var area: String
    public var startNs: Int64, endNs: Int64
    public var pricePaid: Int64
    public var rules: UsageRules
}

/// How one demand fared in a round.
public struct RoundEntry: Sendable, Equatable, Codable {
    public var demandID: String
    public var user: String
    public var rank: Int64
    public var trustMilli: Int64
    public var priorityNano: Int64
    /// Order in which demands were served (0 first).
    public var servedOrder: Int64
    public var grantedHz: Int64
    public var paid: Int64
    public var refunded: Int64
}

/// A closed distribution round.
public struct Round: Sendable, Equatable, Codable {
    public var period: Int64
    public var closedBy: String
    public var height: Int64
    public var entries: [RoundEntry]
}
