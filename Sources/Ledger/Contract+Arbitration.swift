import HashTreeCollections
import Crypto
import Evidence

extension Contract {
    /// BEAST step 5: the grant's MNO posts the sealed authorization for its holder; the ledger
    /// can check only the signature (it cannot read the terms).
    mutating func authorize(_ account: Account, grantID: String, sealed: SealedAuthorization) throws(LedgerError) -> [String] {
        try Self.require(account, [.mno])
        guard let g = grantIndex[grantID] else { throw .unknownGrant(grantID) }
        guard grants[g].mno == account.id else { throw .invalidField(field: "grant_id", problem: "\(grantID) is \(grants[g].mno)'s, not \(account.id)'s") }
        guard sealed.encapsulatedKey.count == 32 else { throw .invalidField(field: "encapsulated_key", problem: "must be 32 bytes (X25519)") }
        guard !sealed.ciphertext.isEmpty, sealed.ciphertext.count <= 16_384 else { throw .invalidField(field: "ciphertext", problem: "must be 1–16384 bytes") }
        try verify(sealed.signature, of: sealed.digest, by: account)
        authorizations[grantID, default: []].append(sealed)
        return ["authorization for \(grantID) posted by \(account.id), sealed to \(grants[g].holder)"]
    }

    /// Evidence from a registered sensor about a live grant opens a case against the grant's
    /// holder (power, frequency, time) or its MNO (degradation); evidence about a violation a
    /// case already covers (same grant and rule, overlapping time) corroborates that case.
    mutating func submitEvidence(_ account: Account, record bytes: [UInt8], signature: [UInt8], signatureChecked: Bool) throws(LedgerError) -> [String] {
        try Self.require(account, [.sensor])
        let record: EvidenceRecord
        do { record = try EvidenceRecord(canonical: bytes) } catch { throw .invalidEvidence(problem: error.description) }
        guard record.sensorID == account.id else { throw .invalidEvidence(problem: "record is from sensor \(record.sensorID), submitted by \(account.id)") }
        if !signatureChecked {
            do { try verify(signature, of: bytes, by: account) } catch { throw .invalidEvidence(problem: "the record's signature does not verify for \(account.id)'s key") }
        }
        let recordID = record.id
        guard evidence[recordID] == nil else { throw .duplicateEvidence(recordID: recordID) }
        guard let grant = right(record.grantID) else { throw .unknownGrant(record.grantID) }
        guard timeNs <= grant.endNs + parameters.evidenceGraceNs else { throw .expiredGrant(grant: grant.id, endedNs: grant.endNs) }
        let kinds = ["power", "frequency", "time", "degradation"]
        guard kinds.contains(record.kind) else { throw .invalidEvidence(problem: "kind \(record.kind) is not one of \(kinds.joined(separator: ", "))") }
        let suspect = record.kind == "degradation" ? grant.mno : grant.holder
        guard record.suspect == suspect else { throw .invalidEvidence(problem: "suspect \(record.suspect) is not \(suspect), who answers for \(record.kind) in \(grant.id)") }
        guard record.endNs >= record.startNs else { throw .invalidEvidence(problem: "ends before it starts") }
        let ruleKey = grant.id + "\u{0}" + record.rule
        if let c = casesByGrantRule.first(key: ruleKey, startNs: record.startNs, endNs: record.endNs,
                                          where: { cases[$0].startNs <= record.endNs && record.startNs <= cases[$0].endNs }) {
            cases[c].corroborations.append(recordID)
            addEvidence(recordID, case: cases[c].id)
            return ["evidence \(recordID.prefix(12)) by \(account.id) corroborates case \(cases[c].id.prefix(12)); no new case"]
        }
        let validators = validatorSet
        caseIndex[recordID] = cases.count
        casesByGrantRule.insert(cases.count, key: ruleKey, startNs: record.startNs, endNs: record.endNs)
        cases.append(ArbitrationCase(id: recordID, grantID: grant.id, kind: record.kind, rule: record.rule, suspect: suspect, reporter: account.id,
                                     startNs: record.startNs, endNs: record.endNs, openedHeight: height,
                                     deadlineHeight: height + parameters.arbitrationBlocks, validators: validators.map { ArbitrationCase.Member(id: $0.id, power: $0.power) },
                                     harmedParty: record.kind == "degradation" ? grant.holder : grant.mno))
        chains.openCases.append(cases.count - 1)
        caseChanged(cases.count - 1)
        freezeForCase(rightID: grant.id, until: height + parameters.arbitrationBlocks)
        addEvidence(recordID, case: recordID)
        return ["case \(recordID.prefix(12)) opened: \(record.kind) (\(record.rule)) in \(grant.id) against \(suspect), reported by \(account.id); "
                + "\(validators.count) validators vote until height \(height + parameters.arbitrationBlocks)"]
    }

    mutating func vote(_ account: Account, caseID: String, guilty: Bool) throws(LedgerError) -> [String] {
        guard let c = caseIndex[caseID] else { throw .unknownCase(caseID) }
        guard cases[c].verdict == .open, height <= cases[c].deadlineHeight else { throw .caseClosed(caseID) }
        guard let member = cases[c].validators.first(where: { $0.id == account.id }) else { throw .notValidator(account.id) }
        guard !cases[c].votes.contains(where: { $0.validator == account.id }) else { throw .doubleVote(caseID: caseID, validator: account.id) }
        cases[c].votes.append(.init(validator: account.id, guilty: guilty, power: member.power, height: height))
        caseChanged(c)
        return ["\(account.id) votes \(guilty ? "guilty" : "not guilty") on case \(caseID.prefix(12)) (power \(Milli(member.power)))"] + decide(case: c, final: false)
    }

