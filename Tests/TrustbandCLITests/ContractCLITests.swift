import Enforcement
import Foundation
import Testing
import TestSupport

@Suite("trustband contract run")
struct ContractCLITests {
    static let scenario = Paths.repository.appendingPathComponent("Fixtures/scenarios/basic.json").path

    @Test("runs the bundled scenario: JSON with accounts, the conviction, and conserved supply")
    func json() throws {
        let result = try CLI.run(["contract", "run", Self.scenario, "--dev-sign", "--json"])
        #expect(result.status == 0, "\(result.err)")
        let root = try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])
        let cases = try #require(root["cases"] as? [[String: Any]])
        #expect(cases.count == 1 && cases[0]["verdict"] as? String == "guilty" && cases[0]["penalty"] as? Int == 100)
        let supply = try #require(root["supply"] as? [String: Any])
        #expect(supply["total"] as? Int == supply["genesis"] as? Int)
        // Its grants are a grant file the audit reads.
        let grantFile = try Paths.scratch().appendingPathComponent("grants.json").path
        let text = try CLI.run(["contract", "run", Self.scenario, "--dev-sign", "--grants-out", grantFile])
        let grants = try GrantFile.decode(json: try Data(contentsOf: URL(fileURLWithPath: grantFile)), path: grantFile)
        #expect(grants.map(\.id) == ["d2@o1", "d1@o1"] && grants[0].maxPsdDbmPerMhz == -30 && grants[0].nominal?.bandwidthHz == 10_000_000)
        #expect(text.status == 0 && text.out.contains("GUILTY; pbs-1 loses 100") && text.out.contains("rejected: nonce 1 for pu-1"))
    }

    @Test("refuses an unsigned scenario without --dev-sign, and a malformed file, with one line naming the problem")
    func errors() throws {
        let unsigned = try CLI.run(["contract", "run", Self.scenario])
        #expect(unsigned.status == 1 && unsigned.err.contains("signing_key") && unsigned.err.contains("--dev-sign"), "\(unsigned.err)")
        let path = try Paths.scratch().appendingPathComponent("bad.json").path
        try Data("{\"genesis\": {\"params\": {\"omega_milli\": \"half\"}}}".utf8).write(to: URL(fileURLWithPath: path))
        let bad = try CLI.run(["contract", "run", path, "--dev-sign"])
        #expect(bad.status == 1 && bad.err.contains("params.omega_milli") && bad.err.split(separator: "\n").count == 1, "\(bad.err)")
    }
}
