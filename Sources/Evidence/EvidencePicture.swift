import Enforcement
import Foundation

/// The picture in an evidence bundle, for a person: the PSD during the violation with the
/// grant's limit, out-of-band mask and promised service drawn on it, and a waterfall of the
/// whole excerpt with the violation's span marked. Pure: spectra in, SVG text out.
public struct EvidencePicture: Sendable {
    /// Mean power per bin (linear, full-scale² per bin) of successive spectra, oldest first.
    public var rows: [[Float]]
    /// Start of each row, seconds from the start of the excerpt.
    public var rowTimes: [Double]
    /// Absolute frequency of bin 0 and the bin width, Hz.
    public var firstBinHz: Double, binWidthHz: Double
    /// dBm − dBFS.
    public var offsetDB: Double
    /// The violation's span, seconds from the start of the excerpt, and the excerpt's length.
    public var violationStart: Double, violationEnd: Double, duration: Double
    public var grant: Grant
    /// Two lines of heading: what was violated, and when and by how much.
    public var title: String, subtitle: String

    public init(rows: [[Float]], rowTimes: [Double], firstBinHz: Double, binWidthHz: Double, offsetDB: Double,
                violationStart: Double, violationEnd: Double, duration: Double, grant: Grant, title: String, subtitle: String) {
        self.rows = rows
        self.rowTimes = rowTimes
        self.firstBinHz = firstBinHz
        self.binWidthHz = binWidthHz
        self.offsetDB = offsetDB
        self.violationStart = violationStart
        self.violationEnd = violationEnd
        self.duration = duration
        self.grant = grant
        self.title = title
        self.subtitle = subtitle
    }

    /// Most waterfall columns drawn; wider spectra are reduced by taking each group's maximum,
    /// so a narrow emission never disappears.
    public static let maximumColumns = 512

    static let width = 900.0, plotLeft = 80.0, plotRight = 870.0
    static let psdTop = 78.0, psdBottom = 340.0, fallTop = 400.0, fallBottom = 700.0, height = 760.0

    /// PSD of one bin, dBm/MHz.
    func density(_ power: Float) -> Double { 10 * log10(max(Double(power), 1e-30) / (binWidthHz / 1e6)) + offsetDB }

    /// The SVG document.
    public func svg() -> String {
        let bins = rows.first?.count ?? 0
        guard bins > 1, rows.count == rowTimes.count else { return emptyPicture() }
        let during = rows.indices.filter { rowTimes[$0] >= violationStart - 1e-9 && rowTimes[$0] < violationEnd }
        let inside = during.isEmpty ? Array(rows.indices) : during
        let outside = rows.indices.filter { !during.contains($0) }
        func meanCurve(_ indices: [Int]) -> [Double] {
            (0..<bins).map { k in density(Float(indices.reduce(0.0) { $0 + Double(rows[$1][k]) } / Double(indices.count))) }
        }
        let mean = meanCurve(inside)
        let peak = (0..<bins).map { k in density(inside.map { rows[$0][k] }.max()!) }
        let before = outside.isEmpty ? nil : meanCurve(outside)

        // Vertical range: the quietest bins to the strongest of curves and limits, on 10 dB steps.
        let limits = [grant.maxPsdDbmPerMhz, grant.outOfBandMaxPsdDbmPerMhz] + (grant.nominal.map { [$0.psdDbmPerMhz] } ?? [])
        let low = ((mean + (before ?? [])).min()! - 5) / 10
        let high = ((peak + limits).max()! + 5) / 10
        let yRange = (floor(low) * 10, ceil(high) * 10)

        var out = SVGBuilder(width: Self.width, height: Self.height)
        out.text(Self.plotLeft, 22, title, size: 15, weight: "bold")
        out.text(Self.plotLeft, 42, subtitle, size: 12)
        drawPSDAxes(&out, bins: bins, yRange: yRange)
        drawGrant(&out, bins: bins, yRange: yRange)
        if let before { out.polyline(points(before, bins: bins, yRange: yRange), stroke: "#999999", width: 1) }
        out.polyline(points(peak, bins: bins, yRange: yRange), stroke: "#d62728", width: 1)
        out.polyline(points(mean, bins: bins, yRange: yRange), stroke: "#1f3b73", width: 1.5)
        drawLegend(&out, hasBefore: before != nil)
        drawWaterfall(&out, bins: bins)
        return out.finish()
    }

