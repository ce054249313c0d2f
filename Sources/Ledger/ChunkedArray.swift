/// An array kept in chunks of 64 behind references. The contract is copied for every block a
/// node executes (the committed state must survive an invalid proposal): copying this costs a
/// retain per chunk, and changing or appending an element copies only its chunk, where a
/// Swift array would copy every element. Encodes as a plain array.
public struct ChunkedArray<Element: Sendable>: Sendable, RandomAccessCollection, MutableCollection, ExpressibleByArrayLiteral {
    /// Only changed while uniquely referenced (copied first otherwise).
    final class Chunk: @unchecked Sendable {
        var items: [Element]
        init(_ items: [Element]) { self.items = items }
    }

    static var shift: Int { 6 }
    static var chunkSize: Int { 1 << shift }

    private var chunks: [Chunk] = []
    public private(set) var count = 0

    public typealias Index = Int
    public typealias Indices = Range<Int>

    public init() {}

    public init<S: Sequence>(_ elements: S) where S.Element == Element {
        for e in elements { append(e) }
    }

    public init(arrayLiteral elements: Element...) { self.init(elements) }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(position: Int) -> Element {
        // Borrowed: reading `cases[i].verdict` must not copy the whole element either.
        _read {
            precondition(position >= 0 && position < count, "index \(position) out of range 0..<\(count)")
            yield chunks[position >> Self.shift].items[position & (Self.chunkSize - 1)]
        }
        // In place: `cases[i].verdict = …` must not copy the whole element out and back.
        _modify {
            precondition(position >= 0 && position < count, "index \(position) out of range 0..<\(count)")
            let c = position >> Self.shift
            makeUnique(c)
            yield &chunks[c].items[position & (Self.chunkSize - 1)]
        }
    }

    public mutating func append(_ element: Element) {
        if count & (Self.chunkSize - 1) == 0 {
            var items: [Element] = []
            items.reserveCapacity(Self.chunkSize)
            items.append(element)
            chunks.append(Chunk(items))
        } else {
            makeUnique(chunks.count - 1)
            chunks[chunks.count - 1].items.append(element)
        }
        count += 1
    }

    public mutating func removeAll() {
        chunks = []
        count = 0
    }

    private mutating func makeUnique(_ c: Int) {
        if !isKnownUniquelyReferenced(&chunks[c]) { chunks[c] = Chunk(chunks[c].items) }
    }
}

extension ChunkedArray: Equatable where Element: Equatable {
    public static func == (a: Self, b: Self) -> Bool { a.count == b.count && a.elementsEqual(b) }
}

extension ChunkedArray: Codable where Element: Codable {
    public init(from decoder: any Decoder) throws { self.init(try [Element](from: decoder)) }
    public func encode(to encoder: any Encoder) throws { try Array(self).encode(to: encoder) }
}
