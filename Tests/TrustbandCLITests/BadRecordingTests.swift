import Foundation
import Testing
import TestSupport
@testable import Signal

/// A recording whose data is not what its metadata says: `info` reports it, `detect` and
/// `audit` refuse it with one line that names the problem.
@Suite("Recordings shorter than their metadata, or with a wrong hash")
struct BadRecordingTests {
    static let demo = Paths.repository.appendingPathComponent("Fixtures/recordings/demo-violations.sigmf-meta").path
    static let grants = Paths.repository.appendingPathComponent("Fixtures/grants/demo.json").path

    /// A copy of the demo recording with its data cut to `keep` of its bytes (hash and annotations unchanged).
    func truncatedCopy(keep: Double) throws -> String {
        let folder = try Paths.scratch()
        let meta = folder.appendingPathComponent("cut.sigmf-meta")
        try FileManager.default.copyItem(atPath: Self.demo, toPath: meta.path)
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.demo.replacingOccurrences(of: ".sigmf-meta", with: ".sigmf-data")))
        let cut = data.prefix(Int(Double(data.count) * keep) / 4 * 4)
        try cut.write(to: folder.appendingPathComponent("cut.sigmf-data"))
        return meta.path
    }

    @Test("A truncated copy: info lists the annotations past the end and the hash mismatch; detect and audit refuse it")
    func truncated() throws {
        let path = try truncatedCopy(keep: 0.5)
        let info = try CLI.run(["info", path])
        #expect(info.status == 0, "\(info.err)")
        #expect(info.out.contains("problems:"))
        #expect(info.out.contains("beyond the") && info.out.contains("annotations["), "\(info.out)")
        #expect(info.out.contains("sha512") || info.out.contains("checksum"), "\(info.out)")
        let json = try CLI.run(["info", path, "--json"])
        #expect(json.out.contains("\"problems\""))
        #expect(try CLI.run(["info", path, "--verify"]).status == 1)
        for command in [["detect", path], ["audit", path, "--grants", Self.grants]] {
            let result = try CLI.run(command)
            #expect(result.status == 1)
            let lines = result.err.split(separator: "\n")
            #expect(lines.count == 1, "\(result.err)")
            #expect(result.err.contains("annotations[") && result.err.contains("shorter than its metadata"), "\(result.err)")
        }
    }

    @Test("Same length but other bytes: only the hash says so, and detect refuses it")
    func wrongHash() throws {
        let path = try truncatedCopy(keep: 1)
        let dataPath = path.replacingOccurrences(of: ".sigmf-meta", with: ".sigmf-data")
        var data = try Data(contentsOf: URL(fileURLWithPath: dataPath))
        data[100] ^= 0x55
        try data.write(to: URL(fileURLWithPath: dataPath))
        let info = try CLI.run(["info", path])
        #expect(info.status == 0)
        #expect(info.out.contains("problems:    1"), "\(info.out)")
        let detect = try CLI.run(["detect", path])
        #expect(detect.status == 1)
        #expect(detect.err.contains("sha512") || detect.err.contains("checksum"), "\(detect.err)")
    }

    @Test("A sound recording has no problems")
    func sound() throws {
        #expect(try Recording.open(Self.demo).integrityProblems().isEmpty)
        let info = try CLI.run(["info", Self.demo])
        #expect(!info.out.contains("problems:"))
    }
}

@Suite("Progress on a terminal")
struct ProgressTests {
    @Test("detect shows passes, samples, rate and time left on a terminal, and nothing when its output is not a terminal or with --json")
    func progress() throws {
        let recording = Paths.repository.appendingPathComponent("Fixtures/recordings/demo.sigmf-meta").path
        let quiet = try CLI.run(["detect", recording])
        #expect(quiet.status == 0 && !quiet.err.contains("Msamples"), "\(quiet.err)")
        // `script` gives the command a pseudo-terminal.
        let tty = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/script"), ["-qec", "\(CLI.executable.path) detect \(recording)", "/dev/null"])
        #expect(tty.out.contains("pass 1: ") && tty.out.contains("Msamples") && tty.out.contains("left)"), "\(tty.out)")
        let json = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/script"), ["-qec", "\(CLI.executable.path) detect \(recording) --json", "/dev/null"])
        #expect(!json.out.contains("Msamples"), "\(json.out)")
    }
}
