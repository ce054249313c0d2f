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

    @Test("runs the token scenario: a sale, a streamed lease, a wash trade flagged, a conviction of the lessee paid from its collateral; token-held rights are grants the audit reads")
    func tokens() throws {
        let scenario = Paths.repository.appendingPathComponent("Fixtures/scenarios/tokens.json").path
        let result = try CLI.run(["contract", "run", scenario, "--dev-sign", "--json"])
        #expect(result.status == 0, "\(result.err)")
        let root = try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])
        let trades = try #require(root["trades"] as? [[String: Any]])
        #expect(trades.count == 4 && trades.filter { $0["wash"] as? Bool == true }.count == 1)
        let cases = try #require(root["cases"] as? [[String: Any]])
        #expect(cases.count == 1 && cases[0]["suspect"] as? String == "pbs-1" && cases[0]["verdict"] as? String == "guilty" && cases[0]["penalty"] as? Int == 100)
        let transactions = try #require(root["transactions"] as? [[String: Any]])
        #expect(transactions.last?["status"] as? String == "rejected" && (transactions.last?["reason"] as? String ?? "").contains("may not move it"),
                "a validator cannot move an MNO's token")
        let supply = try #require(root["supply"] as? [String: Any])
        #expect(supply["total"] as? Int == supply["genesis"] as? Int)
        let grantFile = try Paths.scratch().appendingPathComponent("token-grants.json").path
        #expect(try CLI.run(["contract", "run", scenario, "--dev-sign", "--grants-out", grantFile]).status == 0)
        let grants = try GrantFile.decode(json: try Data(contentsOf: URL(fileURLWithPath: grantFile)), path: grantFile)
        #expect(grants.first { $0.id == "t1-am-hi" }?.holder == "pbs-1" && grants.first { $0.id == "t1-pm" }?.holder == "mno-a", "\(grants.map(\.id))")
        #expect(grants.first { $0.id == "t1-am-hi" }?.maxPsdDbmPerMhz == -30, "the token carries its offer's rules")
        let recording = Paths.repository.appendingPathComponent("Fixtures/recordings/demo.sigmf-meta").path
        let audit = try CLI.run(["audit", recording, "--grants", grantFile])
        #expect(audit.status == 0 && audit.out.contains("t1-am-hi"), "\(audit.err)")
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
