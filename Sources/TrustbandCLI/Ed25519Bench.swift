import ArgumentParser
import Crypto
import Foundation
import Ledger

/// `trustband bench ed25519`: the ledger's signature check (libsodium) beside swift-crypto's
/// (BoringSSL) and `openssl speed ed25519`, on the same machine in one run.
struct Ed25519Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ed25519", abstract: "Ed25519 verification: libsodium (the ledger's) beside swift-crypto and openssl speed.")

    @Option(help: "Verifications per run.")
    var count = 20_000

    @OptionGroup var options: BenchOptions

    func run() throws {
        #if DEBUG
        print("warning: debug build; run `swift run -c release trustband bench ed25519` for real figures\n")
        #endif
        let key = Curve25519.Signing.PrivateKey()
        let message = Array((0..<400).map { UInt8(truncatingIfNeeded: $0 &* 31) })  // about an evidence transaction's size
        let signature = Array(try key.signature(for: message))
        let raw = Array(key.publicKey.rawRepresentation), publicKey = key.publicKey
        var wrong = signature
        wrong[10] ^= 1
        guard Ed25519Verification.isValid(signature, of: message, publicKey: raw), publicKey.isValidSignature(signature, for: message),
              !Ed25519Verification.isValid(wrong, of: message, publicKey: raw), !publicKey.isValidSignature(wrong, for: message) else {
            throw UserFacingError(message: "the two implementations disagree on a signature")
        }
        func best(_ body: () -> Bool) -> Double {
            var times: [Double] = []
            for _ in 0..<options.repeats {
                let start = DispatchTime.now().uptimeNanoseconds
                var ok = 0
                for _ in 0..<count where body() { ok += 1 }
                precondition(ok == count)
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e3 / Double(count))
            }
            return times.min()!
        }
        let sodium = best { Ed25519Verification.isValid(signature, of: message, publicKey: raw) }
        let boring = best { publicKey.isValidSignature(signature, for: message) }
        print("Ed25519 verify, \(message.count)-byte message, \(count) per run, best of \(options.repeats), one thread")
        print(String(format: "  libsodium (ledger):         %6.1f µs", sodium))
        print(String(format: "  swift-crypto (BoringSSL):   %6.1f µs   libsodium is %.2f× faster", boring, boring / sodium))
        if let openssl = ContractBench.opensslVerifyMicroseconds() {
            print(String(format: "  openssl speed ed25519:      %6.1f µs   libsodium is %.2f× faster", openssl, openssl / sodium))
        }
    }
}
