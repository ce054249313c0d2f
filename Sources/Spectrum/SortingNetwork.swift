/// A sorting network (Batcher's odd–even merge sort) for `count` values: a fixed list of
/// compare-exchange steps. Applied to whole rows at once, each step is an element-wise min and
/// max over every frequency bin, which vectorises, where sorting each bin's values separately
/// would branch on every comparison.
struct SortingNetwork: Sendable {
    let count: Int
    /// Pairs (i, j), i < j: after the step, row i holds the minimum and row j the maximum.
    let steps: [(Int, Int)]

    init(count: Int) {
        self.count = count
        var padded = 1
        while padded < count { padded *= 2 }
        var steps: [(Int, Int)] = []
        // Knuth's formulation of Batcher's network for a power of two; steps that touch a
        // padding position (an implicit +∞ at the end) never move anything and are dropped.
        var p = 1
        while p < padded {
            var k = p
            while k >= 1 {
                var j = k % p
                while j + k < padded {
                    for i in 0..<min(k, padded - j - k) where (i + j) / (p * 2) == (i + j + k) / (p * 2) {
                        let a = i + j, b = i + j + k
                        if b < count { steps.append((a, b)) }
                    }
                    j += 2 * k
                }
                k /= 2
            }
            p *= 2
        }
        self.steps = steps
    }

    /// Sorts, for every column, the values of `count` rows of `width` floats at `rows`.
    func sortColumns(_ rows: UnsafeMutablePointer<Float>, width: Int) {
        for (a, b) in steps {
            let low = rows + a * width, high = rows + b * width
            for k in 0..<width {
                let x = low[k], y = high[k]
                low[k] = min(x, y)
                high[k] = max(x, y)
            }
        }
    }
}