    private func x(ofBin k: Double, bins: Int) -> Double {
        Self.plotLeft + (Self.plotRight - Self.plotLeft) * (k + 0.5) / Double(bins)
    }

    private func x(ofHz f: Double, bins: Int) -> Double { x(ofBin: (f - firstBinHz) / binWidthHz, bins: bins) }

    private func y(ofDB v: Double, yRange: (Double, Double)) -> Double {
        let t = (min(max(v, yRange.0), yRange.1) - yRange.0) / (yRange.1 - yRange.0)
        return Self.psdBottom - t * (Self.psdBottom - Self.psdTop)
    }

    private func points(_ curve: [Double], bins: Int, yRange: (Double, Double)) -> [(Double, Double)] {
        curve.enumerated().map { (x(ofBin: Double($0.offset), bins: bins), y(ofDB: $0.element, yRange: yRange)) }
    }

    private func drawPSDAxes(_ out: inout SVGBuilder, bins: Int, yRange: (Double, Double)) {
        out.rect(Self.plotLeft, Self.psdTop, Self.plotRight - Self.plotLeft, Self.psdBottom - Self.psdTop, fill: "none", stroke: "#333333")
        let step = (yRange.1 - yRange.0) > 80 ? 20.0 : 10.0
        for v in stride(from: yRange.0, through: yRange.1, by: step) {
            let yy = y(ofDB: v, yRange: yRange)
            out.line(Self.plotLeft, yy, Self.plotRight, yy, stroke: "#e4e4e4")
            out.text(Self.plotLeft - 6, yy + 4, String(format: "%.0f", v), size: 11, anchor: "end")
        }
        out.text(18, (Self.psdTop + Self.psdBottom) / 2, "PSD, dBm/MHz", size: 12, anchor: "middle", rotate: true)
        for (f, label) in frequencyTicks(bins: bins) {
            let xx = x(ofHz: f, bins: bins)
            out.line(xx, Self.psdBottom, xx, Self.psdBottom + 5, stroke: "#333333")
            out.text(xx, Self.psdBottom + 18, label, size: 11, anchor: "middle")
            out.line(xx, Self.fallBottom, xx, Self.fallBottom + 5, stroke: "#333333")
            out.text(xx, Self.fallBottom + 18, label, size: 11, anchor: "middle")
        }
        out.text((Self.plotLeft + Self.plotRight) / 2, Self.fallBottom + 40, "frequency, MHz", size: 12, anchor: "middle")
    }

    /// Round-number frequency ticks across the span, labelled in MHz.
    private func frequencyTicks(bins: Int) -> [(Double, String)] {
        let span = binWidthHz * Double(bins), first = firstBinHz, last = firstBinHz + span
        let raw = span / 6, magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        let decimals = max(0, min(6, Int(ceil(-log10(step / 1e6)))))
        return stride(from: ceil(first / step) * step, through: last, by: step).map { ($0, String(format: "%.\(decimals)f", $0 / 1e6)) }
    }

