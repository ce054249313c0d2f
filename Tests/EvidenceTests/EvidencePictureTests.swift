import Foundation
import Testing
import TestSupport
@testable import Enforcement
@testable import Evidence
@testable import Signal
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Collects element names and text of an SVG, failing on anything that is not well-formed XML.
private final class SVGOutline: NSObject, XMLParserDelegate {
    var elements: [String: Int] = [:]
    var texts: [String] = []
    private var current = ""

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String]) {
        elements[name, default: 0] += 1
        current = ""
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { current += string }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "text" { texts.append(current) }
    }

    static func parse(_ svg: String) throws -> SVGOutline {
        let outline = SVGOutline()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = outline
        guard parser.parse() else { throw NotWellFormed(problem: String(describing: parser.parserError)) }
        return outline
    }
}

private struct NotWellFormed: Error { let problem: String }

@Suite("Evidence picture")
struct EvidencePictureTests {
    @Test("Every bundle carries a well-formed SVG with the PSD curves, the grant's limit and mask, and the waterfall")
    func bundlePicture() throws {
        let (path, _, _) = try EvidenceTests.bundle(in: try Paths.scratch())
        let svg = try String(contentsOfFile: path + "/evidence.svg", encoding: .utf8)
        let outline = try SVGOutline.parse(svg)
        #expect(outline.elements["svg"] == 1 && outline.elements["image"] == 1)
        #expect(outline.elements["polyline"] == 3, "mean and max hold during the violation, mean outside it")
        #expect(outline.texts.contains { $0.contains("g-A limit -30.0") })
        #expect(outline.texts.contains { $0.contains("out-of-band mask -55.0") })
        #expect(outline.texts.contains { $0.hasPrefix("power violation (max_psd) of grant g-A by pbs-a") })
        #expect(outline.texts.contains { $0.contains("2026-11-24T06:00:00.") && $0.contains("dB over") })
    }

    @Test("Names with XML metacharacters are escaped, not able to break the document")
    func escaping() throws {
        let start = try Timestamp(rfc3339: "2026-11-24T06:00:00Z")
        let grant = Grant(id: "g<&>\"'", holder: "</svg>", mno: "m", frequencyLow: 1e6, frequencyHigh: 2e6, maxPsdDbmPerMhz: -30,
                          outOfBandMaxPsdDbmPerMhz: -50, windows: [Grant.Window(start: start, end: start)], maxOccupancySeconds: 1)
        let rows: [[Float]] = (0..<8).map { (r: Int) -> [Float] in
            (0..<64).map { (k: Int) -> Float in Float(1e-6) * Float(1 + (k * 7 + r) % 5) }
        }
        let picture = EvidencePicture(rows: rows, rowTimes: (0..<8).map { Double($0) * 0.01 }, firstBinHz: 0, binWidthHz: 50_000,
                                      offsetDB: 0, violationStart: 0.02, violationEnd: 0.05, duration: 0.08, grant: grant,
                                      title: "power violation of \(grant.id) by \(grant.holder)", subtitle: "a\u{1}b")
        let outline = try SVGOutline.parse(picture.svg())
        #expect(outline.texts.contains("power violation of g<&>\"' by </svg>"))
        #expect(outline.elements["svg"] == 1)
    }

    @Test("The waterfall BMP: header, top-down rows, and the colour map's ends")
    func waterfallImage() throws {
        let image = WaterfallImage(cells: [[0, 10, 5], [10, 0, 10]], low: 0, high: 10)
        let bmp = image.bmp()
        func u32(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bmp[at + $1]) << (8 * $1) } }
        let stride = 12  // 3 pixels × 3 bytes, already a multiple of 4
        #expect(Array(bmp[0..<2]) == Array("BM".utf8) && Int(u32(2)) == bmp.count && bmp.count == 54 + 2 * stride)
        #expect(u32(18) == 3 && Int32(bitPattern: u32(22)) == -2, "3 wide, 2 high, stored top-down")
        // First stored row is the first spectrum: dark, bright, middle (BGR order).
        #expect(Array(bmp[54..<57]) == [84, 1, 68] && Array(bmp[57..<60]) == [37, 231, 253])
        #expect(Array(bmp[(54 + stride)..<(57 + stride)]) == [37, 231, 253])
        #expect(WaterfallImage.colour(0.5) == (33, 145, 140))
    }

    @Test("Headless Chromium loads the bundle's SVG and draws the waterfall and the curves",
          .enabled(if: Browser.available, "chromium is not installed"))
    func rendersInChromium() throws {
        let (path, _, _) = try EvidenceTests.bundle(in: try Paths.scratch())
        let svg = try String(contentsOfFile: path + "/evidence.svg", encoding: .utf8)
        let region = (Int(EvidencePicture.plotLeft) + 2, Int(EvidencePicture.fallTop) + 2,
                      Int(EvidencePicture.plotRight - EvidencePicture.plotLeft) - 4, Int(EvidencePicture.fallBottom - EvidencePicture.fallTop) - 4)
        let rendering = try Browser.render(svg: svg, region: region, colour: (0x1f, 0x3b, 0x73))
        #expect(rendering.loaded && rendering.error == nil, "\(rendering)")
        #expect(rendering.width == 900 && rendering.height == 760)
        let saturated = Double(rendering.saturatedInRegion ?? 0) / Double(rendering.regionPixels ?? 1)
        #expect(saturated > 0.95, "the waterfall fills its box with the colour map: \(saturated)")
        #expect((rendering.matchingColour ?? 0) > 300, "the mean PSD curve is drawn: \(rendering)")

        // And the judge can fail: a truncated document does not load.
        let broken = try Browser.render(svg: String(svg.prefix(svg.count / 2)), region: region, colour: (0, 0, 0))
        #expect(!broken.loaded)
    }
}
