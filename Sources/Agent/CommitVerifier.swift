import Consensus
import Synchronization

/// Confirms what a node says about the agent's transactions: that the block it names at that
/// height was decided by that height's validators (a `LightClient` that starts from the
/// genesis validators and follows set changes by bisection), and that the block carries the
/// very bytes the agent signed. A node that lies, or serves a forged commit, cannot make the
/// agent drop evidence as delivered.
public final class CommitVerifier: Sendable {
    /// Why a transaction could not be confirmed.
    public enum Failure: Error, Sendable, Equatable {
        /// The ledger could not be asked: try again later.
        case unreachable(GatewayError)
        /// What the node served does not prove the commit.
        case unverified(String)
    }

    private let gateway: any LedgerGateway
    private let client: Mutex<LightClient>

    /// - Parameter genesis: the validators trusted at height 1 (from the genesis file the
    ///   ledger's nodes were started with).
    public init(gateway: any LedgerGateway, genesis: ValidatorSet) {
        self.gateway = gateway
        client = Mutex(LightClient(genesis: genesis))
    }

    /// Heights verified so far (for tests and the logs).
    public var trustedHeights: [Int64] { client.withLock { $0.trusted.keys.sorted() } }

    /// Checks that the transaction whose wire bytes are `wire` is in the block decided at `height`.
    public func confirm(_ wire: [UInt8], at height: Int64) async throws(Failure) {
        let commit = try await verifiedCommit(at: height, depth: 0)
        guard commit.block.transactions.contains(wire) else {
            throw .unverified("block \(height) does not carry the transaction the node says it does")
        }
    }

    /// The commit of `height`, verified; verifies heights between the nearest trusted one and
    /// `height` first when the validator set has moved too far to skip to it.
    private func verifiedCommit(at height: Int64, depth: Int) async throws(Failure) -> Commit {
        let commit: Commit, validators: ValidatorSet
        do {
            commit = try await gateway.commit(at: height)
            validators = try await gateway.validators(at: height)
        } catch { throw .unreachable(error) }
        guard commit.block.height == height else { throw .unverified("asked for block \(height), the node served block \(commit.block.height)") }
        let outcome = client.withLock { c in Result { () throws(CommitVerificationError) in try c.verify(commit, validators: validators) } }
        switch outcome {
        case .success:
            return commit
        case .failure(.unlinked(_, let trusted)) where depth < 64 && height - trusted > 1:
            _ = try await verifiedCommit(at: trusted + (height - trusted) / 2, depth: depth + 1)
            return try await verifiedCommit(at: height, depth: depth + 1)
        case .failure(let error):
            throw .unverified(error.description)
        }
    }
}
