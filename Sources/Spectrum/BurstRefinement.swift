import Foundation
import Signal

/// Settings of detect's second stage (`BurstRefinement`).
public struct RefinementConfiguration: Sendable, Equatable {
    /// Off: emissions stay as the spectra place them (whole segments).
    public var enabled: Bool
    /// Per-sample false-alarm probability of a band envelope's on-threshold.
    public var samplePfa: Double
    public var rule: PacketRule

    public init(enabled: Bool = true, samplePfa: Double = 1e-6, rule: PacketRule = PacketRule()) {
        self.enabled = enabled
        self.samplePfa = samplePfa
        self.rule = rule
    }
}

/// Detect's second stage: from the emissions the spectra found (where, and roughly when), to
/// packets located to the sample and measured from their own spectrum.
///
/// 1. Emissions whose −10 dB bands overlap form a **channel**; each channel watches windows of
///    the stream around its emissions (a spectrum span, or 12 filter lengths if longer, either side).
/// 2. A third pass runs each channel's `BandEnvelope` over its windows: on-runs at the sample
///    rate (seeking past what no window needs when the source can seek).
/// 3. `PacketRule` turns a channel's runs into packets; the two tones of a weak FSK packet,
///    found in two channels, are joined (`pairTones`); packets become transmissions.
/// 4. A fourth pass measures each packet's own spectrum (`PacketSpectrumAccumulator`): peak,
///    energy centroid, −10 dB band, FSK tones, power and SNR.
/// An emission of the spectra in which no envelope run is found is kept as it was.
enum BurstRefinement {
    struct Channel {
        var lowHz: Double
        var highHz: Double
        var members: [Int]
        /// The band filter's width: the channel's, or its members' 20 dB width (upper quartile) if wider.
        var filterWidth = 0.0
        var windows: [Range<Int64>] = []
        var envelope: BandEnvelope?
    }

    struct Context {
        var background: Background
        var fftSize: Int
        var sampleRate: Double
        var centre: Double
        var samples: Int64
        var spectrumSpan: Int
    }

