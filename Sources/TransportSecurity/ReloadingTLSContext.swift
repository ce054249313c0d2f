import Foundation
import Logging
import NIOSSL
import Synchronization

/// A server's TLS context that follows its files: every `reload_s` seconds it checks them, and a
/// rotated certificate is loaded, checked and put in place for the next connection; open
/// connections keep the one they began with (rotation without downtime). A rotation that does
/// not load (a half-copied file, a key that does not match) keeps the current context and logs
/// why. Also warns while the certificate is within `warnDays` of its expiry.
public final class ReloadingTLSContext: Sendable {
    private struct Current {
        var material: TLSMaterial
        var context: NIOSSLContext
        var stamp: [String]
    }
    private let state: Mutex<Current>
    public let requireClientCertificate: Bool
    let logger: Logger
    let warnDays: Double

    public init(files: TLSFiles, requireClientCertificate: Bool, logger: Logger, warnDays: Double = 14) throws(TransportSecurityError) {
        self.requireClientCertificate = requireClientCertificate
        self.logger = logger
        self.warnDays = warnDays
        let stamp = files.stamp()
        let material = try TLSMaterial.load(files)
        state = Mutex(Current(material: material, context: try Self.context(material, requireClientCertificate), stamp: stamp))
    }

    /// The context for a new connection.
    public var context: NIOSSLContext { state.withLock { $0.context } }
    /// The material in use.
    public var material: TLSMaterial { state.withLock { $0.material } }

    /// What a reload check did.
    public enum ReloadOutcome: Sendable, Equatable {
        case unchanged
        case reloaded(serial: String)
        case kept(reason: String)
    }

    /// Loads the files again if they changed since the last load.
    @discardableResult
    public func reloadIfChanged(now: Date = Date()) -> ReloadOutcome {
        let files = material.files
        let stamp = files.stamp()
        guard stamp != state.withLock({ $0.stamp }) else { return .unchanged }
        do {
            let material = try TLSMaterial.load(files, now: now)
            let context = try Self.context(material, requireClientCertificate)
            state.withLock { $0 = Current(material: material, context: context, stamp: stamp) }
            logger.notice("TLS certificate reloaded", metadata: ["serial": "\(material.serial)", "not_after": "\(material.notValidAfter)"])
            return .reloaded(serial: material.serial)
        } catch {
            // Not marked as seen: the next check tries again (a copy may still be under way).
            logger.error("TLS certificate not reloaded; the current one stays in use", metadata: ["reason": "\(error)"])
            return .kept(reason: "\(error)")
        }
    }

    /// Seconds until the certificate in use expires (negative once it has).
    public func secondsToExpiry(now: Date = Date()) -> Double { material.notValidAfter.timeIntervalSince(now) }

    /// Checks the files every `reload_s` seconds until cancelled, and the expiry, warning daily
    /// (with `reload_s` 0 the files are not reloaded; the expiry is still checked every minute).
    public func run(onExpiry: @escaping @Sendable (Double) -> Void = { _ in }) async {
        let reloads = material.files.reloadSeconds > 0
        let interval = reloads ? material.files.reloadSeconds : 60
        var lastWarning = Date.distantPast
        while !Task.isCancelled {
            if reloads { reloadIfChanged() }
            let left = secondsToExpiry()
            onExpiry(left)
            if left < warnDays * 86_400, Date().timeIntervalSince(lastWarning) > 86_400 {
                logger.warning("TLS certificate expires soon: rotate it (trustband certs issue)",
                               metadata: ["days_left": "\(String(format: "%.1f", left / 86_400))", "path": "\(material.files.certificate)"])
                lastWarning = Date()
            }
            try? await Task.sleep(for: .seconds(interval))
        }
    }

    static func context(_ material: TLSMaterial, _ requireClient: Bool) throws(TransportSecurityError) -> NIOSSLContext {
        do { return try NIOSSLContext(configuration: material.serverConfiguration(requireClientCertificate: requireClient)) } catch {
            throw .malformed(path: material.files.certificate, problem: "TLS context: \(error)")
        }
    }
}
