import Foundation
import Signal

/// A packet's own spectrum: Hann segments of its samples (half-overlapped, at most
/// `maximumSegments`; one segment of the whole packet when it is shorter than the FFT), zero-padded to
/// the analysis FFT size so that its bins are the background's. Scaled as `PowerSpectrum`
/// (power per bin, FS²), so the background per bin can be taken off.
final class PacketSpectrumAccumulator {
    let packet: Range<Int64>
    let segmentLength: Int
    /// Segments, evenly spread over the packet (half-overlapped unless there are too many).
    private let count: Int
    private let room: Int64
    /// Segments being gathered (index, samples so far), in order of start; emptied buffers are
    /// kept for the next segments (at most three are open at once).
    private var open: [(index: Int, samples: [IQ])] = []
    private var spare: [[IQ]] = []
    private(set) var sum: [Double]
    private(set) var segments = 0
    private var next = 0

    /// Every half-overlapped segment of the packet, as Welch takes them, up to this many (a
    /// packet of more than 32 Mi samples is sampled evenly). 32 evenly spread segments were
    /// tried first: on d07 they put an FSK message's peak on its weaker tone.
    static let maximumSegments = 1 << 16

    init(packet: Range<Int64>, fftSize: Int) {
        self.packet = packet
        let length = Int(min(Int64(fftSize), Int64(packet.count)))
        segmentLength = length
        room = Int64(packet.count) - Int64(length)
        count = room <= 0 ? 1 : min(Self.maximumSegments, Int(room / Int64(max(1, length / 2))) + 1)
        sum = [Double](repeating: 0, count: fftSize)
    }

    private func start(_ i: Int) -> Int64 {
        packet.lowerBound + (count == 1 ? 0 : room * Int64(i) / Int64(count - 1))
    }

    var isComplete: Bool { next >= count && open.isEmpty }

    /// Takes the samples of a block (first at stream index `first`); transforms every segment it completes.
    func add(_ samples: UnsafeBufferPointer<IQ>, first: Int64, plan: FFTPlan, window: [Float], sumOfSquares: Double) {
        let end = first + Int64(samples.count)
        while next < count, start(next) < end {
            var buffer = spare.popLast() ?? []
            buffer.reserveCapacity(segmentLength)
            open.append((next, buffer))
            next += 1
        }
        var k = 0
        while k < open.count {
            let segmentStart = start(open[k].index) + Int64(open[k].samples.count)
            let segmentEnd = start(open[k].index) + Int64(segmentLength)
            let from = max(first, segmentStart), to = min(end, segmentEnd)
            if from < to { open[k].samples.append(contentsOf: samples[Int(from - first)..<Int(to - first)]) }
            if open[k].samples.count == segmentLength {
                var done = open.remove(at: k).samples
                transform(done, plan: plan, window: window, sumOfSquares: sumOfSquares)
                done.removeAll(keepingCapacity: true)
                spare.append(done)
            } else {
                k += 1
            }
        }
    }

    private func transform(_ x: [IQ], plan: FFTPlan, window: [Float], sumOfSquares: Double) {
        let n = plan.size
        for k in 0..<(2 * n) { plan.input[k] = 0 }
        for k in 0..<x.count {
            plan.input[2 * k] = x[k].i * window[k]
            plan.input[2 * k + 1] = x[k].q * window[k]
        }
        plan.execute()
        let scale = 1 / (Double(n) * sumOfSquares)
        for k in 0..<n {
            let re = Double(plan.output[2 * k]), im = Double(plan.output[2 * k + 1])
            sum[(k + n / 2) % n] += (re * re + im * im) * scale
        }
        segments += 1
    }
}

/// What a packet's own spectrum says: peak, energy centroid, the band within 10 dB of the
/// peak, and, for two-tone (FSK) packets, both tones.
struct PacketFrequency: Equatable {
    var peakBin: Double
    var centroidBin: Double
    var lowBin: Double
    var highBin: Double
    var toneBins: [Double]
    /// Signal and noise power in the band, FS².
    var signal: Double
    var noise: Double

    /// Measures `spectrum` (mean power per bin) against `background` within `search`.
    static func measure(_ spectrum: [Double], background: [Double], search: ClosedRange<Int>) -> PacketFrequency? {
        let excess = search.map { max(0, spectrum[$0] - background[$0]) }
        guard excess.count >= 1 else { return nil }
        let smoothed = excess.indices.map { i in excess[max(0, i - 1)...min(excess.count - 1, i + 1)].reduce(0, +) }
        guard let peak = smoothed.indices.max(by: { smoothed[$0] < smoothed[$1] }), excess[peak] > 0 else { return nil }
        let strongest = excess.max() ?? 0
        let inBand = excess.indices.filter { excess[$0] * 10 >= strongest }
        guard let low = inBand.first, let high = inBand.last else { return nil }
        var signal = 0.0, noise = 0.0, moment = 0.0
        for i in inBand {
            signal += excess[i]
            moment += excess[i] * Double(i)
        }
        for i in low...high { noise += background[search.lowerBound + i] }
        // Tones: local maxima within 6 dB of the strongest, 3 bins apart or more, with a dip of 3 dB between.
        var tones = smoothed.indices.filter { i in
            smoothed[i] * 4 >= smoothed[peak] && (i == 0 || smoothed[i] >= smoothed[i - 1]) && (i == smoothed.count - 1 || smoothed[i] > smoothed[i + 1])
        }.sorted { smoothed[$0] > smoothed[$1] }
        var kept: [Int] = []
        for t in tones where kept.allSatisfy({ abs($0 - t) >= 3 && (smoothed[min($0, t)...max($0, t)].min() ?? 0) * 2 <= min(smoothed[$0], smoothed[t]) }) {
            kept.append(t)
            if kept.count == 2 { break }
        }
        tones = kept.count == 2 ? kept.sorted() : []
        let base = Double(search.lowerBound)
        return PacketFrequency(peakBin: base + Double(peak), centroidBin: base + moment / max(signal, 1e-300),
                               lowBin: base + Double(low) - 0.5, highBin: base + Double(high) + 0.5,
                               toneBins: tones.map { base + Double($0) }, signal: signal, noise: noise)
    }
}
