import Foundation

/// How on-runs of one band become packets, and packets transmissions (docs/spectrum.md,
/// "Packets and transmissions").
///
/// A keyed packet switches its carrier on and off many times, with gaps of a few symbols; a
/// transmitter that repeats its packet leaves a longer gap between repeats. So the gaps
/// between on-runs fall into classes, and the rule reads them off the gaps themselves:
/// 1. gaps shorter than `bridgeSamples` (the band filter's resolution) are dips, always bridged;
///    so are gaps where the band is not quiet and stands within `dipFraction` of the pulses
///    beside it (`gaps(_:)`);
/// 2. the remaining gaps are sorted; at the top-most place where one is at least `classRatio`
///    times the one below it, the gaps split into a short class (inside packets: symbols,
///    sync gaps) and a long class (between packets), at the geometric mean of the two. The
///    short class counts only when it holds at least `minimumIntraGaps` gaps, the bridged dips
///    of step 1 included (keying is many gaps, not one or two); otherwise every gap separates
///    packets;
/// 3. with no such split, the gaps are all of one class: inside a packet when they are no
///    longer than `trainRatio` × the median on-run (keying), otherwise between packets (a
///    train of separate bursts, or packets of continuous modulation such as FSK).
/// The boundary of step 2 lies at or under the median gap before a run that opens a window
/// (`OnRun.opensWindow`).
/// Packets whose gap is at most `transmissionGapSamples` form one transmission (repeats).
public struct PacketRule: Sendable, Equatable {
    public var classRatio: Double
    public var minimumIntraGaps: Int
    /// A gap whose band is not quiet is a dip when its mean envelope is this fraction of the
    /// weaker neighbouring run's level or more.
    public var dipFraction: Double
    public var trainRatio: Double
    /// Gap between packets of one transmission at most, in seconds.
    public var transmissionGapSeconds: Double

    public init(classRatio: Double = 3, minimumIntraGaps: Int = 3, dipFraction: Double = 0.25, trainRatio: Double = 4,
                transmissionGapSeconds: Double = 0.1) {
        self.classRatio = classRatio
        self.minimumIntraGaps = minimumIntraGaps
        self.dipFraction = dipFraction
        self.trainRatio = trainRatio
        self.transmissionGapSeconds = transmissionGapSeconds
    }

    /// A packet: a span and the runs it was made of.
    public struct Packet: Sendable, Equatable {
        public var start: Int64
        public var end: Int64
        /// On-runs (pulses) inside it.
        public var pulses: Int
        /// Its longest on-run's mean level over noise.
        public var level: Double
    }

    /// The gaps between consecutive runs, 0 for a dip: a gap where the band is not quiet
    /// (`OnRun.occupiedBefore`) and its mean envelope is `dipFraction` of the weaker of the two
    /// runs or more (pulses the on-threshold missed, a fade inside a packet).
    func gaps(_ runs: [OnRun]) -> [Int64] {
        zip(runs, runs.dropFirst()).map { a, b in
            (b.occupiedBefore ?? 0) >= dipFraction * min(a.level, b.level) ? 0 : max(0, b.start - a.offSample)
        }
    }

    /// The smallest gap between packets that this rule sees in `runs` (nil: all gaps bridged).
    public func packetGap(_ runs: [OnRun], bridgeSamples: Int64) -> Int64? {
        packetGap(runs, gaps: gaps(runs), bridgeSamples: bridgeSamples)
    }

    /// `packetGap` with the runs' gaps (`gaps(_:)`) already known. The boundary between the
    /// classes lies at or under the median of the gaps before a run that opens a window (the
    /// spacing of what the spectra saw as separate emissions): a gap far longer than most gaps
    /// between packets is still one (packets the envelope did not confirm lie in it). With the
    /// top-most boundary anywhere, one gap of 222 k samples over others of 50-60 k made it, and
    /// five weak OOK packets 50 ms apart came out as one. (Splitting at every window's first
    /// run instead split a 10 dB packet whose spectra saw it as two pieces 10 ms apart.)
    private func packetGap(_ runs: [OnRun], gaps all: [Int64], bridgeSamples: Int64) -> Int64? {
        let betweenWindows = zip(all, runs.dropFirst()).filter { $0.1.opensWindow }.map(\.0).sorted()
        let ceiling = betweenWindows.isEmpty ? Double.infinity : Double(betweenWindows[betweenWindows.count / 2])
        let gaps = all.filter { $0 >= bridgeSamples }.sorted()
        guard !gaps.isEmpty else { return nil }
        // Dips bridged by the filter's resolution are keying too (a packet keyed faster than the
        // filter resolves): they count towards the short class.
        let dips = all.count - gaps.count
        // The top-most class boundary: gaps above it separate packets.
        for i in stride(from: gaps.count - 1, through: 1, by: -1) where Double(gaps[i]) >= classRatio * Double(max(1, gaps[i - 1])) {
            let boundary = (Double(gaps[i - 1]) * Double(gaps[i])).squareRoot().rounded(.up)
            guard boundary <= ceiling else { continue }
            // Too few short gaps to be keying: every gap separates packets.
            if i + dips < minimumIntraGaps { return gaps[0] }
            return Int64(boundary)
        }
        let pulses = runs.map(\.length).sorted()
        let medianPulse = pulses[pulses.count / 2], medianGap = gaps[gaps.count / 2]
        let keying = Double(medianGap) <= trainRatio * Double(medianPulse) && gaps.count >= minimumIntraGaps
        return keying ? nil : gaps[0]
    }

    /// The packets of one band's on-runs (sorted by start).
    public func packets(_ runs: [OnRun], bridgeSamples: Int64) -> [Packet] {
        guard let first = runs.first else { return [] }
        let gaps = gaps(runs)
        let split = packetGap(runs, gaps: gaps, bridgeSamples: bridgeSamples) ?? .max
        var packets: [Packet] = []
        var current = Packet(start: first.start, end: first.end, pulses: 1, level: first.level)
        var longest = first.length
        for (n, run) in runs.enumerated().dropFirst() {
            if gaps[n - 1] >= split {
                packets.append(current)
                current = Packet(start: run.start, end: run.end, pulses: 1, level: run.level)
                longest = run.length
            } else {
                current.end = max(current.end, run.end)
                current.pulses += 1
                if run.length > longest { longest = run.length; current.level = run.level }
            }
        }
        packets.append(current)
        return packets
    }
}