    static func refine<S: IQSource>(_ coarse: [Emission], context: Context, configuration: RefinementConfiguration,
                                    source makeSource: () throws -> S) throws -> (emissions: [Emission], transmissions: [Transmission]) {
        guard !coarse.isEmpty else { return ([], []) }
        var channels = makeChannels(coarse, context: context)
        for c in channels.indices {
            let width = max(channels[c].highHz - channels[c].lowHz, channels[c].filterWidth)
            let bins = bins(channels[c].lowHz, channels[c].highHz, context)
            let noise = bins.map { context.background.perBin[$0] }.reduce(0, +) / Double(bins.count) * Double(context.fftSize)
            let length = BandEnvelope.filterLength(sampleRate: context.sampleRate, widthHz: width)
            let pad = Int64(max(context.spectrumSpan, 12 * length))
            let envelope = BandEnvelope(offsetHz: (channels[c].lowHz + channels[c].highHz) / 2 - context.centre, widthHz: width,
                                        sampleRate: context.sampleRate, noisePerSample: noise, samplePfa: configuration.samplePfa,
                                        referenceSamples: Int(pad) - 4 * length)
            channels[c].envelope = envelope
            var windows: [Range<Int64>] = []
            for m in channels[c].members.sorted(by: { coarse[$0].startSample < coarse[$1].startSample }) {
                let w = max(0, coarse[m].startSample - pad)..<min(context.samples, coarse[m].endSample + pad)
                if let last = windows.last, w.lowerBound <= last.upperBound {
                    windows[windows.count - 1] = last.lowerBound..<max(last.upperBound, w.upperBound)
                } else {
                    windows.append(w)
                }
            }
            channels[c].windows = windows
        }
        try runEnvelopes(&channels, source: try makeSource())

        // Packets of every channel, then their spectra.
        var packets: [(channel: Int, packet: PacketRule.Packet)] = []
        var kept: [Emission] = []
        for (c, channel) in channels.enumerated() {
            guard let envelope = channel.envelope else { continue }
            // Dips shorter than 1.5 × the filter's support (an FSK transition, a fade) are bridged.
            // Twice the support merged OOK repeats whose gap is 10 symbols (a 10 dB packet's 1 ms
            // gap seen as 714-756 samples through a 3 kHz filter of support 665).
            let support = 3 * envelope.length + envelope.smoothing
            let found = configuration.rule.packets(envelope.runs, bridgeSamples: Int64(3 * support / 2))
            packets += found.map { (c, $0) }
            // What the spectra saw but no envelope confirms stays as the spectra placed it.
            for m in channel.members where !found.contains(where: { $0.start < coarse[m].endSample && $0.end > coarse[m].startSample }) {
                kept.append(coarse[m])
            }
        }
        packets.sort { ($0.packet.start, $0.channel) < ($1.packet.start, $1.channel) }
        packets = pairTones(packets, channels: &channels, spanHz: context.sampleRate / 4, together: Int64(context.spectrumSpan))
        let spectra = try measure(packets.map { $0.packet.start..<$0.packet.end }, context: context, source: try makeSource())
        var emissions: [Emission] = []
        for (n, item) in packets.enumerated() {
            emissions.append(emission(item.packet, channel: channels[item.channel], spectrum: spectra[n], coarse: coarse, context: context))
        }
        // One burst seen through two channels (a wideband burst the spectra found as two
        // bands): packets at the same time whose own spectra overlap are one.
        joinSeenTwice(&emissions, &packets)
        // A packet that is a stronger packet's splatter goes, with its entry in `packets`.
        let measured = emissions, longest = longestSpan(measured)
        let splatter = measured.indices.filter { isSplatter(measured[$0], of: measured, longest: longest) }
        for n in splatter.reversed() {
            emissions.remove(at: n)
            packets.remove(at: n)
        }
        // Transmissions: packets of one channel with short gaps between them.
        let gap = Int64(configuration.rule.transmissionGapSeconds * context.sampleRate)
        var lastOfChannel: [Int: Int] = [:]
        var transmissions: [Transmission] = []
        for (n, item) in packets.enumerated() {
            if let previous = lastOfChannel[item.channel], let t = emissions[previous].transmission,
               item.packet.start - emissions[previous].endSample <= gap {
                emissions[n].transmission = t
                transmissions[t].packets.append(n)
                transmissions[t].endSample = max(transmissions[t].endSample, emissions[n].endSample)
                transmissions[t].frequencyLow = min(transmissions[t].frequencyLow, emissions[n].frequencyLow)
                transmissions[t].frequencyHigh = max(transmissions[t].frequencyHigh, emissions[n].frequencyHigh)
            } else {
                emissions[n].transmission = transmissions.count
                let e = emissions[n]
                transmissions.append(Transmission(startSample: e.startSample, endSample: e.endSample, packets: [n],
                                                  frequencyLow: e.frequencyLow, frequencyHigh: e.frequencyHigh, peakFrequency: e.peakFrequency))
            }
            lastOfChannel[item.channel] = n
        }
        // Emissions kept from the spectra come after, each its own transmission; but not one
        // that is a confirmed packet's splatter.
        let packetsFound = emissions, longestFound = longestSpan(packetsFound)
        for var e in kept where !isSplatter(e, of: packetsFound, longest: longestFound) {
            e.transmission = transmissions.count
            transmissions.append(Transmission(startSample: e.startSample, endSample: e.endSample, packets: [emissions.count],
                                              frequencyLow: e.frequencyLow, frequencyHigh: e.frequencyHigh, peakFrequency: e.peakFrequency))
            emissions.append(e)
        }
        return (emissions, transmissions)
    }

