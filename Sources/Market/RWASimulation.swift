import Crypto
import Foundation
import HashTreeCollections
import Ledger
import Signal

/// How spectrum reaches users in a simulated run.
public enum RWAMode: String, Sendable, CaseIterable {
    /// BEAST distribution rounds only: a demand per user per round, granted for the round.
    case beast
    /// Tokens bought per channel and period; holders resell what they do not need.
    case purchase
    /// Tokens leased per channel and period, just in time, rent streamed per block.
    case lease
}

/// What the attackers do.
public enum RWAAttack: String, Sendable, CaseIterable {
    case none
    /// Two colluders trade rights back and forth at inflated prices to lift the reference
    /// price honest buyers anchor on, then sell their stock to them.
    case wash
    /// One rich trader buys all the supply first and resells it dear.
    case corner
    /// The wash traders' plan without the wash trades: stock up first, resell at the top of
    /// what honest buyers accept (the baseline a wash trade's gain is measured against).
    case scalp
    /// A quarter of the lessees stop paying their streamed rent after each lease starts.
    case `default`
    /// One validator of four (the consensus bound) censors users' transactions in the blocks it
    /// proposes and tries to move users' rights to the attacker without their signatures.
    case byzantine
}

/// One run of the case study.
public struct RWARunConfiguration: Sendable, Hashable {
    public var mode: RWAMode
    public var attack: RWAAttack
    /// Demand / supply, on average over the run.
    public var scarcity: Double
    public var seed: UInt64
    /// The contract's wash-trade rule (off: no window, no fee).
    public var washDefence: Bool
    /// Distribution rounds (four 15-minute periods each).
    public var rounds: Int

    public init(mode: RWAMode, attack: RWAAttack = .none, scarcity: Double, seed: UInt64, washDefence: Bool = true, rounds: Int = 6) {
        self.mode = mode
        self.attack = attack
        self.scarcity = scarcity
        self.seed = seed
        self.washDefence = washDefence
        self.rounds = rounds
    }
}

/// What one run measured.
public struct RWAMetrics: Sendable, Equatable {
    /// Channel-periods used / channel-periods demanded.
    public var served: Double
    /// Channel-periods used / channel-periods supplied.
    public var utilisation: Double
    /// Tokens tied up without producing service, per period: escrow and collateral at block
    /// ends, plus rights paid for and left idle (valued at what was paid).
    public var capitalLocked: Double
    /// Seconds from a user's order (or demand) to its allocation, mean.
    public var allocationSeconds: Double
    /// Coefficient of variation of the prices paid per MHz·s.
    public var priceDispersion: Double
    /// Rent owed by defaulting lessees that their collateral did not cover.
    public var defaultLosses: Double
    /// The attackers' profit in tokens (wash, corner: trading P&L; default: rent escaped
    /// minus collateral lost; byzantine: value of rights moved without the owner's signature).
    public var attackerGain: Double
    /// Forged transactions the contract accepted (must be 0).
    public var forgedAccepted: Int
    public var trades: Int
}

/// The agent-based market of the case study (docs/rwa.md): two MNOs with 20 channels of 1 MHz
/// each, twelve users (base stations and primary users) with time-varying demand scaled to the
/// scarcity, 15-minute periods of three blocks, rounds of four periods. Every action is a signed
/// transaction applied to the real contract; a seed replays a run exactly.
public struct RWASimulation {
    static let mnos = ["mno-a", "mno-b"], channels = 20, channelHz: Int64 = 1_000_000
    static let users = (1...12).map { "user-\($0)" }
    static let attackers = ["mallory", "trent"], validators = ["v1", "v2", "v3", "v4"]
    static let periodNs: Int64 = 900_000_000_000, blockNs: Int64 = 300_000_000_000, periodsPerRound = 4
    static let t0: Int64 = 1_798_761_600_000_000_000  // 2027-01-01T00:00:00Z
    static let reserve: [String: Int64] = ["mno-a": 10, "mno-b": 12]
    static let bandBase: [String: Int64] = ["mno-a": 3_500_000_000, "mno-b": 3_600_000_000]
    static var supply: Int { mnos.count * channels }

