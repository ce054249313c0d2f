import Foundation
import Ledger
import Testing

/// The contract's chunked array behaves as an array: value semantics across copies, every
/// position across chunk boundaries, JSON as a plain array.
@Suite("Chunked array")
struct ChunkedArrayTests {
    @Test("Appends, reads and writes match a Swift array across chunk boundaries; a copy is unaffected by changes to the original")
    func matchesArray() throws {
        var chunked = ChunkedArray<Int>(), array: [Int] = []
        for n in 0..<1_500 {
            chunked.append(n * 3)
            array.append(n * 3)
        }
        #expect(Array(chunked) == array && chunked.count == 1_500)
        let copy = chunked
        for i in stride(from: 0, to: 1_500, by: 7) {
            chunked[i] = -i
            array[i] = -i
        }
        chunked.append(9)
        #expect(Array(chunked) == array + [9])
        #expect(Array(copy) == (0..<1_500).map { $0 * 3 })
        #expect(copy.count == 1_500)
        #expect(chunked.firstIndex(of: -511) == 511 && chunked[512] == 1_536)
        var cleared = copy
        cleared.removeAll()
        #expect(cleared.isEmpty && copy.count == 1_500)
    }

    @Test("Encodes as the plain array and decodes back to an equal value")
    func codable() throws {
        let chunked = ChunkedArray((0..<700).map { "item-\($0)" })
        let data = try JSONEncoder().encode(chunked)
        #expect(data == (try JSONEncoder().encode(Array(chunked))))
        #expect(try JSONDecoder().decode(ChunkedArray<String>.self, from: data) == chunked)
    }
}
