import Ledger

/// One validator's consensus as a pure state machine: Tendermint (Buchman, Kwon, Milosevic,
/// "The latest gossip on BFT consensus", 2018, Algorithm 1; comments cite its lines) with trust
/// as voting power. Messages and timer firings in; effects out. No clock, socket or randomness.
public struct TendermintCore: Sendable {
    public struct Configuration: Sendable {
        /// Timeouts: base + round × increment, ns.
        public var timeoutBaseNs: Int64 = 300_000_000
        public var timeoutIncrementNs: Int64 = 100_000_000
        /// Own messages are sent again this often while a height is undecided (lossy links).
        public var resendNs: Int64 = 1_000_000_000
        /// Decisions kept in memory to help validators one height behind (a node keeps a few;
        /// older blocks come from its store; the simulator keeps all to judge them).
        public var retainedCommits: Int = .max
        /// Pause after a decision before round 0 of the next height (CometBFT's
        /// `timeout_commit`): batches transactions into fewer blocks. 0: start at once.
        public var commitWaitNs: Int64 = 0
        /// Heights in a leader's term (DESIGN.md section 5); see `proposer(round:)`.
        public var termLength: Int64 = 1

        public init() {}
    }

    public let id: String
    /// The validator set of the current height.
    public private(set) var validators: ValidatorSet
    /// Sets for coming heights, handed in by the application (DESIGN.md section 5: a change
    /// caused by block h takes effect at h + 2, so the set of h + 1 is known when h is decided).
    var upcomingValidators: [Int64: ValidatorSet] = [:]
    let signer: any MessageSigner
    let configuration: Configuration
    /// The application: the block to propose, and whether a block is valid (every transaction
    /// checked against the state: BEAST stage 3).
    let makeBlock: @Sendable (_ height: Int64, _ round: Int64, _ previous: Commit?) -> Block
    let isValid: @Sendable (Block) -> Bool
    /// Whether this validator prevotes for a valid proposal now (its time not beyond this
    /// node's clock): a local judgement on proposals only. A block that others decide commits
    /// here whatever this node's clock says, so that a node with a wrong clock still follows.
    let isTimely: @Sendable (Block) -> Bool
    /// Told of each decision before the next height starts (the application commits the
    /// block, so that the next proposal and validity checks see its state); returns the
    /// validator set the decided block determines for height + 2 (DESIGN.md section 5), or
    /// nil to keep the set.
    let didDecide: @Sendable (Commit) -> ValidatorSet?

    public private(set) var height: Int64
    public private(set) var round: Int64 = -1
    public private(set) var step: Timeout.Step = .propose
    var lockedValue: Block?, lockedRound: Int64 = -1
    var validValue: Block?, validRound: Int64 = -1
    var proposals: [Int64: Proposal] = [:]
    /// Votes by round and validator: normally one; a second, conflicting one from an
    /// equivocating validator is kept too (at most two), so that its vote for a value still
    /// counts for that value when another validator relays it (CometBFT does the same).
    var prevotes: [Int64: [String: [SignedVote]]] = [:]
    var precommits: [Int64: [String: [SignedVote]]] = [:]
    var prevoteTimerSet: Set<Int64> = [], precommitTimerSet: Set<Int64> = [], lockedOrUpdated: Set<Int64> = []
    /// Own messages of this height, to send again on lossy links.
    var sent: [ConsensusMessage] = []
    /// Messages for the next height, replayed when it starts.
    var future: [ConsensusMessage] = []
    /// Every commit so far, by height (from 1).
    public private(set) var commits: [Commit] = []
    /// Whether a proposal for the current height has arrived (in any round).
    public var hasProposal: Bool { !proposals.isEmpty }
    /// Conflicting signed votes seen: proof of equivocation.
    public private(set) var equivocations: [(SignedVote, SignedVote)] = []