    let configuration: RWARunConfiguration
    var ledger: MarketLedger
    var rng: SeededRandom
    /// Per user: demand per period (channels), its forecast, and its value per MHz·s (thousandths).
    let demand: [[Int]], forecast: [[Int]]
    let valuation: [Int64]
    var latencies: [Double] = []
    var used = 0, demanded = 0, idleValue = 0.0
    var defaultLosses = 0.0, escapedRent = 0.0
    var forgedAccepted = 0
    var periods: Int { configuration.rounds * Self.periodsPerRound }

    public init(_ configuration: RWARunConfiguration) throws(LedgerError) {
        self.configuration = configuration
        var rng = SeededRandom(seed: configuration.seed &* 0x9E37_79B9_7F4A_7C15 &+ 17)
        let periods = configuration.rounds * Self.periodsPerRound
        let weights = Self.users.map { _ in 0.5 + rng.nextUnitInterval() }, total = weights.reduce(0, +)
        var demand: [[Int]] = [], forecast: [[Int]] = []
        for w in weights {
            let mean = configuration.scarcity * Double(Self.supply) * w / total
            let phase = 2 * Double.pi * rng.nextUnitInterval()
            let seasonal = (0..<periods).map { t in mean * (1 + 0.6 * sin(2 * Double.pi * Double(t) / 12 + phase)) }
            forecast.append(seasonal.map { max(0, Int($0.rounded())) })
            demand.append(seasonal.map { s in max(0, Int((s + 0.25 * mean * rng.nextGaussian()).rounded())) })
        }
        self.demand = demand
        self.forecast = forecast
        valuation = Self.users.map { _ in 12 + Int64(rng.nextUnitInterval() * 28) }
        self.rng = rng
        var parameters = LedgerParameters()
        // Collateral covers one block of a lease's rent (three blocks per period).
        parameters.leaseCollateralPermille = 400
        parameters.arbitrationBlocks = 3
        if !configuration.washDefence {
            parameters.washWindowBlocks = 0
            parameters.washFeePermille = 0
        }
        func account(_ id: String, _ role: Role, deposit: Int64, balance: Int64) -> Genesis.GenesisAccount {
            .init(id: id, role: role, signingKey: Array(DevKeys.signing(id).publicKey.rawRepresentation),
                  agreementKey: Array(DevKeys.agreement(id).publicKey.rawRepresentation), deposit: deposit, balance: balance)
        }
        var accounts = Self.validators.map { account($0, .validator, deposit: 500, balance: 0) }
        accounts += Self.mnos.map { account($0, .mno, deposit: 100_000, balance: 0) }
        accounts += Self.users.enumerated().map { n, id in account(id, n % 2 == 0 ? .pbs : .pu, deposit: 1_000, balance: 1_000_000) }
        accounts += Self.attackers.map { account($0, .pu, deposit: 1_000, balance: 5_000_000) }
        ledger = try MarketLedger(genesis: Genesis(parameters: parameters, accounts: accounts, timeNs: Self.t0 - Self.blockNs))
    }

    /// Runs every period and returns the metrics.
    public static func run(_ configuration: RWARunConfiguration) throws(LedgerError) -> RWAMetrics {
        var simulation = try RWASimulation(configuration)
        return simulation.run()
    }

