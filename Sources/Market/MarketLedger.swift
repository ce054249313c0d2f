import Crypto
import Foundation
import HashTreeCollections
import Ledger

/// The contract as the simulated market uses it: blocks opened and closed at given times, each
/// transaction signed by its sender's (dev) key with its next nonce and applied at once, every
/// result kept. A proposer may censor senders: their transactions wait for the next block.
struct MarketLedger {
    private(set) var contract: Contract
    private(set) var height: Int64 = 0
    private(set) var timeNs: Int64
    private var keys: [String: Curve25519.Signing.PrivateKey] = [:]
    /// Senders the current block's proposer leaves out, and what they wait to send.
    private var censored: Set<String> = []
    private var waiting: [(String, Transaction.Body)] = []
    /// Escrow sampled at each block's end.
    private(set) var escrowSamples: [Int64] = []
    private(set) var rejected: [String: Int] = [:]
    private(set) var blockEvents: [String] = []

    init(genesis: Genesis) throws(LedgerError) {
        contract = try Contract(genesis: genesis)
        timeNs = genesis.timeNs
    }

    mutating func key(_ id: String) -> Curve25519.Signing.PrivateKey {
        if let k = keys[id] { return k }
        let k = DevKeys.signing(id)
        keys[id] = k
        return k
    }

    /// Opens the next block at `time`; `censoring` are the senders its proposer leaves out.
    mutating func open(at time: Int64, proposer: String, censoring: Set<String> = []) {
        height += 1
        timeNs = time
        censored = censoring
        blockEvents += contract.beginBlock(BlockContext(height: height, timeNs: time, proposer: proposer))
        let queued = waiting
        waiting = []
        for (signer, body) in queued { send(signer, body) }
    }

    mutating func close(proposer: String) {
        blockEvents += contract.endBlock(BlockContext(height: height, timeNs: timeNs, proposer: proposer))
        escrowSamples.append(contract.supply.escrow)
    }

    /// Signs and applies; a censored sender's transaction waits for the next block (nil).
    @discardableResult
    mutating func send(_ signer: String, _ body: Transaction.Body) -> Result<Receipt, LedgerError>? {
        if censored.contains(signer) {
            waiting.append((signer, body))
            return nil
        }
        return submit(signer, body, signedBy: signer)
    }

    /// Applies a transaction in `signer`'s name signed with `keyOwner`'s key (a forgery when
    /// they differ), bypassing censorship.
    @discardableResult
    mutating func submit(_ signer: String, _ body: Transaction.Body, signedBy keyOwner: String) -> Result<Receipt, LedgerError> {
        let nonce = (contract.accounts[signer]?.nonce ?? 0) + 1
        let signed: SignedTransaction
        do { signed = try Transaction(signer: signer, nonce: nonce, body: body).signed(by: key(keyOwner)) } catch {
            return .failure(.malformed(problem: "signing: \(error)"))
        }
        let result = contract.apply(signed)
        if case .failure(let error) = result { rejected[error.code, default: 0] += 1 }
        return result
    }
}
