import Foundation

/// `../shared/data/real/manifest.json`: real recordings made by other people, with ground truth.
public struct RealDataManifest: Decodable, Sendable {
    public struct Entry: Decodable, Sendable {
        public var file: String
        public var datatype: String
        public var sampleRateHz: Double
        public var centerFreqHz: Double?
        public var nSamples: Int64
        public var sha256: String
        public var bursts: [Burst]
    }

    public struct Burst: Decodable, Sendable {
        public var startSample: Int64
        public var endSample: Int64
        public var peakOffsetHz: Double
        public var band10DbHz: [Double]
        public var snrDb: Double
    }

    public var recordings: [Entry]

    /// The manifest, or nil when the shared data is not beside this checkout.
    public static func load() throws -> RealDataManifest? {
        let url = Paths.realData.appendingPathComponent("manifest.json")
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(RealDataManifest.self, from: Data(contentsOf: url))
    }

    /// True when the real recordings are present (with TRUSTBAND_REQUIRE_ORACLES=1, they must be).
    public static let available: Bool = Oracle.required
        || FileManager.default.fileExists(atPath: Paths.realData.appendingPathComponent("manifest.json").path)
}