    mutating func run() -> RWAMetrics {
        let attackerStart = Self.attackers.reduce(Int64(0)) { $0 + wealth($1) }
        for t in 0..<periods {
            let start = Self.t0 + Int64(t) * Self.periodNs
            block(at: start) { sim in
                if t % Self.periodsPerRound == 0 { sim.startRound(t) }
                sim.tradePeriod(t)
            }
            block(at: start + Self.blockNs) { sim in
                if t % Self.periodsPerRound == 0, sim.configuration.mode == .beast { sim.closeRound(t) }
                sim.catchUp(t)
                if sim.configuration.attack == .wash { sim.washLeg(t + 1, from: "mallory", to: "trent") }
                if sim.configuration.attack == .default { sim.refund(defaulters: true) }
            }
            measure(t)
            block(at: start + 2 * Self.blockNs) { sim in
                if sim.configuration.attack == .wash { sim.washLeg(t + 1, from: "trent", to: "mallory") }
            }
        }
        block(at: Self.t0 + Int64(periods) * Self.periodNs) { _ in }
        let c = ledger.contract
        let prices: [Double] = configuration.mode == .beast
            ? c.grants.map { Double($0.pricePaid) * 1e18 / (Double($0.frequencyHighHz - $0.frequencyLowHz) * Double($0.endNs - $0.startNs)) }
            : c.trades.filter { !$0.wash && !Self.attackers.contains($0.seller) && !Self.attackers.contains($0.buyer) }.map { Double($0.priceMilli) }
        let mean = prices.isEmpty ? 0 : prices.reduce(0, +) / Double(prices.count)
        let sd = prices.isEmpty ? 0 : (prices.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(prices.count)).squareRoot()
        let escrow = Double(ledger.escrowSamples.reduce(0, +)) / Double(max(1, ledger.escrowSamples.count))
        var gain = Double(Self.attackers.reduce(Int64(0)) { $0 + wealth($1) } - attackerStart)
        if configuration.attack == .default { gain = escapedRent }
        if configuration.attack == .byzantine { gain = Double(forgedAccepted) }
        return RWAMetrics(served: Double(used) / Double(max(1, demanded)), utilisation: Double(used) / Double(Self.supply * periods),
                          capitalLocked: escrow + idleValue / Double(periods), allocationSeconds: latencies.isEmpty ? 0 : latencies.reduce(0, +) / Double(latencies.count),
                          priceDispersion: mean > 0 ? sd / mean : 0, defaultLosses: defaultLosses, attackerGain: gain, forgedAccepted: forgedAccepted,
                          trades: c.trades.count)
    }

    func wealth(_ id: String) -> Int64 { (ledger.contract.accounts[id]?.balance ?? 0) + (ledger.contract.accounts[id]?.deposit ?? 0) }

    /// One block: open at `time` (its proposer by height; the Byzantine one censors users),
    /// act, close; leases that vanished before their end are counted as defaults.
    mutating func block(at time: Int64, _ act: (inout RWASimulation) -> Void) {
        let proposer = Self.validators[Int(ledger.height % 4)]
        let byzantine = configuration.attack == .byzantine && proposer == "v4"
        let leases = ledger.contract.tokens.values.compactMap { t in t.lease.map { (t.id, $0) } }
        ledger.open(at: time, proposer: proposer, censoring: byzantine ? Set(Self.users) : [])
        for (id, lease) in leases where ledger.contract.tokens[id]?.lease == nil && lease.endNs > time {
            let span = Double(lease.endNs - lease.startNs), elapsed = Double(time - lease.startNs)
            let unpaid = Double(lease.rent) * elapsed / span - Double(lease.paid)
            defaultLosses += max(0, unpaid - Double(lease.collateral))
            escapedRent += unpaid - Double(lease.collateral)
        }
        if byzantine { forge() }
        act(&self)
        ledger.close(proposer: proposer)
    }

    // MARK: Supply

