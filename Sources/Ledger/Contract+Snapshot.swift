import HashTreeCollections
import Crypto
import Foundation

extension Contract {
    /// The state as a snapshot (JSON of every field; not canonical, never signed or hashed:
    /// `restore` checks it against the state hash recorded beside it).
    public func snapshot() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(self))
    }

    /// A state from `snapshot()`, checked against `stateHash`; throws when they differ.
    public static func restore(snapshot bytes: [UInt8], stateHash expected: String) throws(LedgerError) -> Contract {
        var contract: Contract
        do {
            contract = try JSONDecoder().decode(Contract.self, from: Data(bytes))
        } catch {
            throw .malformed(problem: "snapshot does not decode: \(error)")
        }
        for (i, c) in contract.cases.enumerated() {
            contract.casesByGrantRule.insert(i, key: c.grantID + "\u{0}" + c.rule, startNs: c.startNs, endNs: c.endNs)
        }
        contract.rebuildValidatorIDs()
        try contract.rebuildChains()
        guard contract.stateHash == expected else {
            throw .malformed(problem: "snapshot state hash \(contract.stateHash) is not the recorded \(expected)")
        }
        return contract
    }
}