    /// Packets (of different channels) that overlap in time by at least half of the shorter
    /// and whose bands, measured from their own spectra, overlap, are one: the stronger's
    /// measures, the union of spans and bands. A 32-sample burst 250 kHz wide at 20 dB was
    /// found by the spectra as two neighbouring bands, and reported twice.
    private static func joinSeenTwice(_ emissions: inout [Emission], _ packets: inout [(channel: Int, packet: PacketRule.Packet)]) {
        var i = 0
        while i < emissions.count {
            var j = i + 1
            while j < emissions.count, emissions[j].startSample < emissions[i].endSample {
                let a = emissions[i], b = emissions[j]
                let overlap = min(a.endSample, b.endSample) - max(a.startSample, b.startSample)
                let shorter = min(a.endSample - a.startSample, b.endSample - b.startSample)
                guard packets[i].channel != packets[j].channel, overlap * 2 >= shorter,
                      a.frequencyLow <= b.frequencyHigh, b.frequencyLow <= a.frequencyHigh else { j += 1; continue }
                var joined = a.powerDBFS >= b.powerDBFS ? a : b
                joined.startSample = min(a.startSample, b.startSample)
                joined.startTime = a.startSample <= b.startSample ? a.startTime : b.startTime
                joined.endSample = max(a.endSample, b.endSample)
                joined.frequencyLow = min(a.frequencyLow, b.frequencyLow)
                joined.frequencyHigh = max(a.frequencyHigh, b.frequencyHigh)
                joined.pulses = max(a.pulses, b.pulses)
                emissions[i] = joined
                packets[i].packet.start = joined.startSample
                packets[i].packet.end = joined.endSample
                emissions.remove(at: j)
                packets.remove(at: j)
            }
            i += 1
        }
    }

    /// An emission is splatter of the packets around it (keying sidelobes, switching
    /// transients) when packets `splatterMarginDB` or more stronger, each within 8 of its own
    /// widths in frequency, cover at least half of its span in time. Stage one joins faint
    /// fragments 20 dB down; this is for what reaches the second stage: a 10 kBd OOK packet
    /// at 20 dB had the first sidelobes of its rectangular keying (1.5 symbol rates out,
    /// 13-20 dB down) reported as a fourth and fifth emission beside its three repeats.
    static let splatterMarginDB = 10.0

    /// The longest span among `emissions` (0 for none): how far back an overlap can start.
    private static func longestSpan(_ emissions: [Emission]) -> Int64 {
        emissions.map { $0.endSample - $0.startSample }.max() ?? 0
    }