    /// The start of a round: each MNO offers its band for the round; in the token modes it
    /// mints it and splits it into one token per channel and period, listed at its reserve.
    mutating func startRound(_ t: Int) {
        let start = Self.t0 + Int64(t) * Self.periodNs, end = start + Int64(Self.periodsPerRound) * Self.periodNs
        let round = t / Self.periodsPerRound
        for m in Self.mnos {
            let low = Self.bandBase[m]!, offer = "\(m)-o\(round)"
            let rules = UsageRules(maxPsdMilliDbmPerMHz: -30_000, outOfBandMaxMilliDbmPerMHz: -55_000, maxOccupancyNs: Self.periodNs)
            ledger.send(m, .offer(OfferRequest(id: offer, frequencyLowHz: low, frequencyHighHz: low + Int64(Self.channels) * Self.channelHz, area: "cell-1",
                                               startNs: start, endNs: end, unitPriceMilli: Self.reserve[m]!, deposit: 1_000, rules: rules)))
            guard configuration.mode != .beast else { continue }
            var rest = "\(m)-r\(round)"
            ledger.send(m, .mint(id: rest, offerID: offer, bandwidthHz: Int64(Self.channels) * Self.channelHz))
            for k in 0..<Self.periodsPerRound {
                var period = "\(m)-r\(round)-p\(k)"
                if k < Self.periodsPerRound - 1 {
                    let next = "\(m)-r\(round)-after\(k)"
                    ledger.send(m, .split(tokenID: rest, at: .time(ns: start + Int64(k + 1) * Self.periodNs), lowID: period, highID: next))
                    rest = next
                } else {
                    period = rest
                }
                for c in 0..<Self.channels {
                    var channel = period
                    if c < Self.channels - 1 {
                        channel = "\(m)-r\(round)-p\(k)-c\(c)"
                        let above = "\(m)-r\(round)-p\(k)-above\(c)"
                        ledger.send(m, .split(tokenID: period, at: .frequency(Hz: low + Int64(c + 1) * Self.channelHz), lowID: channel, highID: above))
                        period = above
                    }
                    let token = ledger.contract.tokens[channel]!
                    let lease = configuration.mode == .lease
                    ledger.send(m, .ask(AskRequest(tokenID: channel, priceMilli: Self.reserve[m]!, mode: lease ? .lease : .purchase,
                                                   leaseEndNs: lease ? token.endNs : nil, streamed: lease)))
                }
            }
        }
        switch configuration.mode {
        case .beast: demandRound(t)
        case .purchase:
            if configuration.attack == .corner { cornerRound(t) }
            if configuration.attack == .wash || configuration.attack == .scalp { stockUp(t) }
            for u in order() {
                for k in 0..<Self.periodsPerRound { buy(Self.users[u], period: t + k, units: forecast[u][t + k], cap: cap(u)) }
            }
        case .lease: break
        }
    }

    /// BEAST: each user asks for its forecast mean over the round, with a deposit of what it is
    /// worth to it; the cornering attacker asks for the whole supply first.
    mutating func demandRound(_ t: Int) {
        let duration = Int64(Self.periodsPerRound) * Self.periodNs, round = t / Self.periodsPerRound
        if configuration.attack == .corner {
            let hz = Int64(Self.supply) * Self.channelHz
            ledger.send("mallory", .demand(DemandRequest(id: "mallory-r\(round)", bandwidthHz: hz, durationNs: duration, area: "cell-1", startNs: 0,
                                                         deposit: Contract.value(Product(area: "", frequencyLowHz: 0, frequencyHighHz: hz, startNs: 0, endNs: duration), priceMilli: 12))))
        }
        for u in order() {
            let mean = ((0..<Self.periodsPerRound).map { forecast[u][t + $0] }.reduce(0, +) + Self.periodsPerRound / 2) / Self.periodsPerRound
            guard mean > 0 else { continue }
            let hz = Int64(mean) * Self.channelHz
            let deposit = Contract.value(Product(area: "", frequencyLowHz: 0, frequencyHighHz: hz, startNs: 0, endNs: duration), priceMilli: valuation[u])
            ledger.send(Self.users[u], .demand(DemandRequest(id: "\(Self.users[u])-r\(round)", bandwidthHz: hz, durationNs: duration, area: "cell-1",
                                                             startNs: 0, deposit: deposit)))
        }
    }

    mutating func closeRound(_ t: Int) {
        let before = ledger.contract.grants.count
        ledger.send("v1", .closeRound)
        for g in ledger.contract.grants[before...] where Self.users.contains(g.holder) { latencies.append(Double(Self.blockNs) / 1e9) }
    }

    // MARK: Trading

    /// The reference price honest traders anchor on: the median of the last nine trades the
    /// ledger did not flag as wash trades (the reserve before there are any).
    var reference: Int64 {
        let recent = ledger.contract.trades.suffix(200).filter { !$0.wash && $0.mode == .purchase }.suffix(9).map(\.priceMilli).sorted()
        return recent.isEmpty ? 11 : recent[recent.count / 2]
    }

