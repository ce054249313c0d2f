import Foundation

/// Per-bin histograms of level in dB, filled a spectrum row at a time.
///
/// Rows are first turned into cell indices (log2 from the float's exponent and a quadratic in
/// its mantissa: 0.015 dB, far finer than a cell) and kept in a small batch; the batch is
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
    private var scratch: [UInt16]
    private static let batchRows = 64

    init(binCount: Int, lowestDB: Double, cellDB: Double, cellCount: Int) {
        self.binCount = binCount
        self.cellCount = cellCount
        self.lowestDB = lowestDB
        self.cellDB = cellDB
        histogram = [UInt32](repeating: 0, count: binCount * cellCount)
        batch = [UInt16](repeating: 0, count: binCount * Self.batchRows)
        scratch = [UInt16](repeating: 0, count: binCount)
    }

    mutating func add(_ row: UnsafeBufferPointer<Float>) {
        let scale = Float(10 * log10(2.0) / cellDB)
        let offset = Float(-lowestDB / cellDB)
        let top = Float(cellCount - 1)
        let n = binCount, column = batched, rows = Self.batchRows
        // Branch-free and table-free, so that the loop vectorises: log2 is the exponent plus a
        // quadratic in the mantissa (good to 0.005, i.e. 0.015 dB, a sixteenth of a cell), and
        // the cell index is taken by adding 1.5·2²³ (which rounds) and reading the float's low bits.
        row.withMemoryRebound(to: UInt32.self) { bits in
            scratch.withUnsafeMutableBufferPointer { cells in
                for k in 0..<n {
                    let b = bits[k] & 0x7FFF_FFFF
                    let mantissa = Float(bitPattern: (b & 0x007F_FFFF) | 0x3F80_0000)
                    let exponent = Float(Int32(bitPattern: b >> 23) &- 127)
                    let log2 = exponent + ((-0.34484843 * mantissa + 2.02466578) * mantissa - 1.67487759)
                    let cell = min(top, max(0, log2 * scale + offset - 0.5)) + 12_582_912  // − ½: round down, to the cell
                    cells[k] = UInt16(truncatingIfNeeded: cell.bitPattern)
                }
            }
        }
        scratch.withUnsafeBufferPointer { cells in
            batch.withUnsafeMutableBufferPointer { batch in
                for k in 0..<n { batch[k &* rows &+ column] = cells[k] }
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