    /// - Parameter packets: sorted by start; `longest` is the longest packet's span, so only
    ///   the packets starting after `e.startSample − longest` can overlap `e` (a binary search,
    ///   not a pass over every packet for every emission).
    private static func isSplatter(_ e: Emission, of packets: [Emission], longest: Int64) -> Bool {
        var lo = 0, hi = packets.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if packets[mid].startSample < e.startSample - longest { lo = mid + 1 } else { hi = mid }
        }
        var covered: Int64 = 0
        for p in packets[lo...] {
            guard p.startSample < e.endSample else { break }
            guard p.powerDBFS - e.powerDBFS >= splatterMarginDB else { continue }
            let gap = max(e.frequencyLow, p.frequencyLow) - min(e.frequencyHigh, p.frequencyHigh)
            guard gap <= 8 * (p.frequencyHigh - p.frequencyLow) else { continue }
            covered += max(0, min(e.endSample, p.endSample) - max(e.startSample, p.startSample))
        }
        return covered * 2 >= e.endSample - e.startSample
    }

    /// Joins the two tones of an FSK packet that the spectra saw as two channels. A weak FSK
    /// packet's tones are not found together: the spectra pick one tone up a few symbols before
    /// the other (its first bits), so they neither start nor end together and stage one keeps
    /// them apart. Two packets of different channels are one FSK packet when their bands are
    /// within `spanHz`, they overlap in time by at least half of the shorter, they start or end
    /// together (within `together` samples: a spectrum span), and they take turns: the time
    /// both tones are on is at most `toneOverlap` of the shorter one's on-time (two emitters
    /// transmitting at once are on together; the band filters' smearing of a weak packet's
    /// symbols makes tones seem on together 40–83 % of the time at 10 dB).
    static let toneOverlap = 0.75

    private static func pairTones(_ packets: [(channel: Int, packet: PacketRule.Packet)], channels: inout [Channel],
                                  spanHz: Double, together: Int64) -> [(channel: Int, packet: PacketRule.Packet)] {
        var result = packets
        var pairedChannel: [[Int]: Int] = [:]
        var i = 0
        while i < result.count {
            let a = result[i]
            var joined = false
            for j in (i + 1)..<result.count {
                let b = result[j]
                // Sorted by start: nothing later overlaps `a` (without this, one channel's
                // packets were all visited for each packet).
                guard b.packet.start < a.packet.end else { break }
                guard b.channel != a.channel else { continue }
                guard let ra = channels[a.channel].envelope?.runs, let rb = channels[b.channel].envelope?.runs else { continue }
                let ca = channels[a.channel], cb = channels[b.channel]
                guard max(ca.lowHz, cb.lowHz) - min(ca.highHz, cb.highHz) <= spanHz else { continue }
                let overlap = min(a.packet.end, b.packet.end) - max(a.packet.start, b.packet.start)
                let shorter = min(a.packet.end - a.packet.start, b.packet.end - b.packet.start)
                guard overlap * 2 >= shorter else { continue }
                guard abs(a.packet.start - b.packet.start) <= together || abs(a.packet.end - b.packet.end) <= together else { continue }
                let onA = onTime(ra, within: a.packet.start..<a.packet.end)
                let onB = onTime(rb, within: b.packet.start..<b.packet.end)
                let both = bothOn(ra, rb, within: max(a.packet.start, b.packet.start)..<min(a.packet.end, b.packet.end))
                guard Double(both) <= toneOverlap * Double(max(1, min(onA, onB))) else { continue }
                // One packet, on a channel spanning both tones (made once per pair of channels).
                let key = [min(a.channel, b.channel), max(a.channel, b.channel)]
                let channel: Int
                if let existing = pairedChannel[key] {
                    channel = existing
                } else {
                    // Its envelopes have run: the channel only carries the band and members.
                    channels.append(Channel(lowHz: min(ca.lowHz, cb.lowHz), highHz: max(ca.highHz, cb.highHz),
                                            members: ca.members + cb.members, filterWidth: max(ca.filterWidth, cb.filterWidth)))
                    channel = channels.count - 1
                    pairedChannel[key] = channel
                }
                let packet = PacketRule.Packet(start: min(a.packet.start, b.packet.start), end: max(a.packet.end, b.packet.end),
                                               pulses: a.packet.pulses + b.packet.pulses, level: max(a.packet.level, b.packet.level))
                result[i] = (channel, packet)
                result.remove(at: j)
                joined = true
                break
            }
            if !joined { i += 1 }
        }
        return result
    }

    /// Samples of `runs` (sorted, disjoint) inside `span`.
    private static func onTime(_ runs: [OnRun], within span: Range<Int64>) -> Int64 {
        runs.reduce(0) { $0 + max(0, min($1.end, span.upperBound) - max($1.start, span.lowerBound)) }
    }

    /// Samples inside `span` where a run of `a` and a run of `b` (each sorted, disjoint) are both on.
    private static func bothOn(_ a: [OnRun], _ b: [OnRun], within span: Range<Int64>) -> Int64 {
        var i = 0, j = 0, total: Int64 = 0
        while i < a.count, j < b.count {
            let start = max(a[i].start, b[j].start, span.lowerBound), end = min(a[i].end, b[j].end, span.upperBound)
            if end > start { total += end - start }
            if a[i].end < b[j].end { i += 1 } else { j += 1 }
        }
        return total
    }

    /// Groups emissions whose −10 dB bands overlap (with two bins to spare).
    private static func makeChannels(_ coarse: [Emission], context: Context) -> [Channel] {
        let slack = 2 * context.sampleRate / Double(context.fftSize)
        var channels: [Channel] = []
        for (n, e) in coarse.enumerated() {
            let low = e.band10Low ?? e.frequencyLow, high = e.band10High ?? e.frequencyHigh
            if let c = channels.firstIndex(where: { low <= $0.highHz + slack && high >= $0.lowHz - slack }) {
                channels[c].lowHz = min(channels[c].lowHz, low)
                channels[c].highHz = max(channels[c].highHz, high)
                channels[c].members.append(n)
            } else {
                channels.append(Channel(lowHz: low, highHz: high, members: [n]))
            }
        }
        // The members' 20 dB widths at their upper quartile (the widest of up to three): a
        // member whose band took in a stray subband hit (a weak packet's first spectrum) gave
        // the filter of all 40 packets of its channel a width of 40-62 kHz for a 4 kHz band.
        for c in channels.indices {
            let widths = channels[c].members.map { coarse[$0].band20Width ?? 0 }.sorted()
            channels[c].filterWidth = widths[widths.count * 3 / 4]
        }
        // The filter passes at least three bins.
        for c in channels.indices where channels[c].highHz - channels[c].lowHz < 3 * slack / 2 {
            let mid = (channels[c].lowHz + channels[c].highHz) / 2
            channels[c].lowHz = mid - 3 * slack / 4
            channels[c].highHz = mid + 3 * slack / 4
        }
        return channels
    }

    private static func bins(_ low: Double, _ high: Double, _ context: Context) -> ClosedRange<Int> {
        let width = context.sampleRate / Double(context.fftSize)
        func bin(_ hz: Double) -> Int { min(context.fftSize - 1, max(0, Int(((hz - context.centre) / width).rounded()) + context.fftSize / 2)) }
        return bin(low)...max(bin(low), bin(high))
    }

    /// The third pass: every channel's envelope over its windows, in stream order.
    private static func runEnvelopes<S: IQSource>(_ channels: inout [Channel], source: S) throws {
        let windows = channels.indices.flatMap { c in channels[c].windows.map { (c, $0) } }.sorted { $0.1.lowerBound < $1.1.lowerBound }
        guard !windows.isEmpty else { return }
        let buffer = IQBuffer(capacity: 1 << 16)
        var nextWindow = 0
        var active: [(Int, Range<Int64>)] = []
        var position: Int64 = 0
        while nextWindow < windows.count || !active.isEmpty {
            if active.isEmpty, let seekable = source as? any SeekableIQSource, windows[nextWindow].1.lowerBound > position {
                seekable.seek(toSample: windows[nextWindow].1.lowerBound)
            }
            guard let info = try source.read(into: buffer) else { break }
            let first = info.sampleIndex, end = first + Int64(info.count)
            position = end
            let block = UnsafeBufferPointer(buffer.samples)
            // This block's part of window `w`; true when the window ends in it (finished).
            func feed(_ c: Int, _ w: Range<Int64>) -> Bool {
                let from = max(first, w.lowerBound), to = min(end, w.upperBound)
                if from < to {
                    channels[c].envelope?.process(UnsafeBufferPointer(rebasing: block[Int(from - first)..<Int(to - first)]), first: from)
                }
                guard w.upperBound <= end else { return false }
                channels[c].envelope?.finish()
                return true
            }
            // Windows already open first: a channel's next window may start in the block where
            // its last one ends, and must not begin before that one is done.
            active.removeAll { feed($0.0, $0.1) }
            while nextWindow < windows.count, windows[nextWindow].1.lowerBound < end {
                let (c, w) = windows[nextWindow]
                nextWindow += 1
                channels[c].envelope?.beginWindow(length: Int64(w.count))
                if !feed(c, w) { active.append((c, w)) }
            }
        }
        for (c, _) in active { channels[c].envelope?.finish() }
    }

    /// The fourth pass: each packet's own mean spectrum (nil when none of it could be read).
    private static func measure<S: IQSource>(_ spans: [Range<Int64>], context: Context, source: S) throws -> [[Double]?] {
        guard !spans.isEmpty else { return [] }
        let plan = try FFTPlan(size: context.fftSize, effort: .estimate)
        var results = [[Double]?](repeating: nil, count: spans.count)
        var windows: [Int: [Float]] = [:]
        var sumsOfSquares: [Int: Double] = [:]
        let buffer = IQBuffer(capacity: 1 << 16)
        var next = 0
        var active: [Int: PacketSpectrumAccumulator] = [:]
        while next < spans.count || !active.isEmpty {
            if active.isEmpty, let seekable = source as? any SeekableIQSource { seekable.seek(toSample: spans[next].lowerBound) }
            guard let info = try source.read(into: buffer) else { break }
            let first = info.sampleIndex, end = first + Int64(info.count)
            while next < spans.count, spans[next].lowerBound < end {
                active[next] = PacketSpectrumAccumulator(packet: spans[next], fftSize: context.fftSize)
                next += 1
            }
            do {
                let block = UnsafeBufferPointer(buffer.samples)
                for (n, accumulator) in active.sorted(by: { $0.key < $1.key }) {
                    let length = accumulator.segmentLength
                    if windows[length] == nil {
                        let w = Window(.hann, length: length)
                        windows[length] = w.coefficients
                        sumsOfSquares[length] = w.sumOfSquares
                    }
                    accumulator.add(block, first: first, plan: plan, window: windows[length]!, sumOfSquares: sumsOfSquares[length]!)
                    if accumulator.isComplete || spans[n].upperBound <= end {
                        if accumulator.segments > 0 { results[n] = accumulator.sum.map { $0 / Double(accumulator.segments) } }
                        active[n] = nil
                    }
                }
            }
        }
        return results
    }

    private static func emission(_ packet: PacketRule.Packet, channel: Channel, spectrum: [Double]?, coarse: [Emission],
                                 context: Context) -> Emission {
        let binWidth = context.sampleRate / Double(context.fftSize)
        func hz(_ bin: Double) -> Double { (bin - Double(context.fftSize / 2)) * binWidth + context.centre }
        // The coarse emission it overlaps most lends what the packet's own spectrum cannot give.
        let source = channel.members.max { a, b in
            overlap(coarse[a], packet) < overlap(coarse[b], packet)
        }.map { coarse[$0] } ?? coarse[channel.members[0]]
        var e = source
        e.startSample = packet.start
        e.endSample = packet.end
        e.startTime = source.startTime.map { $0.advanced(bySamples: packet.start - source.startSample, sampleRate: context.sampleRate) }
        e.pulses = packet.pulses
        e.spectra = max(1, Int((packet.end - packet.start) / Int64(max(1, context.spectrumSpan / 2))))
        let halfWidth = max(channel.highHz - channel.lowHz, 4 * binWidth)
        let search = bins(channel.lowHz - halfWidth / 2, channel.highHz + halfWidth / 2, context)
        if let spectrum, let f = PacketFrequency.measure(spectrum, background: context.background.perBin, search: search) {
            e.peakFrequency = hz(f.peakBin)
            e.centroidFrequency = hz(f.centroidBin)
            e.frequencyLow = hz(f.lowBin)
            e.frequencyHigh = hz(f.highBin)
            e.tones = f.toneBins.map(hz)
            e.powerDBFS = decibels(f.signal)
            e.snrDB = decibels(f.signal / max(f.noise, 1e-30))
        }
        return e
    }

    private static func overlap(_ e: Emission, _ p: PacketRule.Packet) -> Int64 {
        min(e.endSample, p.end) - max(e.startSample, p.start)
    }
}
