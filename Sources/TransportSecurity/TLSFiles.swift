import Foundation

/// Where one end's TLS material lives (`tls` in a node's or an agent's configuration; PEM files,
/// paths relative to the configuration file):
///
/// ```json
/// "tls": {"certificate": "tls/v1.crt", "key": "tls/v1.key", "ca": "tls/ca.crt"}
/// ```
///
/// `certificate` may hold the chain (leaf first). `ca` is the consortium CA: peers and clients
/// are trusted only if their certificates chain to it.
public struct TLSFiles: Sendable, Codable, Equatable {
    public var certificate: String
    public var key: String
    public var ca: String
    /// Seconds between checks of the files for a rotated certificate (0: never reload).
    public var reloadSeconds: Int

    public init(certificate: String, key: String, ca: String, reloadSeconds: Int = 10) {
        self.certificate = certificate
        self.key = key
        self.ca = ca
        self.reloadSeconds = reloadSeconds
    }

    enum CodingKeys: String, CodingKey { case certificate, key, ca, reloadSeconds = "reload_s" }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        certificate = try c.decode(String.self, forKey: .certificate)
        key = try c.decode(String.self, forKey: .key)
        ca = try c.decode(String.self, forKey: .ca)
        reloadSeconds = try c.decodeIfPresent(Int.self, forKey: .reloadSeconds) ?? 10
    }

    /// The same files with relative paths taken from `directory`.
    public func resolved(against directory: URL) -> TLSFiles {
        func resolve(_ p: String) -> String { p.hasPrefix("/") ? p : directory.appendingPathComponent(p).path }
        return TLSFiles(certificate: resolve(certificate), key: resolve(key), ca: resolve(ca), reloadSeconds: reloadSeconds)
    }

    /// The files' modification times and sizes, to notice a rotation.
    func stamp() -> [String] {
        [certificate, key, ca].map { path in
            let attributes = try? FileManager.default.attributesOfItem(atPath: path)
            let date = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            return "\(path)@\(date)/\(attributes?[.size] as? Int ?? -1)"
        }
    }
}
