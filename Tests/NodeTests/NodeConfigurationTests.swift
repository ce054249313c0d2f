import Foundation
import Node
import Testing

@Suite("Node configuration")
struct NodeConfigurationTests {
    static func load(_ json: String, environment: [String: String] = [:]) throws(NodeError) -> NodeConfiguration {
        let path = NSTemporaryDirectory() + "node-config-\(UUID().uuidString).json"
        _ = FileManager.default.createFile(atPath: path, contents: Data(json.utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try NodeConfiguration.load(path: path, environment: environment)
    }

    static func problem(_ json: String, environment: [String: String] = [:]) -> String {
        do { _ = try load(json, environment: environment); return "no error" } catch { return error.description }
    }

    @Test("defaults, relative paths, and environment overrides")
    func loads() throws {
        let c = try Self.load(#"{"id": "v1", "key": "k", "listen": "127.0.0.1:7101", "data_dir": "d", "genesis": "/g.json", "allow_plaintext": true}"#,
                              environment: ["TRUSTBAND_NODE_LISTEN": "0.0.0.0:9000", "TRUSTBAND_NODE_PEERS": "v2=http://h:1,v3=http://h:2"])
        #expect(c.listen == "0.0.0.0:9000" && c.address.port == 9000)
        #expect(c.peers == [.init(id: "v2", url: "http://h:1"), .init(id: "v3", url: "http://h:2")])
        #expect(c.genesis == "/g.json" && c.key.hasPrefix("/") && c.key.hasSuffix("/k"))
        #expect(c.mempool.maxTransactions == 20_000 && c.timeouts.commitWaitMs == 10 && c.timeouts.emptyBlockMs == 1_000)
    }

    @Test("every error names its key")
    func errorsNameTheKey() {
        let base = #""key": "k", "data_dir": "d", "genesis": "g""#
        #expect(Self.problem("{\(base), \"listen\": \"x:1\"}").contains("id: is required"))
        #expect(Self.problem("{\(base), \"id\": \"v1\", \"listen\": \"nope\"}").contains("listen"))
        #expect(Self.problem("{\(base), \"id\": \"v1\", \"listen\": \"a:1\", \"peers\": [{\"id\": \"v2\", \"url\": \"ftp://x\"}]}").contains("peers[0].url"))
        #expect(Self.problem("{\(base), \"id\": \"v1\", \"listen\": \"a:1\", \"mempool\": {\"max_transactions\": \"many\"}}").contains("mempool.max_transactions"))
        #expect(Self.problem("{\(base), \"id\": \"v1\", \"listen\": \"a:1\", \"timeouts\": {\"base_ms\": 0}}").contains("timeouts"))
        #expect(Self.problem("{\(base), \"id\": \"v1\", \"listen\": \"a:1\"}", environment: ["TRUSTBAND_NODE_PEERS": "v2"]).contains("TRUSTBAND_NODE_PEERS"))
        #expect(Self.problem("{not json").contains("config"))
    }
}
