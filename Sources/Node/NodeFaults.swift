import Consensus
import Crypto
import Foundation
import Ledger
import Logging
import Synchronization

/// Faults a node commits on purpose, for the fault campaign (`scripts/faults.sh`, docs/security.md):
/// a Byzantine validator and a validator whose clock jumps. Set only through the environment of
/// `trustband node`; never in a deployment.
public struct NodeFaults: Sendable {
    /// `TRUSTBAND_FAULT_EQUIVOCATE=1`: beside each prevote for a block, sign a conflicting nil
    /// prevote for the same height and round and send it to half the peers.
    public var equivocate = false
    /// `TRUSTBAND_FAULT_CLOCK_FILE=PATH`: the node's wall clock is off by the seconds written
    /// in that file (read again at most every 200 ms; absent or unreadable: 0).
    public var clockFile: String?
    /// `TRUSTBAND_FAULT_LINK_DUPLICATE=P`: each message this node sends on a peer link is sent
    /// twice with probability P.
    public var duplicate = 0.0
    /// `TRUSTBAND_FAULT_LINK_REORDER=P`: with probability P a message is held back and sent after the next one.
    public var reorder = 0.0

    public init(equivocate: Bool = false, clockFile: String? = nil, duplicate: Double = 0, reorder: Double = 0) {
        self.equivocate = equivocate
        self.clockFile = clockFile
        self.duplicate = duplicate
        self.reorder = reorder
    }

    public static func from(environment: [String: String]) -> NodeFaults {
        func probability(_ key: String) -> Double { min(1, max(0, environment[key].flatMap(Double.init) ?? 0)) }
        return NodeFaults(equivocate: environment["TRUSTBAND_FAULT_EQUIVOCATE"] == "1", clockFile: environment["TRUSTBAND_FAULT_CLOCK_FILE"],
                          duplicate: probability("TRUSTBAND_FAULT_LINK_DUPLICATE"), reorder: probability("TRUSTBAND_FAULT_LINK_REORDER"))
    }

    /// Whether any fault is on (the node says so in its log).
    public var any: Bool { equivocate || clockFile != nil || duplicate > 0 || reorder > 0 }

    /// The node's wall clock, ns since the epoch, with the clock file's offset if there is one.
    public func clock() -> @Sendable () -> Int64 {
        let system: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1e9) }
        guard let path = clockFile else { return system }
        let cache = Mutex<(offsetNs: Int64, readAt: UInt64)>((0, 0))
        return {
            let now = DispatchTime.now().uptimeNanoseconds
            let offset = cache.withLock { c -> Int64 in
                if c.readAt == 0 || now - c.readAt > 200_000_000 {
                    let text = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
                    c = (Int64((Double(text ?? "") ?? 0) * 1e9), now)
                }
                return c.offsetNs
            }
            return system() + offset
        }
    }
}

extension LedgerNode {
    /// The Byzantine fault: a conflicting nil prevote, signed with the raw key (past the
    /// signer's double-sign guard), to half the peers.
    func equivocate(_ message: ConsensusMessage) {
        guard case .vote(let signed) = message, signed.vote.step == .prevote, !signed.vote.blockHash.isEmpty else { return }
        var conflicting = signed.vote
        conflicting.blockHash = []
        guard let signature = try? Array(signer.key.signature(for: conflicting.canonicalBytes)) else { return }
        let bytes = ConsensusMessage.vote(SignedVote(vote: conflicting, signature: signature)).wireBytes
        let peers = transport.peers.map(\.id)
        for peer in peers.suffix(max(1, peers.count / 2)) { transport.send(.messages, bytes, to: peer) }
        logger.warning("fault injection: equivocated", metadata: ["height": "\(signed.vote.height)", "round": "\(signed.vote.round)"])
    }
}
