import Crypto
import Foundation
import Testing
import TestSupport
@testable import Signal

@Suite("Real recordings in ../shared/data/real", .enabled(if: RealDataManifest.available))
struct RealRecordingTests {
    static let entries = ((try? RealDataManifest.load()) ?? nil)?.recordings ?? []

    @Test("The manifest loads and lists the seven recordings")
    func manifest() throws {
        let manifest = try #require(try RealDataManifest.load())
        #expect(manifest.recordings.count == 7)
        #expect(Self.entries.count == manifest.recordings.count)
    }

    @Test("Each recording opens with the manifest's sample count and checksum, and its bursts stand out",
          arguments: entries.map(\.file))
    func readsRecording(file: String) throws {
        let entry = try #require(Self.entries.first { $0.file == file })
        let path = Paths.realData.appendingPathComponent(file).path
        let recording = try Recording.open(path, options: RecordingOptions(sampleRate: entry.sampleRateHz,
                                                                           centerFrequency: entry.centerFreqHz))
        #expect(recording.format == (try SampleFormat(parsing: entry.datatype)))
        #expect(recording.sampleCount == entry.nSamples)
        let digest = SHA256.hash(data: try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(digest.map { String(format: "%02x", $0) }.joined() == entry.sha256)

        // Stream it and measure power inside and outside the ground-truth bursts.
        let source = try RecordingSource(recording: recording)
        let buffer = IQBuffer(capacity: 8192)
        var inside = (sum: 0.0, count: 0), outside = (sum: 0.0, count: 0)
        var delivered: Int64 = 0
        while let block = try source.read(into: buffer) {
            #expect(block.sampleIndex == delivered)
            for (k, sample) in buffer.samples.enumerated() {
                let index = block.sampleIndex + Int64(k)
                if entry.bursts.contains(where: { index >= $0.startSample && index < $0.endSample }) {
                    inside.sum += Double(sample.power); inside.count += 1
                } else {
                    outside.sum += Double(sample.power); outside.count += 1
                }
            }
            delivered += Int64(block.count)
        }
        #expect(delivered == entry.nSamples)
        let contrast = 10 * log10((inside.sum / Double(inside.count)) / (outside.sum / Double(outside.count)))
        #expect(contrast > 6, "bursts only \(contrast) dB above the rest")
    }
}
