import Foundation

extension SyntheticScene {
    /// SigMF annotations that record the truth: one per emitter, with its span, band (absolute
    /// when the centre is known), label and power.
    public func truthAnnotations() -> [SigMFAnnotation] {
        emitters.map { emitter in
            let span = span(of: emitter)
            let centre = apparentOffset(of: emitter) + (centerHz ?? 0)
            let halfWidth = emitter.kind == .carrier ? (emitter.bandwidthHz ?? 0) / 2 : 0
            var extra = JSONObject()
            extra["trustband:kind"] = .string(emitter.kind.rawValue)
            extra["trustband:power_dbfs"] = .number(emitter.totalPowerDbfs)
            return SigMFAnnotation(sampleStart: span.lowerBound, sampleCount: span.upperBound - span.lowerBound,
                                   freqLowerEdge: centre - halfWidth, freqUpperEdge: centre + halfWidth,
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
