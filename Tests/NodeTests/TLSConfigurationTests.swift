import Foundation
import Logging
import Node
import Testing
import TransportSecurity

/// What a node refuses to start with, about transport security: each refusal names the setting.
@Suite("Node TLS configuration")
struct TLSConfigurationTests {
    static func devnet(tls: Bool, _ name: String = #function) throws -> (dir: String, config: String) {
        let dir = NSTemporaryDirectory() + "trustband-tlsconfig-\(name.filter(\.isLetter))-\(UUID().uuidString.prefix(8))"
        let configs = try Devnet.create(directory: dir, nodes: 2, basePort: 0, tls: tls)
        return (dir, configs[0])
    }

    static func rewrite(_ path: String, _ change: (inout [String: Any]) -> Void) throws {
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        change(&object)
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
    }

    static func refusal(_ body: () throws -> Void) -> String {
        do { try body(); return "" } catch { return "\(error)" }
    }

    @Test("the example in deploy/ serves TLS on 0.0.0.0 with https peers")
    func deployExample() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("deploy/node.example.json").path
        let configuration = try NodeConfiguration.load(path: path, environment: [:])
        #expect(configuration.tls == TLSFiles(certificate: "/etc/trustband/tls/node.crt", key: "/etc/trustband/tls/node.key", ca: "/etc/trustband/tls/ca.crt"))
        #expect(configuration.peers.allSatisfy { $0.url.hasPrefix("https://") } && !configuration.allowPlaintext)
    }

    @Test("plain HTTP on a non-loopback address, or to a non-loopback peer, is refused unless allow_plaintext")
    func plaintextOffLoopback() throws {
        let (dir, path) = try Self.devnet(tls: false)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.rewrite(path) { $0["listen"] = "0.0.0.0:7101" }
        #expect(Self.refusal { _ = try NodeConfiguration.load(path: path) }
                == "config: listen: 0.0.0.0:7101 is not a loopback address: serve TLS (set \"tls\") or, on a development network, set \"allow_plaintext\": true")
        try Self.rewrite(path) { $0["allow_plaintext"] = true }
        #expect(try NodeConfiguration.load(path: path).allowPlaintext)
        try Self.rewrite(path) { $0["listen"] = "127.0.0.1:7101"; $0["allow_plaintext"] = false; $0["peers"] = [["id": "v2", "url": "http://10.0.0.2:7102"]] }
        #expect(Self.refusal { _ = try NodeConfiguration.load(path: path) }.contains("peers[0].url: http://10.0.0.2:7102 is plain HTTP to a non-loopback host"))
        try Self.rewrite(path) { $0["peers"] = [["id": "v2", "url": "https://10.0.0.2:7102"]] }
        #expect(Self.refusal { _ = try NodeConfiguration.load(path: path) } == "config: peers[0].url: https needs this node's own certificate: set \"tls\"")
        for host in ["127.0.0.1", "127.1.2.3", "localhost", "[::1]"] { #expect(PlaintextPolicy.isLoopback(host)) }
        for host in ["0.0.0.0", "10.0.0.1", "example.org", "::"] { #expect(!PlaintextPolicy.isLoopback(host)) }
    }

    @Test("a TLS node starts with its devnet certificate on any address; the wrong CA, another validator's certificate or a plaintext node under a consortium CA are refused")
    func refusals() throws {
        let (dir, path) = try Self.devnet(tls: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let logger = Logger(label: "test")
        try Self.rewrite(path) { $0["listen"] = "0.0.0.0:0" }
        var configuration = try NodeConfiguration.load(path: path)
        #expect(configuration.tls?.ca.hasSuffix("/tls/ca.crt") == true)
        _ = try LedgerNode(configuration: configuration, logger: logger)

        // v2's certificate in v1's place.
        configuration.tls?.certificate = dir + "/v2/tls/node.crt"
        configuration.tls?.key = dir + "/v2/tls/node.key"
        #expect(Self.refusal { _ = try LedgerNode(configuration: configuration, logger: logger) }.hasSuffix("names trustband:validator:v2, not trustband:validator:v1"))

        // A certificate from another CA than the genesis names.
        let other = try CertificateIssuer.makeAuthority(name: "other", validFor: 10)
        let leaf = try CertificateIssuer.issue(identity: .init(role: .validator, account: "v1"), dnsNames: [], ipAddresses: ["127.0.0.1"], validFor: 5, authority: other)
        try other.write(certificate: dir + "/other-ca.crt", key: dir + "/other-ca.key")
        try leaf.write(certificate: dir + "/other.crt", key: dir + "/other.key")
        configuration.tls = TLSFiles(certificate: dir + "/other.crt", key: dir + "/other.key", ca: dir + "/other-ca.crt")
        #expect(Self.refusal { _ = try LedgerNode(configuration: configuration, logger: logger) }.contains("the genesis names"))

        // No TLS at all while the genesis names a consortium CA.
        configuration.tls = nil
        configuration.listen = "127.0.0.1:0"
        #expect(Self.refusal { _ = try LedgerNode(configuration: configuration, logger: logger) }.hasPrefix("tls: the genesis names a consortium CA"))
    }
}
