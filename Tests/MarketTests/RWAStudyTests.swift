import Foundation
import Testing
import TestSupport
@testable import Market

/// The case study on a reduced grid (two seeds, scarcity 0.5 and 2, two rounds): the claims
/// that hold at full size hold here on every seed, runs are reproducible, and the plots draw in
/// a real browser.
@Suite("RWA case study")
struct RWAStudyTests {
    static let rows: [RWAStudy.Row] = {
        let configurations = RWAStudy.configurations(scarcities: [0.5, 2], seeds: 2, rounds: 2)
        return try! RWAStudy.run(configurations, threads: 2)
    }()

    @Test("The claims that hold at full size hold on the reduced grid, every seed; the ones that do not are reported as such")
    func claims() throws {
        let claims = Dictionary(uniqueKeysWithValues: RWAReport.claims(Self.rows).map { ($0.id, $0) })
        for id in ["served-lease", "served-purchase", "idle-lease", "capital-lease", "capital-purchase", "allocation-lease", "wash-gain", "wash-harm",
                   "default-covered", "byzantine"] {
            let claim = try #require(claims[id], "claim \(id)")
            #expect(claim.holds, "\(claim.statement): \(claim.evidence)")
        }
        // Cornering pays at scarcity 2: the paper's resilience claim does not hold without a
        // holding cap, and the summary says so.
        #expect(claims["corner"]?.holds == false)
        let summary = RWAReport.summary(Self.rows, seeds: 2, rounds: 2, seconds: 1)
        #expect(summary.contains("Claims that do **not** hold") && summary.contains("corner"))
    }

    @Test("A run is a pure function of its configuration: the same seed gives the same metrics, another seed other demand")
    func reproducible() throws {
        let configuration = RWARunConfiguration(mode: .lease, attack: .default, scarcity: 1.5, seed: 7, rounds: 2)
        let a = try RWASimulation.run(configuration), b = try RWASimulation.run(configuration)
        #expect(a == b)
        var other = configuration
        other.seed = 8
        #expect(try RWASimulation.run(other) != a)
    }

    @Test("Scarcity bounds what can be served: at demand/supply 2 at most about half; at 0.5 leasing serves all of it")
    func scarcityBounds() {
        for row in Self.rows where row.configuration.attack == .none {
            let m = row.metrics, s = row.configuration.scarcity
            #expect(m.utilisation <= 1 && m.served <= 1)
            if s == 2 { #expect(m.served < 0.6, "\(row.configuration.mode) at 2: \(m.served)") }
            if s == 0.5, row.configuration.mode == .lease { #expect(m.served > 0.99) }
        }
    }

    @Test("The CSV has a header and one line per run with every metric")
    func csv() {
        let lines = RWAStudy.csv(Self.rows).split(separator: "\n")
        #expect(lines.count == Self.rows.count + 1)
        #expect(lines.allSatisfy { $0.split(separator: ",", omittingEmptySubsequences: false).count == 15 })
    }

    @Test("Every plot loads in headless Chromium and draws its series", .enabled(if: Browser.available, "chromium is not installed"))
    func plotsDrawInBrowser() throws {
        let plots = RWAReport.plots(Self.rows)
        #expect(plots.count == RWAStudy.metrics.count)
        for (name, svg) in plots {
            // The plot area (80…520 × 50…380) holds the first series' colour, #1f77b4.
            let rendering = try Browser.render(svg: svg, region: (80, 50, 440, 330), colour: (0x1f, 0x77, 0xb4))
            #expect(rendering.loaded && rendering.width == 720 && rendering.height == 440, "\(name): \(rendering)")
            #expect((rendering.saturatedInRegion ?? 0) > 200 && (rendering.matchingColour ?? 0) > 20, "\(name): \(rendering)")
        }
    }
}
