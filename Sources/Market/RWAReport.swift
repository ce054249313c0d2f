import Evidence
import Foundation

/// The case study's outputs: claims checked across seeds, SVG plots with error bars, and a
/// Markdown summary that says which claims hold and which do not.
public enum RWAReport {
    /// A claim of the paper (or of our design), and whether the runs bear it out.
    public struct Claim: Sendable {
        public var id: String
        public var statement: String
        public var holds: Bool
        public var evidence: String
    }

    static func metric(_ rows: [RWAStudy.Row], _ series: String, _ value: (RWAMetrics) -> Double) -> [String: Double] {
        var out: [String: Double] = [:]
        for r in rows where RWAStudy.series(of: r) == series { out["\(r.configuration.scarcity)/\(r.configuration.seed)"] = value(r.metrics) }
        return out
    }

    /// Pairs (scarcity, seed) where `a` beats `b` by `better`, out of those both ran, at scarcity ≥ `from`.
    static func compare(_ rows: [RWAStudy.Row], _ a: String, _ b: String, from: Double = 0, _ value: (RWAMetrics) -> Double,
                        _ better: (Double, Double) -> Bool) -> (wins: Int, of: Int, meanA: Double, meanB: Double) {
        let x = metric(rows, a, value), y = metric(rows, b, value)
        let keys = x.keys.filter { y[$0] != nil && Double($0.split(separator: "/")[0])! >= from }
        let wins = keys.filter { better(x[$0]!, y[$0]!) }.count
        func mean(_ d: [String: Double]) -> Double { keys.isEmpty ? 0 : keys.map { d[$0]! }.reduce(0, +) / Double(keys.count) }
        return (wins, keys.count, mean(x), mean(y))
    }

    public static func claims(_ rows: [RWAStudy.Row]) -> [Claim] {
        var out: [Claim] = []
        func pairwise(_ id: String, _ statement: String, _ a: String, _ b: String, from: Double = 0, _ value: (RWAMetrics) -> Double, higher: Bool) {
            let r = compare(rows, a, b, from: from, value) { higher ? $0 > $1 : $0 < $1 }
            out.append(Claim(id: id, statement: statement, holds: r.of > 0 && r.wins == r.of,
                             evidence: String(format: "%@ beats %@ in %d of %d (scarcity, seed) pairs; means %.3f vs %.3f", a, b, r.wins, r.of, r.meanA, r.meanB)))
        }
        func notWorse(_ id: String, _ statement: String, _ a: String, _ b: String, _ value: (RWAMetrics) -> Double) {
            let r = compare(rows, a, b, value) { $0 <= $1 }
            out.append(Claim(id: id, statement: statement, holds: r.of > 0 && r.wins == r.of,
                             evidence: String(format: "%@ ≤ %@ in %d of %d pairs; means %.1f vs %.1f", a, b, r.wins, r.of, r.meanA, r.meanB)))
        }
        pairwise("served-lease", "Under scarcity (demand/supply ≥ 1.5), leasing tokens serves more demand than BEAST distribution alone", "lease", "beast", from: 1.5, { $0.served }, higher: true)
        pairwise("served-purchase", "Under scarcity (≥ 1.5), purchasing tokens (with resale) serves more demand than BEAST alone", "purchase", "beast", from: 1.5, { $0.served }, higher: true)
        pairwise("idle-lease", "Leasing leaves less spectrum idle (higher utilisation) than BEAST, at every scarcity", "lease", "beast", { $0.utilisation }, higher: true)
        pairwise("capital-lease", "Leasing locks less capital than BEAST, at every scarcity", "lease", "beast", { $0.capitalLocked }, higher: false)
        pairwise("capital-purchase", "Purchasing locks less capital than BEAST, at every scarcity", "purchase", "beast", { $0.capitalLocked }, higher: false)
        pairwise("allocation-lease", "A lease is allocated sooner than a BEAST round closes", "lease", "beast", { $0.allocationSeconds }, higher: false)
        notWorse("wash-gain", "Under the contract's round-trip rule, wash trading earns colluders no more than reselling the same stock without it",
                 "purchase+wash", "purchase+scalp", { $0.attackerGain })
        pairwise("wash-harm", "The rule protects honest users: with wash traders at work and supply short (≥ 1), more demand is served with the rule than without",
                 "purchase+wash", "purchase+wash (no rule)", from: 1, { $0.served }, higher: true)
        pairwise("wash-no-rule", "Without the rule, wash trading earns colluders more than plain reselling",
                 "purchase+wash (no rule)", "purchase+scalp", { $0.attackerGain }, higher: true)
        let defaults = rows.filter { $0.configuration.attack == .default }
        out.append(Claim(id: "default-covered", statement: "Collateral covers what defaulting lessees owe: owners lose nothing",
                         holds: !defaults.isEmpty && defaults.allSatisfy { $0.metrics.defaultLosses == 0 },
                         evidence: String(format: "%d runs; largest loss %.1f tokens; defaulters' net gain at most %.1f tokens", defaults.count,
                                          defaults.map(\.metrics.defaultLosses).max() ?? 0, defaults.map(\.metrics.attackerGain).max() ?? 0)))
        let byzantine = rows.filter { $0.configuration.attack == .byzantine }
        out.append(Claim(id: "byzantine", statement: "A Byzantine validator (one of four) moves no right without its owner's signature",
                         holds: !byzantine.isEmpty && byzantine.allSatisfy { $0.metrics.forgedAccepted == 0 },
                         evidence: "\(byzantine.count) runs; forged transfers accepted: \(byzantine.map(\.metrics.forgedAccepted).reduce(0, +))"))
        let corner = rows.filter { $0.configuration.attack == .corner && $0.configuration.mode == .purchase }
        let cornerGain = corner.map(\.metrics.attackerGain)
        out.append(Claim(id: "corner", statement: "Cornering a band does not pay in the token market (the paper's resilience claim)",
                         holds: !corner.isEmpty && cornerGain.allSatisfy { $0 <= 0 },
                         evidence: String(format: "%d runs; attacker gain from %.0f to %.0f tokens; profitable in %d", corner.count, cornerGain.min() ?? 0,
                                          cornerGain.max() ?? 0, cornerGain.filter { $0 > 0 }.count)))
        return out
    }

