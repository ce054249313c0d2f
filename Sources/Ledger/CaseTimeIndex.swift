import HashTreeCollections

/// Cases by grant and rule, and by the minutes their violation spans (derived from the cases;
/// not part of the state): which case a new record corroborates is found among the cases of
/// its minutes, not by scanning every case of its grant and rule. Persistent collections
/// throughout: each block's copy of the state shares the index, and a new case copies only
/// the few nodes and chunks it touches, however many cases there are.
struct CaseTimeIndex: Sendable {
    static let bucketNs: Int64 = 60_000_000_000
    /// Spans longer than this many minutes are kept aside and checked for every record.
    static let maxBuckets: Int64 = 1_440

    struct Entry: Sendable {
        var all: ChunkedArray<Int> = []
        var byMinute: TreeDictionary<Int64, ChunkedArray<Int>> = [:]
        var long: ChunkedArray<Int> = []
    }

    private var entries: TreeDictionary<String, Entry> = [:]

    static func minutes(_ startNs: Int64, _ endNs: Int64) -> ClosedRange<Int64>? {
        let first = startNs / bucketNs, last = endNs / bucketNs
        return last - first <= maxBuckets ? first...last : nil
    }

    mutating func insert(_ index: Int, key: String, startNs: Int64, endNs: Int64) {
        entries[key, default: Entry()].all.append(index)
        if let span = Self.minutes(startNs, endNs) {
            for m in span { entries[key]!.byMinute[m, default: []].append(index) }
        } else {
            entries[key]!.long.append(index)
        }
    }

    /// The first case (lowest position) of `key` for which `overlaps` holds, among those that
    /// can overlap `startNs…endNs`.
    func first(key: String, startNs: Int64, endNs: Int64, where overlaps: (Int) -> Bool) -> Int? {
        guard let entry = entries[key] else { return nil }
        guard let span = Self.minutes(startNs, endNs) else { return entry.all.first(where: overlaps) }
        var best: Int?
        for m in span {
            for i in entry.byMinute[m] ?? [] where i < (best ?? .max) && overlaps(i) { best = i }
        }
        for i in entry.long where i < (best ?? .max) && overlaps(i) { best = i }
        return best
    }
}
