import Crypto
import Evidence
import Foundation

/// An MNO's authorization for a grant (BEAST step 5), sealed with HPKE (X25519, HKDF-SHA256,
/// ChaCha20-Poly1305) to the holder's X25519 key and signed by the MNO: the ledger checks the
/// signature over SHA-256 of the sealed bytes; only the holder can read the terms.
public struct SealedAuthorization: Sendable, Equatable, Codable {
    public var encapsulatedKey: [UInt8]
    public var ciphertext: [UInt8]
    /// Ed25519 by the MNO over SHA-256(encapsulatedKey ‖ ciphertext).
    public var signature: [UInt8]

    public init(encapsulatedKey: [UInt8], ciphertext: [UInt8], signature: [UInt8]) {
        self.encapsulatedKey = encapsulatedKey
        self.ciphertext = ciphertext
        self.signature = signature
    }

    static let suite = HPKE.Ciphersuite.Curve25519_SHA256_ChachaPoly

    static func info(grantID: String) -> Data { Data("trustband authorization v1 \(grantID)".utf8) }

    /// What the MNO signs.
    public var digest: [UInt8] { Array(SHA256.hash(data: encapsulatedKey + ciphertext)) }

    /// Seals `message` for the holder and signs it.
    public static func seal(_ message: AuthorizationMessage, to holder: Curve25519.KeyAgreement.PublicKey,
                            signedBy mno: Curve25519.Signing.PrivateKey) throws -> SealedAuthorization {
        var sender = try HPKE.Sender(recipientKey: holder, ciphersuite: suite, info: info(grantID: message.grantID))
        let ciphertext = try sender.seal(Data(message.canonicalBytes))
        var sealed = SealedAuthorization(encapsulatedKey: Array(sender.encapsulatedKey), ciphertext: Array(ciphertext), signature: [])
        sealed.signature = Array(try mno.signature(for: Data(sealed.digest)))
        return sealed
    }

    /// Whether the MNO's key signed these sealed bytes (what the ledger can check).
    public func isSigned(by mno: Curve25519.Signing.PublicKey) -> Bool {
        mno.isValidSignature(signature, for: Data(digest))
    }

    /// Opens the authorization with the holder's private key and checks the MNO's signature.
    public func open(grantID: String, with holder: Curve25519.KeyAgreement.PrivateKey,
                     mno: Curve25519.Signing.PublicKey) throws -> AuthorizationMessage {
        guard isSigned(by: mno) else { throw LedgerError.badSignature }
        var recipient = try HPKE.Recipient(privateKey: holder, ciphersuite: Self.suite, info: Self.info(grantID: grantID),
                                           encapsulatedKey: Data(encapsulatedKey))
        let plain = try recipient.open(Data(ciphertext))
        let message = try AuthorizationMessage(canonical: Array(plain))
        guard message.grantID == grantID else { throw LedgerError.invalidField(field: "grant_id", problem: "sealed for \(message.grantID)") }
        return message
    }
}

/// The terms an authorization carries: the grant as the holder may use it.
public struct AuthorizationMessage: Sendable, Equatable, Codable {
    public var grantID: String
    public var holder: String
    public var mno: String
    public var frequencyLowHz: Int64, frequencyHighHz: Int64
    public var startNs: Int64, endNs: Int64
    public var maxPsdMilliDbmPerMHz: Int64
    /// Free text from the MNO (site, contact, conditions).
    public var note: String

    public init(grant: LedgerGrant, note: String = "") {
        grantID = grant.id
        holder = grant.holder
        mno = grant.mno
        frequencyLowHz = grant.frequencyLowHz
        frequencyHighHz = grant.frequencyHighHz
        startNs = grant.startNs
        endNs = grant.endNs
        maxPsdMilliDbmPerMHz = grant.rules.maxPsdMilliDbmPerMHz
        self.note = note
    }

    public var canonicalBytes: [UInt8] {
        var w = CanonicalWriter()
        for b in "TBMA".utf8 { w.u8(b) }
        w.u16(1)
        for s in [grantID, holder, mno] { w.string(s) }
        for v in [frequencyLowHz, frequencyHighHz, startNs, endNs, maxPsdMilliDbmPerMHz] { w.i64(v) }
        w.string(note)
        return w.bytes
    }

    public init(canonical bytes: [UInt8]) throws {
        var r = CanonicalReader(bytes)
        for b in "TBMA".utf8 where try r.u8("magic") != b { throw LedgerError.malformed(problem: "not an authorization message") }
        guard try r.u16("version") == 1 else { throw LedgerError.malformed(problem: "authorization version") }
        grantID = try r.string("grant_id")
        holder = try r.string("holder")
        mno = try r.string("mno")
        frequencyLowHz = try r.i64("freq_low_hz")
        frequencyHighHz = try r.i64("freq_high_hz")
        startNs = try r.i64("start_ns")
        endNs = try r.i64("end_ns")
        maxPsdMilliDbmPerMHz = try r.i64("max_psd")
        note = try r.string("note")
        try r.finish()
    }
}
