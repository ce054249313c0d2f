import ArgumentParser
import Foundation
import Signal

/// `trustband synth SCENE.json --out NAME.sigmf-meta`: a synthetic recording with its truth.
struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth", abstract: "Generate a synthetic recording (noise, tones, OFDM-like carriers, bursts, impairments) with truth annotations.")

    @Argument(help: "Scene description (JSON; see SyntheticScene).")
    var scene: String

    @Option(help: "Output metadata path (NAME.sigmf-meta).")
    var out: String

    @Option(help: "Output datatype.")
    var datatype = "cf32_le"

    @Flag(help: "Replace existing output files.")
    var overwrite = false

    func run() throws {
        try reportingErrors {
            guard let data = FileManager.default.contents(atPath: scene) else {
                throw UserFacingError(message: "\(scene): cannot read the scene file")
            }
            let parsed = try SyntheticScene.decode(json: data, path: scene)
            let metadata = try parsed.write(to: out, format: SampleFormat(parsing: datatype), overwrite: overwrite)
            print("wrote \(out): \(parsed.sampleCount) samples, \(metadata.annotations.count) emitters annotated")
        }
    }
}