    /// Which series each plot shows.
    static func seriesShown(_ key: String) -> [String] {
        switch key {
        case "served": return ["beast", "purchase", "lease", "beast+corner", "purchase+corner"]
        case "allocation_s": return ["beast", "purchase", "lease", "lease+byzantine"]
        case "default_losses": return ["lease", "lease+default"]
        case "attacker_gain": return ["purchase+wash", "purchase+wash (no rule)", "purchase+scalp", "purchase+corner", "beast+corner", "lease+default"]
        default: return ["beast", "purchase", "lease"]
        }
    }

    static let colours = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"]

    /// One SVG per metric: mean over seeds against scarcity, ± one standard deviation.
    public static func plots(_ rows: [RWAStudy.Row]) -> [(name: String, svg: String)] {
        RWAStudy.metrics.map { m in
            let data = RWAStudy.aggregate(rows, m.value)
            let shown = seriesShown(m.key).filter { data[$0] != nil }
            return ("rwa-\(m.key).svg", plot(title: m.title, unit: m.unit, series: shown.map { ($0, data[$0]!) }))
        }
    }

    static func plot(title: String, unit: String, series: [(String, [(scarcity: Double, mean: Double, sd: Double, n: Int)])]) -> String {
        let width = 720.0, height = 440.0, left = 80.0, right = 200.0, top = 50.0, bottom = 60.0
        var svg = SVGBuilder(width: width, height: height)
        let points = series.flatMap { $0.1 }
        let xs = points.map(\.scarcity), xMin = xs.min() ?? 0, xMax = max(xs.max() ?? 1, (xs.min() ?? 0) + 1e-9)
        var yMin = min(0, points.map { $0.mean - $0.sd }.min() ?? 0), yMax = max(points.map { $0.mean + $0.sd }.max() ?? 1, yMin + 1e-9)
        let pad = (yMax - yMin) * 0.05
        yMin -= yMin < 0 ? pad : 0
        yMax += pad
        let plotW = width - left - right, plotH = height - top - bottom
        func px(_ x: Double) -> Double { left + (x - xMin) / (xMax - xMin) * plotW }
        func py(_ y: Double) -> Double { top + (1 - (y - yMin) / (yMax - yMin)) * plotH }
        svg.text(width / 2 - right / 2 + left / 2, 28, title, size: 16, anchor: "middle", weight: "bold")
        svg.rect(left, top, plotW, plotH, fill: "#ffffff", stroke: "#444444")
        // Ticks at 1, 2 or 5 × a power of ten, about five of them.
        let raw = (yMax - yMin) / 5, magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        for y in stride(from: (yMin / step).rounded(.up) * step, through: yMax, by: step) {
            svg.line(left, py(y), left + plotW, py(y), stroke: abs(y) < step / 1e6 ? "#888888" : "#dddddd")
            svg.text(left - 6, py(y) + 4, String(format: step < 1 ? "%.2f" : "%.0f", y), size: 11, anchor: "end")
        }
        for x in Set(xs).sorted() {
            svg.line(px(x), top + plotH, px(x), top + plotH + 5, stroke: "#444444")
            svg.text(px(x), top + plotH + 18, String(format: "%.1f", x), size: 11, anchor: "middle")
        }
        svg.text(left + plotW / 2, height - 18, "scarcity (demand / supply)", size: 12, anchor: "middle")
        svg.text(18, top + plotH / 2, unit, size: 12, anchor: "middle", rotate: true)
        for (n, (name, values)) in series.enumerated() {
            let colour = colours[n % colours.count]
            svg.polyline(values.map { (px($0.scarcity), py($0.mean)) }, stroke: colour, width: 2)
            for v in values {
                svg.line(px(v.scarcity), py(v.mean - v.sd), px(v.scarcity), py(v.mean + v.sd), stroke: colour, width: 1.5)
                for y in [v.mean - v.sd, v.mean + v.sd] { svg.line(px(v.scarcity) - 4, py(y), px(v.scarcity) + 4, py(y), stroke: colour, width: 1.5) }
                svg.rect(px(v.scarcity) - 3, py(v.mean) - 3, 6, 6, fill: colour, stroke: colour)
            }
            let ly = top + 16 + Double(n) * 20
            svg.line(width - right + 14, ly - 4, width - right + 38, ly - 4, stroke: colour, width: 3)
            svg.text(width - right + 44, ly, name, size: 12)
        }
        svg.text(width - right + 14, top + plotH, "mean ± 1 sd over seeds", size: 10, fill: "#666666")
        return svg.finish()
    }