    public init(id: String, validators: ValidatorSet, signer: any MessageSigner, configuration: Configuration = Configuration(),
                startHeight: Int64 = 1, lastCommit: Commit? = nil, makeBlock: @escaping @Sendable (Int64, Int64, Commit?) -> Block,
                isValid: @escaping @Sendable (Block) -> Bool, isTimely: @escaping @Sendable (Block) -> Bool = { _ in true },
                didDecide: @escaping @Sendable (Commit) -> ValidatorSet? = { _ in nil }) {
        self.id = id
        self.validators = validators
        self.signer = signer
        self.configuration = configuration
        self.makeBlock = makeBlock
        self.isValid = isValid
        self.isTimely = isTimely
        self.didDecide = didDecide
        height = startHeight
        if let lastCommit { commits = [lastCommit] }
    }

    /// The proposer of round `r` at the current height. A term's first height goes by
    /// descending trust from the highest (round r: the r-th validator); at its other heights
    /// the term's leader — whoever proposed the block committed at the height before — proposes
    /// round 0 and the validators after it in trust order the rounds after. A leader that
    /// crashes costs one round change, after which the next validator leads the rest of the term.
    public func proposer(round r: Int64) -> String {
        let order = validators.order, n = Int64(order.count)
        let termStart = height <= 1 || (height - 1) % max(1, configuration.termLength) == 0
        guard !termStart, let last = commits.last, last.block.height == height - 1,
              let leader = order.firstIndex(of: last.block.proposer) else { return order[Int(r % n)] }
        return order[Int((Int64(leader) + r) % n)]
    }

    /// The validator set that will vote at `height` (a later height than the current one).
    /// Without one, a height keeps the set of the height before it.
    public mutating func setValidators(_ set: ValidatorSet, at height: Int64) {
        guard height > self.height, !set.members.isEmpty else { return }
        upcomingValidators[height] = set
    }

    // MARK: Inputs

    /// Starts round 0 of the current height.
    public mutating func start() -> [ConsensusEffect] {
        var out: [ConsensusEffect] = [.schedule(Timeout(step: .resend, height: height, round: 0), afterNs: configuration.resendNs)]
        out += startRound(0)
        return out + evaluate()
    }

    /// After a restart from persisted state: timers were lost, so ask for them again (each is
    /// ignored if its step has passed).
    public func restart() -> [ConsensusEffect] {
        [.schedule(Timeout(step: .resend, height: height, round: 0), afterNs: 0)]
            + [Timeout.Step.propose, .prevote, .precommit].map { .schedule(Timeout(step: $0, height: height, round: round), afterNs: timeout(round)) }
    }

    public mutating func receive(_ message: ConsensusMessage) -> [ConsensusEffect] {
        if message.height < height {
            // A validator behind us: send it the decision it is missing.
            let sender: String
            switch message {
            case .proposal(let p): sender = p.proposer
            case .vote(let v): sender = v.vote.validator
            case .decision: return []
            }
            guard sender != id, let commit = commits.first(where: { $0.block.height == message.height }) else { return [] }
            return [.send(.decision(commit), to: sender)]
        }
        if message.height > height {
            if message.height == height + 1, future.count < 10_000 { future.append(message) }
            return []
        }
        switch message {
        case .proposal(let p): accept(p)
        case .vote(let v): accept(v)
        case .decision(let c): return adopt(c)
        }
        return evaluate()
    }

    public mutating func fire(_ timeout: Timeout) -> [ConsensusEffect] {
        guard timeout.height == height else { return [] }
        var out: [ConsensusEffect] = []
        switch timeout.step {
        case .propose where timeout.round == round && step == .propose:  // L57
            out += vote(.prevote, nil)
            step = .prevote
        case .prevote where timeout.round == round && step == .prevote:  // L61
            out += vote(.precommit, nil)
            step = .precommit
        case .precommit where timeout.round == round:  // L65
            out += startRound(round + 1)
        case .commitWait where round == -1:
            out += startRound(0)
        case .resend:
            // Own messages again, and gossip: what we hold of the rounds that matter, so that
            // every correct validator eventually sees what one has seen.
            out += sent.map { .broadcast($0) }
            let rounds = Set([round - 1, round, validRound, lockedRound].filter { $0 >= 0 })
            for r in rounds.sorted() {
                if let p = proposals[r], p.proposer != id { out.append(.broadcast(.proposal(p))) }
                for votes in [prevotes[r], precommits[r]] {
                    for v in (votes ?? [:]).keys.sorted() where v != id { out += votes![v]!.map { .broadcast(.vote($0)) } }
                }
            }
            if let last = commits.last { out.append(.broadcast(.decision(last))) }
            out.append(.schedule(Timeout(step: .resend, height: height, round: 0), afterNs: configuration.resendNs))
        default:
            break
        }
        return out + evaluate()
    }

