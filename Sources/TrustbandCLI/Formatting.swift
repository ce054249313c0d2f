import Foundation
import Signal

/// Human-readable numbers for terminal output.
enum Formatting {
    static func frequency(_ hz: Double) -> String {
        let magnitude = abs(hz)
        if magnitude >= 1e9 { return String(format: "%.6f GHz", hz / 1e9) }
        if magnitude >= 1e6 { return String(format: "%.6f MHz", hz / 1e6) }
        if magnitude >= 1e3 { return String(format: "%.3f kHz", hz / 1e3) }
        return String(format: "%.1f Hz", hz)
    }

    static func rate(_ sps: Double) -> String {
        if sps >= 1e6 { return String(format: "%g MS/s", sps / 1e6) }
        if sps >= 1e3 { return String(format: "%g kS/s", sps / 1e3) }
        return String(format: "%g S/s", sps)
    }

    static func seconds(_ s: Double) -> String { String(format: "%.6f s", s) }

    static func decibels(_ linear: Double) -> String {
        linear > 0 ? String(format: "%6.1f", 10 * log10(linear)) : "  -inf"
    }
}
