import Foundation
import Signal

/// A set of recordings with their true bursts, in the format of `shared/data/real/manifest.json`:
/// `{"recordings": [{"file", "datatype", "sample_rate_hz", "center_freq_hz", "n_samples",
/// "bursts": [{"start_sample", "end_sample", "peak_offset_hz", "band_10db_hz": [lo, hi], "snr_db"}]}]}`.
/// `trustband eval detect` grades detect against it; `trustband eval synth` writes one.
public struct TruthManifest: Sendable, Equatable, Codable {
    public struct Entry: Sendable, Equatable, Codable {
        /// Path relative to the manifest's folder.
        public var file: String
        public var datatype: String?
        public var sampleRateHz: Double?
        public var centerFreqHz: Double?
        public var nSamples: Int64?
        public var device: String?
        public var bursts: [TruthBurst]

        enum CodingKeys: String, CodingKey {
            case file, datatype, device, bursts
            case sampleRateHz = "sample_rate_hz", centerFreqHz = "center_freq_hz", nSamples = "n_samples"
        }

        public init(file: String, datatype: String? = nil, sampleRateHz: Double? = nil, centerFreqHz: Double? = nil,
                    nSamples: Int64? = nil, device: String? = nil, bursts: [TruthBurst]) {
            self.file = file
            self.datatype = datatype
            self.sampleRateHz = sampleRateHz
            self.centerFreqHz = centerFreqHz
            self.nSamples = nSamples
            self.device = device
            self.bursts = bursts
        }
    }

    public var about: String?
    public var recordings: [Entry]

    public init(about: String? = nil, recordings: [Entry]) {
        self.about = about
        self.recordings = recordings
    }

    /// Reads a manifest, naming the field that is wrong.
    public static func decode(json data: Data, path: String) throws(SignalError) -> TruthManifest {
        let decoder = JSONDecoder()
        do {
            let manifest = try decoder.decode(TruthManifest.self, from: data)
            for (n, entry) in manifest.recordings.enumerated() {
                for (b, burst) in entry.bursts.enumerated() where burst.endSample <= burst.startSample || burst.band10DbHz.count != 2 {
                    throw SignalError.invalidArgument(name: "\(path): recordings[\(n)].bursts[\(b)]",
                                                      problem: "needs end_sample > start_sample and band_10db_hz as [low, high]")
                }
            }
            return manifest
        } catch let error as SignalError {
            throw error
        } catch {
            throw .invalidArgument(name: path, problem: "not a truth manifest: \(error)")
        }
    }

    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}
