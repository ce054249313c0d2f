import Foundation

extension SyntheticScene {
    /// One transmission of the scene as a detector should find it: a burst of a tone or carrier,
    /// or one packet of a keyed emitter. Band edges and peak relative to the centre.
    public struct TruthPacket: Sendable, Equatable {
        public var emitter: Int
        public var span: Range<Int64>
        public var lowHz: Double
        public var highHz: Double
        public var peakHz: Double
    }

    /// Every packet of every emitter, in order of start. The band is where the emitter's
    /// spectrum stands within 10 dB of its peak: a carrier's width, a tone burst's main lobe
    /// (±0.75/duration), an OOK packet's keying sidebands (±symbol rate), an FSK packet's two
    /// tones and their modulation (±(deviation + symbol rate/2)).
    public func truthPackets() -> [TruthPacket] {
        var result: [TruthPacket] = []
        for (n, e) in emitters.enumerated() {
            let f = apparentOffset(of: e)
            let spans = e.isKeyed ? schedule(ofEmitter: n).packets : [span(of: e)]
            for span in spans where !span.isEmpty {
                let half: Double
                switch e.kind {
                case .carrier: half = (e.bandwidthHz ?? 0) / 2
                case .tone: half = 0
                case .ook: half = e.symbolRate ?? 0
                case .fsk: half = (e.deviationHz ?? 0) + (e.symbolRate ?? 0) / 2
                }
                result.append(TruthPacket(emitter: n, span: span, lowHz: f - half, highHz: f + half, peakHz: f))
            }
        }
        return result.sorted { ($0.span.lowerBound, $0.emitter) < ($1.span.lowerBound, $1.emitter) }
    }

    /// SigMF annotations that record the truth: one per packet (a burst of a tone or carrier is
    /// one packet), with its span, band (absolute when the centre is known), label and power.
    public func truthAnnotations() -> [SigMFAnnotation] {
        truthPackets().map { packet in
            let emitter = emitters[packet.emitter]
            var extra = JSONObject()
            extra["trustband:kind"] = .string(emitter.kind.rawValue)
            extra["trustband:power_dbfs"] = .number(emitter.totalPowerDbfs)
            let centre = centerHz ?? 0
            return SigMFAnnotation(sampleStart: packet.span.lowerBound, sampleCount: Int64(packet.span.count),
                                   freqLowerEdge: centre + packet.lowHz, freqUpperEdge: centre + packet.highHz,
                                   label: emitter.label ?? emitter.kind.rawValue, generator: "trustband synth", extra: extra)
        }
    }

    /// Metadata for a recording of this scene (datatype and hash are the writer's to fill in).
    public func metadata(format: SampleFormat) throws(SignalError) -> SigMFMetadata {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        var global = SigMFGlobal(datatype: format, sampleRate: sampleRate,
                                 description: "Synthetic scene (seed \(seed)) with truth annotations",
                                 recorder: "trustband synth")
        if let data = try? encoder.encode(self) {
            global.extra["trustband:scene"] = try JSONValue.parse(data)
        }
        let start = try startTime.map { (text) throws(SignalError) in try Timestamp(rfc3339: text) }
        return SigMFMetadata(global: global, captures: [SigMFCapture(sampleStart: 0, frequency: centerHz, datetime: start)],
                             annotations: truthAnnotations())
    }

    /// Generates the scene into a SigMF recording at `metaPath`.
    @discardableResult
    public func write(to metaPath: String, format: SampleFormat = .cf32LE, overwrite: Bool = false) throws(SignalError) -> SigMFMetadata {
        let source = try SyntheticSource(scene: self)
        let writer = try SigMFWriter(metaPath: metaPath, format: format, overwrite: overwrite)
        let buffer = IQBuffer(capacity: 65_536)
        while try source.read(into: buffer) != nil {
            try writer.append(UnsafeBufferPointer(buffer.samples))
        }
        return try writer.finish(metadata: metadata(format: format))
    }
}