    /// The Markdown summary: set-up, a table of means per series and scarcity, every claim with
    /// whether it holds, and the plots.
    public static func summary(_ rows: [RWAStudy.Row], seeds: Int, rounds: Int, seconds: Double) -> String {
        let scarcities = Array(Set(rows.map(\.configuration.scarcity))).sorted()
        var md = "# Spectrum as a real-world asset: case study\n\n"
        md += "`trustband simulate rwa`: \(rows.count) runs, \(seeds) seeds × scarcity \(scarcities.map { String(format: "%.1f", $0) }.joined(separator: ", ")), "
        md += "\(rounds) rounds of four 15-minute periods, \(String(format: "%.0f", seconds)) s. Two MNOs with 20 × 1 MHz channels each, twelve users with "
        md += "time-varying demand (a daily swing of ±60 % and noise), every action a signed transaction on the contract. See docs/rwa.md for the model.\n\n"
        md += "## Claims\n\n| claim | holds | evidence |\n|---|---|---|\n"
        for c in claims(rows) { md += "| \(c.statement) | \(c.holds ? "yes" : "**no**") | \(c.evidence) |\n" }
        let failing = claims(rows).filter { !$0.holds }
        md += failing.isEmpty ? "\nEvery claim checked holds across the seeds.\n" : "\nClaims that do **not** hold: \(failing.map(\.id).joined(separator: ", ")). They are reported, not hidden.\n"
        for m in RWAStudy.metrics {
            let data = RWAStudy.aggregate(rows, m.value)
            md += "\n## \(m.title) (\(m.unit))\n\n![\(m.title)](rwa-\(m.key).svg)\n\n| series | " + scarcities.map { String(format: "%.1f", $0) }.joined(separator: " | ") + " |\n"
            md += "|---|" + scarcities.map { _ in "---:" }.joined(separator: "|") + "|\n"
            for name in seriesShown(m.key) where data[name] != nil {
                let byScarcity = Dictionary(uniqueKeysWithValues: data[name]!.map { ($0.scarcity, $0) })
                md += "| \(name) | " + scarcities.map { s in byScarcity[s].map { String(format: "%.3g ± %.2g", $0.mean, $0.sd) } ?? "" }.joined(separator: " | ") + " |\n"
            }
        }
        return md
    }
}
