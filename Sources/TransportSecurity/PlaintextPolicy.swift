import Foundation

/// Where plain HTTP is still allowed without asking: loopback (development on one machine).
public enum PlaintextPolicy {
    /// Whether `host` is a loopback name or address (127.0.0.0/8, ::1, localhost; brackets allowed).
    public static func isLoopback(_ host: String) -> Bool {
        let h = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        return h == "localhost" || h == "::1" || h.hasPrefix("127.")
    }
}
