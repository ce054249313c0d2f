import CSodium

/// Ed25519 signature checks on the ledger's hot path (every transaction, on every node),
/// by libsodium: 1.6× faster than BoringSSL's (swift-crypto) on this project's machines
/// (`trustband bench ed25519`). Keys are signed with swift-crypto everywhere; libsodium's
/// check is the stricter of the two (it also refuses small-order keys and `R`, and a
/// non-canonical `S`), so what it accepts BoringSSL accepts too, and every node runs the same.
public enum Ed25519Verification {
    /// libsodium is initialised once, before the first check (thread-safe).
    private static let ready: Bool = sodium_init() >= 0

    /// Whether `signature` (64 bytes) is `publicKey`'s (32 bytes, raw) over `message`.
    public static func isValid(_ signature: [UInt8], of message: [UInt8], publicKey: [UInt8]) -> Bool {
        guard ready, signature.count == 64, publicKey.count == 32 else { return false }
        return signature.withUnsafeBufferPointer { s in
            message.withUnsafeBufferPointer { m in
                publicKey.withUnsafeBufferPointer { k in
                    crypto_sign_verify_detached(s.baseAddress!, m.baseAddress ?? UnsafePointer(s.baseAddress!), UInt64(m.count), k.baseAddress!) == 0
                }
            }
        }
    }
}
