import Foundation

/// A waterfall as a 24-bit BMP: rows are spectra (oldest at the top), columns bins, colour the
/// level on a perceptually ordered dark-to-bright map. BMP because it needs no compressor and
/// every browser and SVG renderer reads it.
struct WaterfallImage {
    /// Levels, dB, `cells[row][column]`.
    let cells: [[Double]]
    /// Levels mapped to the darkest and brightest colour.
    let low: Double, high: Double

    /// Viridis at five stops (matplotlib's default map), interpolated linearly between them.
    static let stops: [(Double, Double, Double)] = [
        (68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37),
    ]

    static func colour(_ t: Double) -> (UInt8, UInt8, UInt8) {
        let u = min(max(t.isFinite ? t : 0, 0), 1) * Double(stops.count - 1)
        let i = min(Int(u), stops.count - 2), f = u - Double(i)
        let a = stops[i], b = stops[i + 1]
        func mix(_ p: Double, _ q: Double) -> UInt8 { UInt8((p + (q - p) * f).rounded()) }
        return (mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
    }

    func bmp() -> [UInt8] {
        let height = cells.count, width = cells.first?.count ?? 0
        let stride = (width * 3 + 3) & ~3, pixels = stride * height
        var out: [UInt8] = []
        out.reserveCapacity(54 + pixels)
        func u16(_ v: Int) { out += [UInt8(v & 0xff), UInt8((v >> 8) & 0xff)] }
        func u32(_ v: Int) { for s in [0, 8, 16, 24] { out.append(UInt8((v >> s) & 0xff)) } }
        out += Array("BM".utf8); u32(54 + pixels); u32(0); u32(54)
        // BITMAPINFOHEADER: negative height = rows stored top-down.
        u32(40); u32(width); u32(-height & 0xffff_ffff); u16(1); u16(24); u32(0); u32(pixels); u32(2835); u32(2835); u32(0); u32(0)
        for row in cells {
            for v in row {
                let (r, g, b) = Self.colour((v - low) / (high - low))
                out += [b, g, r]
            }
            out += [UInt8](repeating: 0, count: stride - width * 3)
        }
        return out
    }
}