    // MARK: Algorithm 1

    /// L11–L21.
    private mutating func startRound(_ r: Int64) -> [ConsensusEffect] {
        round = r
        step = .propose
        if proposer(round: r) == id {
            let block = validValue ?? makeBlock(height, r, commits.last)
            var proposal = Proposal(height: height, round: r, validRound: validRound, block: block, proposer: id, signature: [])
            proposal.signature = signer.sign(proposal.signedBytes, as: id)
            accept(proposal)
            sent.append(.proposal(proposal))
            return [.broadcast(.proposal(proposal))]
        }
        return [.schedule(Timeout(step: .propose, height: height, round: r), afterNs: timeout(r))]
    }

    private func timeout(_ r: Int64) -> Int64 { configuration.timeoutBaseNs + r * configuration.timeoutIncrementNs }

    private mutating func vote(_ kind: ConsensusVote.Step, _ block: Block?) -> [ConsensusEffect] {
        let v = ConsensusVote(step: kind, height: height, round: round, blockHash: block?.hash ?? [], validator: id)
        let signed = SignedVote(vote: v, signature: signer.sign(v.canonicalBytes, as: id))
        accept(signed)
        sent.append(.vote(signed))
        return [.broadcast(.vote(signed))]
    }

    private mutating func accept(_ p: Proposal) {
        guard p.height == height, p.round >= 0, p.proposer == proposer(round: p.round), proposals[p.round] == nil,
              p.block.height == height, signer.verify(p.signature, of: p.signedBytes, by: p.proposer) else { return }
        proposals[p.round] = p
    }

    private mutating func accept(_ s: SignedVote) {
        let v = s.vote
        guard v.height == height, v.round >= 0, validators.power(of: v.validator) > 0,
              signer.verify(s.signature, of: v.canonicalBytes, by: v.validator) else { return }
        let existing = (v.step == .prevote ? prevotes[v.round]?[v.validator] : precommits[v.round]?[v.validator]) ?? []
        guard !existing.contains(where: { $0.vote.blockHash == v.blockHash }), existing.count < 2 else { return }
        if let first = existing.first { equivocations.append((first, s)) }
        if v.step == .prevote { prevotes[v.round, default: [:]][v.validator, default: []].append(s) } else { precommits[v.round, default: [:]][v.validator, default: []].append(s) }
    }

    /// Power of the validators with a vote for `hash` (nil: with any vote), each counted once.
    private func power(_ votes: [String: [SignedVote]]?, for hash: [UInt8]?) -> Int64 {
        (votes ?? [:]).filter { _, list in hash == nil || list.contains { $0.vote.blockHash == hash! } }.keys.reduce(0) { $0 + validators.power(of: $1) }
    }

    /// Applies every rule whose condition holds until none does.
    private mutating func evaluate() -> [ConsensusEffect] {
        var out: [ConsensusEffect] = []
        while true {
            let before = out.count, beforeState = (height, round, step)
            out += applyRules()
            if out.count == before && beforeState == (height, round, step) { return out }
        }
    }

