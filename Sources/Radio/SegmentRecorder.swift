import Foundation
import Signal

/// Writes what an open device source delivers into SigMF files, one segment at a time: the
/// device's own format byte for byte when it can be converted exactly (so a replayed recording
/// is reproduced bit for bit), a new capture at every gap (with the gap's `core:global_index`),
/// and the device's settings and counters in `trustband:device`.
public enum SegmentRecorder {
    public struct Segment: Sendable {
        public var metadata: SigMFMetadata
        public var samples: Int64
    }

    /// Captures the next `samples` samples (fewer only if the source ends) into `metaPath`.
    /// Returns nil when the source had nothing more to give.
    public static func record(from source: SoapyDeviceSource, args: String, samples: Int64, to metaPath: String,
                              recorder: String, overwrite: Bool = false, buffer: IQBuffer,
                              observe: ((UnsafeBufferPointer<IQ>, BlockInfo) -> Void)? = nil) throws -> Segment? {
        let writer = try SigMFWriter(metaPath: metaPath, format: source.deviceFormat, overwrite: overwrite)
        var captures: [SigMFCapture] = []
        while writer.samplesWritten < samples, let info = try source.read(into: buffer) {
            if captures.isEmpty || info.discontinuity {
                captures.append(SigMFCapture(sampleStart: writer.samplesWritten, frequency: info.centerFrequency,
                                             datetime: info.time, globalIndex: info.sampleIndex))
            }
            let take = Int(min(Int64(info.count), samples - writer.samplesWritten))
            observe?(UnsafeBufferPointer(rebasing: buffer.samples[0..<take]), info)
            let raw = source.lastRawBlock
            try writer.appendRaw(UnsafeRawBufferPointer(rebasing: raw[0..<(take * source.deviceFormat.bytesPerSample)]))
        }
        // An unfinished writer removes its partial file.
        guard writer.samplesWritten > 0 else { return nil }
        let applied = source.applied
        var global = SigMFGlobal(datatype: source.deviceFormat, sampleRate: applied.sampleRate,
                                 recorder: recorder, hardware: "\(applied.driver) (\(applied.hardware))")
        var device = JSONObject()
        device["args"] = .string(args)
        device["driver"] = .string(applied.driver)
        device["hardware"] = .string(applied.hardware)
        device["stream_format"] = .string(applied.streamFormat)
        device["gain_db"] = .number(applied.gain)
        device["agc"] = .bool(applied.automaticGain)
        device["bandwidth_hz"] = .number(applied.bandwidth)
        if let antenna = applied.antenna { device["antenna"] = .string(antenna) }
        let s = source.statistics
        device["overflows"] = .integer(s.overflows)
        device["dropped_samples"] = .integer(s.droppedSamples)
        device["reconnects"] = .integer(s.reconnects)
        global.extra["trustband:device"] = .object(device)
        let metadata = try writer.finish(metadata: SigMFMetadata(global: global, captures: captures))
        return Segment(metadata: metadata, samples: writer.samplesWritten)
    }
}