    /// The granted band shaded, its PSD limit across it, the mask either side, and the
    /// promised service when there is one.
    private func drawGrant(_ out: inout SVGBuilder, bins: Int, yRange: (Double, Double)) {
        let left = max(Self.plotLeft, x(ofHz: grant.frequencyLow, bins: bins)), right = min(Self.plotRight, x(ofHz: grant.frequencyHigh, bins: bins))
        out.rect(left, Self.psdTop, max(0, right - left), Self.psdBottom - Self.psdTop, fill: "#2ca02c", stroke: "none", opacity: 0.08)
        let limitY = y(ofDB: grant.maxPsdDbmPerMhz, yRange: yRange)
        out.line(left, limitY, right, limitY, stroke: "#2ca02c", width: 2)
        out.text(left + 4, limitY - 5, String(format: "%@ limit %.1f", grant.id, grant.maxPsdDbmPerMhz), size: 11, fill: "#2ca02c")
        let maskY = y(ofDB: grant.outOfBandMaxPsdDbmPerMhz, yRange: yRange)
        out.line(Self.plotLeft, maskY, left, maskY, stroke: "#ff7f0e", width: 2, dash: "6 3")
        out.line(right, maskY, Self.plotRight, maskY, stroke: "#ff7f0e", width: 2, dash: "6 3")
        out.text(Self.plotRight - 4, maskY - 5, String(format: "out-of-band mask %.1f", grant.outOfBandMaxPsdDbmPerMhz),
                 size: 11, anchor: "end", fill: "#ff7f0e")
        if let nominal = grant.nominal {
            let promised = y(ofDB: nominal.psdDbmPerMhz - nominal.toleranceDb, yRange: yRange)
            out.line(left, promised, right, promised, stroke: "#9467bd", width: 1.5, dash: "2 2")
            out.text(left + 4, promised + 13, String(format: "promised ≥ %.1f", nominal.psdDbmPerMhz - nominal.toleranceDb),
                     size: 11, fill: "#9467bd")
        }
    }

    private func drawLegend(_ out: inout SVGBuilder, hasBefore: Bool) {
        var entries = [("#1f3b73", "mean during violation"), ("#d62728", "max hold during violation")]
        if hasBefore { entries.append(("#999999", "mean outside violation")) }
        for (i, (colour, label)) in entries.enumerated() {
            let xx = Self.plotLeft + 10 + Double(i) * 220
            out.line(xx, Self.psdTop - 12, xx + 24, Self.psdTop - 12, stroke: colour, width: 2)
            out.text(xx + 30, Self.psdTop - 8, label, size: 11)
        }
    }

    private func drawWaterfall(_ out: inout SVGBuilder, bins: Int) {
        let group = (bins + Self.maximumColumns - 1) / Self.maximumColumns, columns = (bins + group - 1) / group
        let cells = rows.map { row in
            (0..<columns).map { c in density(row[(c * group)..<min(bins, (c + 1) * group)].max()!) }
        }
        let sorted = cells.flatMap { $0 }.sorted()
        let low = sorted[sorted.count / 20], high = max(sorted.last!, low + 1)
        let image = WaterfallImage(cells: cells, low: low, high: high)
        let height = Self.fallBottom - Self.fallTop, plotWidth = Self.plotRight - Self.plotLeft
        out.image(Self.plotLeft, Self.fallTop, plotWidth, height, bmp: image.bmp())
        out.rect(Self.plotLeft, Self.fallTop, plotWidth, height, fill: "none", stroke: "#333333")
        func yOfTime(_ t: Double) -> Double { Self.fallTop + height * min(max(t / max(duration, 1e-12), 0), 1) }
        for t in [violationStart, violationEnd] {
            out.line(Self.plotLeft - 8, yOfTime(t), Self.plotRight, yOfTime(t), stroke: "#ffffff", width: 1.5, dash: "5 3")
        }
        for t in [0, violationStart, violationEnd, duration] {
            out.text(Self.plotLeft - 10, yOfTime(t) + 4, String(format: "%.0f", t * 1000), size: 10, anchor: "end")
        }
        out.text(18, (Self.fallTop + Self.fallBottom) / 2, "time in excerpt, ms", size: 12, anchor: "middle", rotate: true)
        for f in [grant.frequencyLow, grant.frequencyHigh] {
            let xx = x(ofHz: f, bins: bins)
            if xx >= Self.plotLeft && xx <= Self.plotRight { out.line(xx, Self.fallTop, xx, Self.fallBottom, stroke: "#2ca02c", width: 1.5, dash: "4 3") }
        }
        out.text(Self.plotLeft, Self.fallTop - 10, String(format: "waterfall, %.1f … %.1f dBm/MHz (dark → bright); violation between the white lines", low, high), size: 11)
    }

    private func emptyPicture() -> String {
        var out = SVGBuilder(width: Self.width, height: 120)
        out.text(Self.plotLeft, 22, title, size: 15, weight: "bold")
        out.text(Self.plotLeft, 42, subtitle, size: 12)
        out.text(Self.plotLeft, 70, "The excerpt is too short for a spectrum.", size: 12)
        return out.finish()
    }
}