    /// The most a user pays per MHz·s: its value, and at most half again the reference.
    func cap(_ u: Int) -> Int64 { min(valuation[u], reference * 3 / 2) }

    mutating func order() -> [Int] {
        var list = Array(Self.users.indices)
        for i in stride(from: list.count - 1, to: 0, by: -1) { list.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        return list
    }

    func periodStart(_ t: Int) -> Int64 { Self.t0 + Int64(t) * Self.periodNs }

    /// Listed tokens of period `t` in `mode`, cheapest first (then earliest listed).
    func listed(period t: Int, mode: TradeMode, excluding owner: String) -> [SpectrumToken] {
        let start = periodStart(t)
        return ledger.contract.tokens.values.filter { $0.startNs == start && $0.ask?.mode == mode && $0.owner != owner }
            .sorted { ($0.ask!.priceMilli, $0.ask!.sequence) < ($1.ask!.priceMilli, $1.ask!.sequence) }
    }

    /// Buys (or leases) up to `units` of period `t`'s cheapest listed tokens at ≤ `cap`.
    mutating func buy(_ user: String, period t: Int, units: Int, cap: Int64, mode: TradeMode = .purchase) {
        guard units > 0, t < periods else { return }
        var bought = 0
        for token in listed(period: t, mode: mode, excluding: user) where bought < units && token.ask!.priceMilli <= cap {
            let product = Product(area: token.area, frequencyLowHz: token.frequencyLowHz, frequencyHighHz: token.frequencyHighHz, startNs: token.startNs,
                                  endNs: token.ask!.leaseEndNs ?? token.endNs)
            let id = "b\(ledger.height)-\(user)-\(bought)-\(token.id)"
            guard let result = ledger.send(user, .bid(BidRequest(id: id, product: product, mode: mode, maxPriceMilli: cap, streamed: token.ask!.streamed))) else {
                latencies.append(Double(Self.blockNs) / 1e9)  // censored: applied at the next block
                bought += 1
                continue
            }
            guard case .success = result else { break }
            if ledger.contract.bids[id] != nil {
                ledger.send(user, .cancel(orderID: id))
                continue
            }
            latencies.append(0)
            bought += 1
        }
    }

    func held(_ user: String, period t: Int) -> Int {
        let start = periodStart(t)
        if configuration.mode == .beast {
            return ledger.contract.grants.filter { $0.holder == user && $0.startNs <= start && start < $0.endNs }
                .reduce(0) { $0 + Int(($1.frequencyHighHz - $1.frequencyLowHz) / Self.channelHz) }
        }
        return ledger.contract.tokens.values.filter { $0.startNs == start && $0.holder == user }.count
    }

    /// A period starts: demand is known. Purchase: holders list what they do not need at the
    /// reference, then users short of it buy. Lease: users lease what they need.
    mutating func tradePeriod(_ t: Int) {
        switch configuration.mode {
        case .beast: return
        case .purchase:
            let ref = reference
            for (u, user) in Self.users.enumerated() {
                let surplus = held(user, period: t) - demand[u][t]
                guard surplus > 0 else { continue }
                let mine = ledger.contract.tokens.values.filter { $0.startNs == periodStart(t) && $0.owner == user && $0.ask == nil }.sorted { $0.id < $1.id }
                for token in mine.prefix(surplus) { ledger.send(user, .ask(AskRequest(tokenID: token.id, priceMilli: ref, mode: .purchase))) }
            }
            if [.wash, .scalp, .corner].contains(configuration.attack) { sellStock(t) }
            for u in order() {
                let short = demand[u][t] - held(Self.users[u], period: t)
                buy(Self.users[u], period: t, units: short, cap: cap(u))
            }
        case .lease:
            for u in order() {
                buy(Self.users[u], period: t, units: demand[u][t], cap: valuation[u], mode: .lease)
                if configuration.attack == .default, u < Self.users.count / 4 {
                    // The defaulter moves its balance out of reach of the streamed rent.
                    let balance = ledger.contract.accounts[Self.users[u]]!.balance
                    if balance > 0 { ledger.send(Self.users[u], .topUp(amount: balance)) }
                }
            }
        }
    }

    /// Users still short of their demand (their bid met a token taken meanwhile, or waited
    /// in a censored block) try once more.
    mutating func catchUp(_ t: Int) {
        guard configuration.mode != .beast else { return }
        for u in order() {
            if configuration.attack == .default, u < Self.users.count / 4 { continue }
            let short = demand[u][t] - held(Self.users[u], period: t)
            buy(Self.users[u], period: t, units: short, cap: configuration.mode == .lease ? valuation[u] : cap(u),
                mode: configuration.mode == .lease ? .lease : .purchase)
        }
    }

    /// Defaulters take their tokens back to their balance once their leases have defaulted.
    mutating func refund(defaulters: Bool) {
        for user in Self.users.prefix(Self.users.count / 4) {
            let spare = ledger.contract.accounts[user]!.available - 1_000
            if spare > 0 { ledger.send(user, .withdraw(amount: spare)) }
        }
    }

    mutating func measure(_ t: Int) {
        for (u, user) in Self.users.enumerated() {
            let h = held(user, period: t), d = demand[u][t]
            used += min(h, d)
            demanded += d
            // Idle rights, valued at the mean reserve (what they cost the holder, roughly).
            idleValue += Double(max(0, h - d)) * Double(Self.channelHz) / 1e6 * Double(Self.periodNs) / 1e9 * 0.011
        }
    }

    // MARK: Attacks

    /// Cornering: mallory buys every listed token of the round before the users arrive.
    mutating func cornerRound(_ t: Int) {
        for k in 0..<Self.periodsPerRound { buy("mallory", period: t + k, units: Self.supply, cap: 1_000) }
    }

    /// Wash trading: the colluders stock a few tokens of each period of the round.
    mutating func stockUp(_ t: Int) {
        for k in 0..<Self.periodsPerRound { buy("mallory", period: t + k, units: Self.supply / 8, cap: 1_000) }
    }

    /// The attackers list the period's stock just under what honest buyers accept.
    mutating func sellStock(_ t: Int) {
        let price = reference * 3 / 2 - 1
        for owner in Self.attackers {
            let stock = ledger.contract.tokens.values.filter { $0.startNs == periodStart(t) && $0.owner == owner && $0.ask == nil }.sorted { $0.id < $1.id }
            for token in stock { ledger.send(owner, .ask(AskRequest(tokenID: token.id, priceMilli: price, mode: .purchase))) }
        }
    }

    /// One leg of a wash trade: `from` sells `to` one of its tokens for a later period at three
    /// times the reference.
    mutating func washLeg(_ t: Int, from: String, to: String) {
        guard configuration.mode == .purchase, t < periods else { return }
        let price = reference * 13 / 10
        let later = ledger.contract.tokens.values.filter { $0.owner == from && $0.ask == nil && $0.startNs > periodStart(t) }.sorted { $0.id < $1.id }
        for token in later.prefix(3) {
            ledger.send(from, .ask(AskRequest(tokenID: token.id, priceMilli: price, mode: .purchase)))
            let product = Product(area: token.area, frequencyLowHz: token.frequencyLowHz, frequencyHighHz: token.frequencyHighHz, startNs: token.startNs, endNs: token.endNs)
            ledger.send(to, .bid(BidRequest(id: "w\(ledger.height)-\(token.id)", product: product, mode: .purchase, maxPriceMilli: price)))
        }
    }

    /// The Byzantine proposer tries to move a user's right to mallory: in the owner's name
    /// with its own key, and in its own name.
    mutating func forge() {
        guard let victim = ledger.contract.tokens.values.filter({ Self.users.contains($0.owner) && $0.endNs > ledger.timeNs }).min(by: { $0.id < $1.id }) else { return }
        for (signer, key) in [(victim.owner, "v4"), ("v4", "v4"), (victim.owner, "mallory")] {
            if case .success = ledger.submit(signer, .transfer(tokenID: victim.id, to: "mallory"), signedBy: key) { forgedAccepted += 1 }
        }
    }
}
