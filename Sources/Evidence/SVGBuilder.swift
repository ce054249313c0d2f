import Foundation

/// Accumulates an SVG document; every text it is given is escaped for XML.
package struct SVGBuilder {
    private var body: [String] = []
    let width: Double, height: Double

    package init(width: Double, height: Double) {
        self.width = width
        self.height = height
        body.append(##"<rect x="0" y="0" width="\##(n(width))" height="\##(n(height))" fill="#ffffff"/>"##)
    }

    package mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width: Double = 1, dash: String? = nil) {
        let dashing = dash.map { #" stroke-dasharray="\#($0)""# } ?? ""
        body.append(#"<line x1="\#(n(x1))" y1="\#(n(y1))" x2="\#(n(x2))" y2="\#(n(y2))" stroke="\#(stroke)" stroke-width="\#(n(width))"\#(dashing)/>"#)
    }

    package mutating func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, fill: String, stroke: String, opacity: Double = 1) {
        body.append(#"<rect x="\#(n(x))" y="\#(n(y))" width="\#(n(w))" height="\#(n(h))" fill="\#(fill)" stroke="\#(stroke)" fill-opacity="\#(n(opacity))"/>"#)
    }

    package mutating func polyline(_ points: [(Double, Double)], stroke: String, width: Double) {
        let list = points.map { "\(n($0.0)),\(n($0.1))" }.joined(separator: " ")
        body.append(#"<polyline fill="none" stroke="\#(stroke)" stroke-width="\#(n(width))" stroke-linejoin="round" points="\#(list)"/>"#)
    }

    package mutating func text(_ x: Double, _ y: Double, _ content: String, size: Double, anchor: String = "start", weight: String = "normal",
                       fill: String = "#222222", rotate: Bool = false) {
        let turn = rotate ? #" transform="rotate(-90 \#(n(x)) \#(n(y)))""# : ""
        body.append(#"<text x="\#(n(x))" y="\#(n(y))" font-size="\#(n(size))" text-anchor="\#(anchor)" font-weight="\#(weight)" fill="\#(fill)"\#(turn)>\#(Self.escape(content))</text>"#)
    }

    /// A raster (the waterfall), stretched to the box without smoothing.
    package mutating func image(_ x: Double, _ y: Double, _ w: Double, _ h: Double, bmp: [UInt8]) {
        body.append(#"<image x="\#(n(x))" y="\#(n(y))" width="\#(n(w))" height="\#(n(h))" preserveAspectRatio="none" style="image-rendering:pixelated" xlink:href="data:image/bmp;base64,\#(Data(bmp).base64EncodedString())"/>"#)
    }

    package func finish() -> String {
        let head = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
            + #"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="\#(n(width))" height="\#(n(height))" viewBox="0 0 \#(n(width)) \#(n(height))" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">"#
        return head + "\n" + body.joined(separator: "\n") + "\n</svg>\n"
    }

    package static func escape(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            // XML 1.0 forbids most control characters even escaped.
            case _ where c.value < 0x20 && c != "\t" && c != "\n": out += "?"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// Coordinates to two decimals: enough for any screen, and the same bytes on every machine.
    private func n(_ v: Double) -> String { String(format: "%.2f", v.isFinite ? v : 0) }
}
