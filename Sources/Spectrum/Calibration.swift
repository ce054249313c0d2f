import Foundation

/// Converts dBFS to dBm: the offset (dBm − dBFS) measured for a receiver at points of
/// frequency, gain and sample rate, interpolated linearly in frequency and gain at the nearest
/// measured sample rate. Loaded from JSON:
///
/// ```json
/// {"id": "rtl-sdr serial 0003, 2026-11-02",
///  "points": [{"frequency_hz": 3.55e9, "gain_db": 20, "sample_rate_hz": 2.4e6, "offset_db": -38.2}, …]}
/// ```
public struct CalibrationTable: Sendable, Equatable, Codable {
    public struct Point: Sendable, Equatable, Codable {
        public var frequencyHz: Double
        public var gainDb: Double
        public var sampleRateHz: Double
        public var offsetDb: Double
    }

    public var id: String
    public var points: [Point]

    /// Parses and checks a table; `path` only labels errors.
    public static func decode(json data: Data, path: String) throws(SpectrumError) -> CalibrationTable {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let table: CalibrationTable
        do { table = try decoder.decode(CalibrationTable.self, from: data) } catch {
            throw .invalidCalibration(path: path, problem: "not a calibration table (\(error))")
        }
        guard !table.id.isEmpty else { throw .invalidCalibration(path: path, problem: "id is empty") }
        guard !table.points.isEmpty else { throw .invalidCalibration(path: path, problem: "no points") }
        for (n, p) in table.points.enumerated() where ![p.frequencyHz, p.gainDb, p.sampleRateHz, p.offsetDb].allSatisfy(\.isFinite) || p.sampleRateHz <= 0 {
            throw .invalidCalibration(path: path, problem: "points[\(n)] has a value that is not a finite number (or a rate ≤ 0)")
        }
        return table
    }

    /// The dBm − dBFS offset at `frequency`, `gain` and `sampleRate`. Outside the measured
    /// range the nearest edge is used (never extrapolated).
    public func offset(frequency: Double, gain: Double, sampleRate: Double) -> Double {
        let nearestRate = points.map(\.sampleRateHz).min { abs($0 - sampleRate) < abs($1 - sampleRate) }!
        let atRate = points.filter { $0.sampleRateHz == nearestRate }
        let gains = Array(Set(atRate.map(\.gainDb))).sorted()
        func alongFrequency(_ g: Double) -> Double {
            let row = atRate.filter { $0.gainDb == g }.sorted { $0.frequencyHz < $1.frequencyHz }
            return Self.interpolate(row.map { ($0.frequencyHz, $0.offsetDb) }, at: frequency)
        }
        return Self.interpolate(gains.map { ($0, alongFrequency($0)) }, at: gain)
    }

    private static func interpolate(_ table: [(Double, Double)], at x: Double) -> Double {
        guard let first = table.first, let last = table.last else { return 0 }
        if x <= first.0 { return first.1 }
        if x >= last.0 { return last.1 }
        let upper = table.firstIndex { $0.0 >= x }!
        let (x0, y0) = table[upper - 1], (x1, y1) = table[upper]
        return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    }
}

/// The calibration applied to a result: which table, and the offset it gave.
public struct AppliedCalibration: Sendable, Equatable {
    public var id: String
    public var offsetDb: Double

    public init(id: String, offsetDb: Double) {
        self.id = id
        self.offsetDb = offsetDb
    }
}