    /// Guilty once votes for guilty carry more than half the case's validator power (compared by
    /// cross-multiplying); not guilty once that can no longer happen, or at the deadline.
    mutating func decide(case c: Int, final: Bool) -> [String] {
        let total = cases[c].totalPower
        if cases[c].guiltyPower * 2 > total { return convict(c) }
        if final || (total - cases[c].innocentPower) * 2 <= total { return acquit(c) }
        return []
    }

    private mutating func convict(_ c: Int) -> [String] {
        let suspect = cases[c].suspect, reporter = cases[c].reporter, harmed = cases[c].harmedParty
        let fromCollateral = takeCollateral(rightID: cases[c].grantID, suspect: suspect, amount: parameters.penaltyFee)
        let penalty = fromCollateral + min(parameters.penaltyFee - fromCollateral, max(0, accounts[suspect]!.deposit))
        let toReporter = penalty * parameters.reporterSharePermille / 1000, toHarmed = penalty - toReporter
        accounts[suspect]!.deposit -= penalty - fromCollateral
        accounts[reporter]!.balance += toReporter
        if accounts[harmed] != nil { accounts[harmed]!.balance += toHarmed } else { treasury += toHarmed }
        let period = right(cases[c].grantID)?.period ?? self.period
        if !accounts[suspect]!.violationPeriods.contains(period) {
            accounts[suspect]!.violationPeriods.append(period)
            accounts[suspect]!.violationPeriods.sort()
        }
        let before = accounts[suspect]!.trustMilli
        accounts[suspect]!.trustMilli = behaviourTrust(accounts[suspect]!)
        cases[c].verdict = .guilty
        cases[c].decidedHeight = height
        cases[c].penalty = penalty
        cases[c].paidToReporter = toReporter
        cases[c].paidToHarmed = toHarmed
        caseDecided(c)
        return ["case \(cases[c].id.prefix(12)): GUILTY; \(suspect) loses \(penalty) ("
                + (fromCollateral > 0 ? "\(fromCollateral) of it from lease collateral; " : "") + "\(toReporter) to \(reporter), \(toHarmed) to \(harmed)); trust \(Milli(before)) → \(Milli(accounts[suspect]!.trustMilli))"]
            + (tokens.isEmpty ? [] : sanctionHolder(suspect))
    }

    private mutating func acquit(_ c: Int) -> [String] {
        let reporter = cases[c].reporter
        let before = accounts[reporter]!.trustMilli
        accounts[reporter]!.trustMilli = max(0, before - parameters.falseReportTrustPenaltyMilli)
        cases[c].verdict = .notGuilty
        cases[c].decidedHeight = height
        caseDecided(c)
        return ["case \(cases[c].id.prefix(12)): NOT GUILTY; reporter \(reporter) trust \(Milli(before)) → \(Milli(accounts[reporter]!.trustMilli))"]
    }

    /// Two signed votes by one validator for different blocks at the same height, round and
    /// step: proof of equivocation. Its deposit and trust are slashed; the reporter gets its share.
    mutating func equivocation(_ account: Account, _ a: SignedVote, _ b: SignedVote) throws(LedgerError) -> [String] {
        let v = a.vote.validator
        guard b.vote.validator == v, a.vote.height == b.vote.height, a.vote.round == b.vote.round, a.vote.step == b.vote.step else {
            throw .invalidEvidence(problem: "the votes are not by one validator for one height, round and step")
        }
        guard a.vote.blockHash != b.vote.blockHash else { throw .invalidEvidence(problem: "the votes agree: no equivocation") }
        guard let validator = accounts[v], validator.role == .validator else { throw .invalidEvidence(problem: "\(v) is not a registered validator") }
        for signed in [a, b] {
            do { try verify(signed.signature, of: signed.vote.canonicalBytes, by: validator) } catch {
                throw .invalidEvidence(problem: "a vote's signature does not verify for \(v)'s key")
            }
        }
        let key = "\(v)/\(a.vote.height)/\(a.vote.round)/\(a.vote.step.rawValue)"
        guard !punishedEquivocations.contains(key) else { throw .invalidEvidence(problem: "equivocation \(key) is already punished") }
        punishedEquivocations.insert(key)
        let penalty = min(parameters.equivocationPenalty, max(0, validator.deposit))
        let toReporter = penalty * parameters.reporterSharePermille / 1000
        accounts[v]!.deposit -= penalty
        accounts[account.id]!.balance += toReporter
        treasury += penalty - toReporter
        let before = validator.trustMilli
        accounts[v]!.trustMilli = before * (1000 - parameters.equivocationTrustSlashPermille) / 1000
        return ["\(v) equivocated at height \(a.vote.height) round \(a.vote.round): loses \(penalty) (\(toReporter) to \(account.id)), "
                + "trust \(Milli(before)) → \(Milli(accounts[v]!.trustMilli))"]
    }
}
