import Foundation

/// Per-bin histograms of level in dB, filled a spectrum row at a time.
///
/// Rows are first turned into cell indices (log2 from the float's exponent and a table of its
/// top mantissa bits: 0.002 dB, far finer than a cell) and kept in a small batch; the batch is
/// then counted bin by bin, so each bin's histogram row is touched once per batch instead of
/// once per spectrum (the histograms are megabytes; the batch stays in cache).
struct LevelHistogram {
    let binCount: Int
    let cellCount: Int
    private let lowestDB: Double
    private let cellDB: Double
    private var histogram: [UInt32]
    /// Cell indices, bin-major: `batchRows` consecutive entries per bin.
    private var batch: [UInt16]
    private var batched = 0
    private static let batchRows = 64
    /// log2(1 + (i + ½)/1024) for the top 10 mantissa bits.
    private static let mantissaLog2: [Float] = (0..<1024).map { Float(log2(1 + (Double($0) + 0.5) / 1024)) }

    init(binCount: Int, lowestDB: Double, cellDB: Double, cellCount: Int) {
        self.binCount = binCount
        self.cellCount = cellCount
        self.lowestDB = lowestDB
        self.cellDB = cellDB
        histogram = [UInt32](repeating: 0, count: binCount * cellCount)
        batch = [UInt16](repeating: 0, count: binCount * Self.batchRows)
    }

    mutating func add(_ row: UnsafeBufferPointer<Float>) {
        let dbPerLog2 = Float(10 * log10(2.0)) / Float(cellDB)
        let offset = Float(-lowestDB / cellDB)
        let top = Float(cellCount - 1)
        let n = binCount, column = batched, rows = Self.batchRows
        Self.mantissaLog2.withUnsafeBufferPointer { table in
            batch.withUnsafeMutableBufferPointer { cells in
                for k in 0..<n {
                    let bits = max(row[k], 1e-30).bitPattern
                    let log2 = Float(Int32(bits >> 23) - 127) + table[Int((bits >> 13) & 0x3FF)]
                    cells[k &* rows &+ column] = UInt16(min(top, max(0, log2 * dbPerLog2 + offset)))
                }
            }
        }
        batched += 1
        if batched == Self.batchRows { flush() }
    }

    private mutating func flush() {
        let n = binCount, used = batched, width = cellCount, rows = Self.batchRows
        batch.withUnsafeBufferPointer { cells in
            histogram.withUnsafeMutableBufferPointer { counts in
                for k in 0..<n {
                    let histogramRow = counts.baseAddress! + k &* width
                    let bin = cells.baseAddress! + k &* rows
                    for r in 0..<used { histogramRow[Int(bin[r])] &+= 1 }
                }
            }
        }
        batched = 0
    }

    /// All counts, bin-major (`binCount` rows of `cellCount`).
    mutating func counts() -> [UInt32] {
        flush()
        return histogram
    }
}
