import Agent
import Crypto
import Foundation
import Ledger
import Logging
import Node
import TestSupport
import Testing
import TransportSecurity
@testable import TrustbandCLI

/// A devnet with TLS on every link (`devnet --tls`), probed from outside with curl and openssl:
/// who may open peer links, use peer routes and post whose transactions; rotation of a node's
/// certificate while consensus runs.
@Suite("TLS devnet", .serialized)
struct TLSDevnetTests {
    static func curl(_ arguments: [String]) throws -> (code: String, body: String, status: Int32) {
        let r = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/curl"), ["-s", "--max-time", "3", "-o", "/dev/stdout", "-w", "\n%{http_code}"] + arguments)
        let lines = r.out.split(separator: "\n", omittingEmptySubsequences: false)
        return (String(lines.last ?? ""), lines.dropLast().joined(separator: "\n"), r.status)
    }

    /// The serial of the certificate a TLS server presents now, as openssl prints it.
    static func servedSerial(port: Int, ca: String) throws -> String {
        let script = "openssl s_client -connect 127.0.0.1:\(port) -CAfile \(ca) </dev/null 2>/dev/null | openssl x509 -noout -serial"
        return try Subprocess.run(URL(fileURLWithPath: "/bin/sh"), ["-c", script]).out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func logTail(_ path: String) -> String {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").suffix(15).joined(separator: "\n")
    }

    static func fileSerial(_ path: String) throws -> String {
        try Subprocess.run(URL(fileURLWithPath: "/usr/bin/openssl"), ["x509", "-in", path, "-noout", "-serial"]).out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("mutual TLS: the devnet commits; strangers, accounts and unregistered validators are refused peer access; a certificate posts only its account's transactions; rotation without downtime")
    func tlsDevnet() async throws {
        let dir = NSTemporaryDirectory() + "trustband-tls-devnet-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let basePort = LivePage.freePort()
        let configs = try Devnet.create(directory: dir, nodes: 3, basePort: basePort, devAccounts: DevnetAccounts.standard, tls: true,
                                        tlsAccounts: ["user-0", "user-1"])
        let ca = dir + "/tls/ca.crt"
        try LedgerClient.trust(caFile: ca)
        let devnet = DevnetProcesses(configs: configs, basePort: basePort, tls: true, executable: CLI.executable.path)
        try devnet.startAll(environment: ["TRUSTBAND_LOG_LEVEL": "notice"])
        defer { devnet.stopAll() }
        try await devnet.waitReady()
        #expect(devnet.urls[0].hasPrefix("https://"))
        #expect(try await DevnetTests.waitHeight(devnet.urls[1], atLeast: 3, seconds: 30), "consensus over mutually authenticated links")

        // Plain HTTP to a TLS port gets no HTTP answer.
        let plain = try Self.curl(["http://127.0.0.1:\(basePort)/v1/status"])
        #expect(plain.code == "000" && plain.status != 0, "plain HTTP answered \(plain.code)")

        // Peer routes: only registered validators.
        let url = devnet.urls[0]
        let accounts = dir + "/tls/accounts"
        let anonymous = try Self.curl(["--cacert", ca, "-X", "POST", "--data-binary", "", url + "/v1/peer/messages"])
        #expect(anonymous.code == "403" && anonymous.body.contains("peer_not_authenticated"), "\(anonymous)")
        let account = try Self.curl(["--cacert", ca, "--cert", accounts + "/user-0.crt", "--key", accounts + "/user-0.key", "-X", "POST", "--data-binary", "", url + "/v1/peer/messages"])
        #expect(account.code == "403" && account.body.contains("no validator"), "\(account)")
        let authority = try DevnetCertificates.authority(directory: dir)
        try DevnetCertificates.issue(.init(role: .validator, account: "v9"), host: "127.0.0.1", authority: authority, to: dir + "/tls/v9", name: "v9")
        let unregistered = try Self.curl(["--cacert", ca, "--cert", dir + "/tls/v9/v9.crt", "--key", dir + "/tls/v9/v9.key", "-X", "POST", "--data-binary", "", url + "/v1/peer/messages"])
        #expect(unregistered.code == "403" && unregistered.body.contains("v9 is not a validator registered"), "\(unregistered)")
        let peer = try Self.curl(["--cacert", ca, "--cert", dir + "/v2/tls/node.crt", "--key", dir + "/v2/tls/node.key", "-X", "POST", "--data-binary", "", url + "/v1/peer/messages"])
        #expect(peer.code == "204", "\(peer)")

        // Peer links (WebSocket upgrades): v2's certificate opens a link as v2, not as v3.
        let upgrade = ["-H", "Connection: Upgrade", "-H", "Upgrade: websocket", "-H", "Sec-WebSocket-Version: 13", "-H", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
                       "--cacert", ca, "--cert", dir + "/v2/tls/node.crt", "--key", dir + "/v2/tls/node.key", "--http1.1"]
        let asItself = try Self.curl(upgrade + [url + "/v1/peer/link?channel=transactions&from=v2"])
        #expect(asItself.code == "101", "\(asItself)")
        let impostor = try Self.curl(upgrade + [url + "/v1/peer/link?channel=messages&from=v3"])
        // (A refused upgrade is answered 400 and the connection closed, by Hummingbird.)
        #expect(impostor.code == "400", "a link claiming to be v3 with v2's certificate: \(impostor)")

        // A certificate from another CA does not get through the handshake.
        let foreignCA = try CertificateIssuer.makeAuthority(name: "foreign", validFor: 10)
        let foreign = try CertificateIssuer.issue(identity: .init(role: .validator, account: "v2"), dnsNames: [], ipAddresses: ["127.0.0.1"], validFor: 5, authority: foreignCA)
        try foreign.write(certificate: dir + "/foreign.crt", key: dir + "/foreign.key")
        let stranger = try Self.curl(["--cacert", ca, "--cert", dir + "/foreign.crt", "--key", dir + "/foreign.key", url + "/v1/status"])
        #expect(stranger.code == "000" && stranger.status != 0, "a foreign CA's certificate was let in: \(stranger)")

        // Transactions: a client certificate posts its own account's transactions only.
        let mine = try DevnetTests.demand("user-0", 1), theirs = try DevnetTests.demand("user-1", 1)
        try Data(mine.wireBytes).write(to: URL(fileURLWithPath: dir + "/mine.tx"))
        try Data(theirs.wireBytes).write(to: URL(fileURLWithPath: dir + "/theirs.tx"))
        let post = ["--cacert", ca, "--cert", accounts + "/user-0.crt", "--key", accounts + "/user-0.key", "-H", "Content-Type: application/octet-stream"]
        let own = try Self.curl(post + ["--data-binary", "@\(dir)/mine.tx", url + "/v1/tx"])
        #expect(own.code == "202", "\(own)")
        let other = try Self.curl(post + ["--data-binary", "@\(dir)/theirs.tx", url + "/v1/tx"])
        #expect(other.code == "403" && other.body.contains("certificate_mismatch") && other.body.contains("signed by user-1"), "\(other)")
        #expect(try await DevnetTests.committed(mine.id, at: devnet.urls[2], seconds: 15))

        // The agent's gateway, with user-1's certificate: its transaction goes in; user-0's is
        // refused by the node and kept for later (not dropped as final).
        let gatewayTLS = try ReloadingTLSContext(files: TLSFiles(certificate: accounts + "/user-1.crt", key: accounts + "/user-1.key", ca: ca),
                                                 requireClientCertificate: false, logger: Logger(label: "test"))
        let gateway = NodeLedgerGateway(nodes: [devnet.urls[1]], tls: gatewayTLS)
        #expect(try await gateway.submit(theirs.wireBytes, id: theirs.id) == .accepted)
        let wrong = try DevnetTests.demand("user-0", 2)
        await #expect(throws: GatewayError.self) { _ = try await gateway.submit(wrong.wireBytes, id: wrong.id) }
        try await gateway.shutdown()

        // Rotation: a new certificate for v1 is served to new connections within reload_s
        // (10 s), while the chain goes on.
        let before = try Self.servedSerial(port: basePort, ca: ca)
        #expect(before == (try Self.fileSerial(dir + "/v1/tls/node.crt")))
        let heightBefore = try await LedgerClient.height(devnet.urls[0])
        try FileManager.default.createDirectory(atPath: dir + "/rotated", withIntermediateDirectories: true)
        try DevnetCertificates.issue(.init(role: .validator, account: "v1"), host: "127.0.0.1", authority: authority, to: dir + "/rotated", name: "node")
        for name in ["node.key", "node.crt"] {
            #expect(rename(dir + "/rotated/" + name, dir + "/v1/tls/" + name) == 0)
        }
        let expected = try Self.fileSerial(dir + "/v1/tls/node.crt")
        #expect(expected != before)
        var served = before
        let deadline = Date().addingTimeInterval(25)
        while served != expected, Date() < deadline {
            try await Task.sleep(for: .milliseconds(500))
            served = try Self.servedSerial(port: basePort, ca: ca)
        }
        #expect(served == expected, "the rotated certificate was not served")
        // (Three equal validators need all three for a quorum: a loaded machine can slow them.)
        let progressed = try await DevnetTests.waitHeight(devnet.urls[0], atLeast: heightBefore + 2, seconds: 30)
        #expect(progressed, "consensus stopped across the rotation; v1's log ends: \(Self.logTail(dir + "/v1/node.log"))")
        #expect(devnet.stopAll(grace: 5) == 0)
    }
}
