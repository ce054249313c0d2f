import Foundation
import Testing
@testable import Enforcement
@testable import Signal

@Suite("Grant files")
struct GrantFileTests {
    static let valid = """
        {"grants": [
          {"id": "g-1", "holder": "pbs-7", "mno": "mno-a", "freq_low_hz": 3.55e9, "freq_high_hz": 3.56e9,
           "max_psd_dbm_per_mhz": -40, "oob_max_psd_dbm_per_mhz": -70,
           "windows": [{"start": "2026-11-24T06:00:00Z", "end": "2026-11-24T07:00:00Z"}],
           "max_occupancy_s": 600,
           "nominal": {"psd_dbm_per_mhz": -45, "bandwidth_hz": 8e6, "tolerance_db": 3}},
          {"id": "g-2", "holder": "pu-1", "mno": "mno-b", "freq_low_hz": 3.57e9, "freq_high_hz": 3.58e9,
           "max_psd_dbm_per_mhz": -50, "oob_max_psd_dbm_per_mhz": -75, "windows": [], "max_occupancy_s": 1}
        ]}
        """

    @Test("A valid file gives every grant with its windows and nominal service")
    func valid() throws {
        let grants = try GrantFile.decode(json: Data(Self.valid.utf8), path: "grants.json")
        #expect(grants.map(\.id) == ["g-1", "g-2"])
        #expect(grants[0].bandwidth == 10e6)
        #expect(grants[0].nominal == Grant.Nominal(psdDbmPerMhz: -45, bandwidthHz: 8e6, toleranceDb: 3))
        #expect(grants[0].allows(try Timestamp(rfc3339: "2026-11-24T06:30:00Z")))
        #expect(!grants[0].allows(try Timestamp(rfc3339: "2026-11-24T07:00:00Z")))
        #expect(grants[1].nominal == nil && grants[1].windows.isEmpty)
    }

    @Test("Malformed grants are refused with the grant and the field named",
          arguments: [
            ("\"freq_high_hz\": 3.56e9", "\"freq_high_hz\": 3.54e9", "grant 'g-1': freq_high_hz"),
            ("\"max_occupancy_s\": 600", "\"max_occupancy_s\": -1", "grant 'g-1': max_occupancy_s"),
            ("\"holder\": \"pbs-7\", ", "", "grant 'g-1': holder: is required"),
            ("\"end\": \"2026-11-24T07:00:00Z\"", "\"end\": \"2026-11-24T05:00:00Z\"", "grant 'g-1': windows[0].end"),
            ("\"start\": \"2026-11-24T06:00:00Z\"", "\"start\": \"6 o'clock\"", "grant 'g-1': windows[0].start"),
            ("\"bandwidth_hz\": 8e6", "\"bandwidth_hz\": 20e6", "grant 'g-1': nominal.bandwidth_hz"),
            ("\"max_psd_dbm_per_mhz\": -50", "\"max_psd_dbm_per_mhz\": \"high\"", "grant 'g-2': max_psd_dbm_per_mhz: must be a number"),
            ("\"id\": \"g-2\"", "\"id\": \"g-1\"", "grant 'g-1': id: appears twice"),
            ("{\"id\": \"g-1\", ", "{", "grant 'grants[0]': id: is required"),
          ])
    func malformed(original: String, replacement: String, message: String) throws {
        let text = Self.valid.replacingOccurrences(of: original, with: replacement)
        #expect(text != Self.valid)
        let error = #expect(throws: EnforcementError.self) { try GrantFile.decode(json: Data(text.utf8), path: "grants.json") }
        #expect(error?.description.contains(message) == true, "\(String(describing: error))")
    }

    @Test("A file that is not a grant list says so", arguments: ["[]", "{\"grant\": []}", "{\"grants\": ["])
    func notGrants(text: String) {
        let error = #expect(throws: EnforcementError.self) { try GrantFile.decode(json: Data(text.utf8), path: "grants.json") }
        guard case .malformedGrantFile(let path, _) = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(path == "grants.json")
    }
}
