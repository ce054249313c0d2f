import Foundation

/// Checks that a recording's bytes look like its declared datatype, so that a meta file that
/// lies (or a wrong `--format`) gives one clear error instead of garbage spectra.
///
/// Only unmistakable cases are flagged, on the first 64 KiB: float data declared as integers
/// (or the reverse), offset-binary and two's-complement 8-bit mixed up, and 16-bit data read
/// as 8-bit (I and Q powers tens of dB apart).
public enum DatatypeSniffer {
    public static func check(_ recording: Recording) throws(SignalError) {
        let length = Int(min(recording.dataLength, 64 << 10))
        guard length >= 1024 else { return }
        let bytes = try ReadOnlyFile(path: recording.dataPath).readBytes(count: length, at: recording.dataOffset)
        if let evidence = mismatch(bytes, declared: recording.format) {
            throw .datatypeMismatch(path: recording.dataPath, declared: recording.format.sigmfName, evidence: evidence)
        }
    }

    /// Evidence that `bytes` are not `declared`, or nil when they are plausible.
    public static func mismatch(_ bytes: [UInt8], declared: SampleFormat) -> String? {
        let floats = floatPlausibility(bytes)
        switch declared.component {
        case .f32 where !declared.bigEndian:
            if floats.nonZero > 0.05 && floats.plausible < 0.9 {
                return "only \(percent(floats.plausible)) of the values are finite floats of sensible magnitude\(suggestion(bytes))"
            }
        case .f32, .f64:
            return nil
        default:
            if floats.nonZero > 0.5 && floats.plausible > 0.99 {
                return "\(percent(floats.plausible)) of the 4-byte words are plausible float32 values; it looks like cf32_le"
            }
        }
        switch declared.component {
        case .u8, .i8:
            let offsetBinaryExtremes = fraction(bytes) { $0 < 32 || $0 > 223 }
            let twosComplementExtremes = fraction(bytes) { $0 > 96 && $0 < 160 }
            if declared.component == .u8 && offsetBinaryExtremes > 0.9 && twosComplementExtremes < 0.1 {
                return "\(percent(offsetBinaryExtremes)) of the bytes sit at the ends of the unsigned range; it looks like signed ci8"
            }
            if declared.component == .i8 && twosComplementExtremes > 0.9 && offsetBinaryExtremes < 0.1 {
                return "\(percent(twosComplementExtremes)) of the bytes sit at the ends of the signed range; it looks like unsigned cu8"
            }
        default:
            break
        }
        if declared.component.isInteger, let imbalance = iqImbalanceDB(bytes, format: declared), imbalance > 20 {
            return "I and Q powers differ by \(Int(imbalance.rounded())) dB, which real IQ never does; is the sample width right?"
        }
        return nil
    }

    private static func suggestion(_ bytes: [UInt8]) -> String {
        for candidate in [SampleFormat.cu8, .ci8, .ci16LE] where mismatch(bytes, declared: candidate) == nil {
            if let imbalance = iqImbalanceDB(bytes, format: candidate), imbalance < 6 {
                return "; it may be \(candidate.sigmfName)"
            }
        }
        return ""
    }

    private static func floatPlausibility(_ bytes: [UInt8]) -> (plausible: Double, nonZero: Double) {
        let words = bytes.count / 4
        var plausible = 0, nonZero = 0
        bytes.withUnsafeBytes { raw in
            for k in 0..<words {
                let x = Float(bitPattern: raw.loadUnaligned(fromByteOffset: 4 * k, as: UInt32.self))
                if x != 0 { nonZero += 1 }
                if x.isFinite && (x == 0 || (abs(x) > 1e-30 && abs(x) < 1e6)) { plausible += 1 }
            }
        }
        return (Double(plausible) / Double(words), Double(nonZero) / Double(words))
    }

    private static func iqImbalanceDB(_ bytes: [UInt8], format: SampleFormat) -> Double? {
        let count = bytes.count / format.bytesPerSample
        guard count >= 256 else { return nil }
        var samples = [Float](repeating: 0, count: count * 2)
        bytes.withUnsafeBytes { raw in
            samples.withUnsafeMutableBufferPointer {
                SampleConverter.toCF32(raw.baseAddress!, format: format, sampleCount: count, into: $0.baseAddress!)
            }
        }
        func variance(_ offset: Int) -> Double {
            var sum = 0.0, sumSquares = 0.0
            for k in stride(from: offset, to: samples.count, by: 2) {
                sum += Double(samples[k])
                sumSquares += Double(samples[k]) * Double(samples[k])
            }
            let mean = sum / Double(count)
            return sumSquares / Double(count) - mean * mean
        }
        let vi = variance(0), vq = variance(1)
        guard max(vi, vq) > 1e-12 else { return nil }
        return 10 * log10(max(vi, vq) / max(min(vi, vq), 1e-30))
    }

    private static func fraction(_ bytes: [UInt8], _ predicate: (UInt8) -> Bool) -> Double {
        Double(bytes.reduce(0) { $0 + (predicate($1) ? 1 : 0) }) / Double(bytes.count)
    }

    private static func percent(_ x: Double) -> String { "\(Int((x * 100).rounded()))%" }
}
