import Foundation
import Testing
import TestSupport
@testable import Signal

/// numpy applies sigmf-python's convention to the same random bytes; we must match bit for bit.
private let numpyConverter = """
import sys, numpy as np
name, src, dst = sys.argv[1:4]
comp = name[1:].split('_')[0]
endian = '>' if name.endswith('_be') else '<'
kind = {'u': 'u', 'i': 'i', 'f': 'f'}[comp[0]]
bits = int(comp[1:])
raw = np.fromfile(src, dtype=np.dtype(endian + kind + str(bits // 8)))
if kind == 'f':
    out = raw.astype(np.float32)
elif kind == 'u':
    out = (raw.astype(np.int64) - 2 ** (bits - 1)).astype(np.float32) * np.float32(2.0 ** -(bits - 1))
else:
    out = raw.astype(np.float32) * np.float32(2.0 ** -(bits - 1))
out.astype('<f4').tofile(dst)
"""

@Suite("Sample conversion")
struct ConversionTests {
    static let formats = ["cu8", "ci8", "ci16_le", "ci16_be", "cu16_le", "ci32_le", "cu32_be", "cf32_le", "cf32_be", "cf64_le"]

    @Test("Conversion to CF32 matches numpy bit for bit on random bytes", .enabled(if: Oracle.numpy), arguments: formats)
    func matchesNumpy(name: String) throws {
        let format = try SampleFormat(parsing: name)
        let samples = 40_001  // odd, so no loop only ever sees whole vectors
        var bytes = randomBytes(count: samples * format.bytesPerSample, seed: 7)
        if format.component == .f32 || format.component == .f64 { makeFinite(&bytes, format: format) }
        let dir = try Paths.scratch()
        let src = dir.appendingPathComponent("in.bin"), dst = dir.appendingPathComponent("out.bin")
        try Data(bytes).write(to: src)
        _ = try Oracle.script(numpyConverter, [name, src.path, dst.path])
        let expected = try Data(contentsOf: dst)

        var ours = [Float](repeating: 0, count: samples * 2)
        bytes.withUnsafeBytes { raw in
            ours.withUnsafeMutableBufferPointer { SampleConverter.toCF32(raw.baseAddress!, format: format, sampleCount: samples, into: $0.baseAddress!) }
        }
        let oursData = ours.withUnsafeBytes { Data($0) }
        #expect(oursData.count == expected.count)
        let firstDifference = zip(oursData, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(firstDifference == nil, "first differing byte at \(firstDifference ?? -1)")
    }

    @Test("Integer formats survive CF32 and back unchanged", arguments: ["cu8", "ci8", "ci16_le", "ci16_be", "cu16_le", "ci32_le", "cu32_le"])
    func integerRoundTrip(name: String) throws {
        let format = try SampleFormat(parsing: name)
        let samples = 4_097
        let bytes = randomBytes(count: samples * format.bytesPerSample, seed: 11)
        var floats = [Float](repeating: 0, count: samples * 2)
        var back = [UInt8](repeating: 0, count: bytes.count)
        let clipped = bytes.withUnsafeBytes { raw in
            floats.withUnsafeMutableBufferPointer { f in
                SampleConverter.toCF32(raw.baseAddress!, format: format, sampleCount: samples, into: f.baseAddress!)
                return back.withUnsafeMutableBytes {
                    SampleConverter.fromCF32(UnsafePointer(f.baseAddress!), sampleCount: samples, format: format, into: $0.baseAddress!)
                }
            }
        }
        if format.component == .i32 || format.component == .u32 {
            // float32 holds 24 bits: a 32-bit round trip is exact only to the float's precision.
            let original = bytes.withUnsafeBytes { Array($0.bindMemory(to: Int32.self)) }
            let returned = back.withUnsafeBytes { Array($0.bindMemory(to: Int32.self)) }
            for (a, b) in zip(original, returned) { #expect(abs(Int64(a) - Int64(b)) <= 128) }
        } else {
            #expect(back == bytes)
            #expect(clipped == 0)
        }
    }

    @Test("Values outside full scale clip to the integer range and are counted")
    func clipping() {
        let input: [Float] = [1.5, -1.5, 0.999, -1, 0.5, 2]
        var out = [Int8](repeating: 0, count: 6)
        let clipped = out.withUnsafeMutableBytes {
            SampleConverter.fromCF32(input, sampleCount: 3, format: .ci8, into: $0.baseAddress!)
        }
        #expect(out == [127, -128, 127, -128, 64, 127])
        // 1.5, -1.5 and 2 are out of range; 0.999·128 = 127.87 rounds to 128, one past the top.
        #expect(clipped == 4)
    }
}

func randomBytes(count: Int, seed: UInt64) -> [UInt8] {
    var generator = SeededRandom(seed: seed)
    return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
}

/// Replaces NaN/Inf bit patterns (which numpy and we would both pass through, but whose
/// comparison is not the point) with finite values, keeping the rest random.
private func makeFinite(_ bytes: inout [UInt8], format: SampleFormat) {
    let width = format.component.byteWidth
    let exponentByte = format.bigEndian ? 0 : width - 1
    for start in stride(from: 0, to: bytes.count, by: width) where bytes[start + exponentByte] & 0x7F == 0x7F {
        bytes[start + exponentByte] &= 0xBF
    }
}