    private mutating func applyRules() -> [ConsensusEffect] {
        // L49: a proposal of any round with a quorum of precommits for it: decide.
        for (r, p) in proposals.sorted(by: { $0.key < $1.key }) where validators.isQuorum(power(precommits[r], for: p.block.hash)) && isValid(p.block) {
            let votes = (precommits[r] ?? [:]).values.flatMap { $0 }.filter { $0.vote.blockHash == p.block.hash }.sorted { $0.vote.validator < $1.vote.validator }
            return decide(Commit(block: p.block, round: r, precommits: votes))
        }
        if step == .propose, let p = proposals[round] {
            if p.validRound == -1 {  // L22
                let ok = isValid(p.block) && isTimely(p.block) && (lockedRound == -1 || lockedValue?.hash == p.block.hash)
                step = .prevote
                return vote(.prevote, ok ? p.block : nil)
            }
            if p.validRound < round, validators.isQuorum(power(prevotes[p.validRound], for: p.block.hash)) {  // L28
                let ok = isValid(p.block) && isTimely(p.block) && (lockedRound <= p.validRound || lockedValue?.hash == p.block.hash)
                step = .prevote
                return vote(.prevote, ok ? p.block : nil)
            }
        }
        if step == .prevote, validators.isQuorum(power(prevotes[round], for: nil)), !prevoteTimerSet.contains(round) {  // L34
            prevoteTimerSet.insert(round)
            return [.schedule(Timeout(step: .prevote, height: height, round: round), afterNs: timeout(round))]
        }
        if step != .propose, let p = proposals[round], !lockedOrUpdated.contains(round),
           validators.isQuorum(power(prevotes[round], for: p.block.hash)), isValid(p.block) {  // L36
            lockedOrUpdated.insert(round)
            validValue = p.block
            validRound = round
            if step == .prevote {
                lockedValue = p.block
                lockedRound = round
                step = .precommit
                return vote(.precommit, p.block)
            }
            return []
        }
        if step == .prevote, validators.isQuorum(power(prevotes[round], for: [])) {  // L44
            step = .precommit
            return vote(.precommit, nil)
        }
        if validators.isQuorum(power(precommits[round], for: nil)), !precommitTimerSet.contains(round) {  // L47
            precommitTimerSet.insert(round)
            return [.schedule(Timeout(step: .precommit, height: height, round: round), afterNs: timeout(round))]
        }
        // L55: f + 1 of the power is in a later round: join it.
        let later = Set(prevotes.keys).union(precommits.keys).union(proposals.keys).filter { $0 > round }.sorted()
        for r in later {
            var senders = Set((prevotes[r] ?? [:]).keys).union((precommits[r] ?? [:]).keys)
            if let p = proposals[r] { senders.insert(p.proposer) }
            if validators.isOneThird(senders.reduce(0) { $0 + validators.power(of: $1) }) { return startRound(r) }
        }
        return []
    }

    /// A decision another validator made for this height, with its precommits.
    private mutating func adopt(_ c: Commit) -> [ConsensusEffect] {
        guard c.block.height == height, isValid(c.block) else { return [] }
        var seen = Set<String>(), power: Int64 = 0
        for s in c.precommits where s.vote.step == .precommit && s.vote.height == height && s.vote.round == c.round
            && s.vote.blockHash == c.block.hash && !seen.contains(s.vote.validator) && signer.verify(s.signature, of: s.vote.canonicalBytes, by: s.vote.validator) {
            seen.insert(s.vote.validator)
            power += validators.power(of: s.vote.validator)
        }
        guard validators.isQuorum(power) else { return [] }
        return decide(c) + evaluate()
    }

    /// L49–L54: commit, move to the next height, start round 0.
    private mutating func decide(_ c: Commit) -> [ConsensusEffect] {
        if let future = didDecide(c), !future.members.isEmpty { upcomingValidators[c.block.height + 2] = future }
        commits.append(c)
        if commits.count > configuration.retainedCommits { commits.removeFirst(commits.count - configuration.retainedCommits) }
        height += 1
        if let next = upcomingValidators.removeValue(forKey: height) { validators = next }
        upcomingValidators = upcomingValidators.filter { $0.key > height }
        lockedValue = nil; lockedRound = -1; validValue = nil; validRound = -1
        proposals = [:]; prevotes = [:]; precommits = [:]
        prevoteTimerSet = []; precommitTimerSet = []; lockedOrUpdated = []
        sent = []
        var out: [ConsensusEffect] = [.commit(c),
                                      .schedule(Timeout(step: .resend, height: height, round: 0), afterNs: configuration.resendNs)]
        if configuration.commitWaitNs > 0 {
            // Waiting: no round yet (messages for this height are still taken in).
            round = -1
            step = .propose
            out.append(.schedule(Timeout(step: .commitWait, height: height, round: 0), afterNs: configuration.commitWaitNs))
        } else {
            out += startRound(0)
        }
        let replay = future
        future = []
        for m in replay where m.height == height {
            switch m {
            case .proposal(let p): accept(p)
            case .vote(let v): accept(v)
            case .decision: break
            }
        }
        return out
    }
}
