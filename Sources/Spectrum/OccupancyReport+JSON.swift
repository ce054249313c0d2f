import Signal

extension OccupancyReport {
    /// The report as DESIGN.md section 4 fixes it: every emission as `{start_sample, end_sample,
    /// freq_low_hz, freq_high_hz, peak_hz, power_dbfs, snr_db}` (absolute Hz when the centre is
    /// known), the persistent signals, the noise floor and how it was all measured.
    public func jsonValue(recording: String) -> JSONValue {
        func number(_ x: Double) -> JSONValue { .number((x * 1000).rounded() / 1000) }
        let offset = calibration?.offsetDb
        var o = JSONObject()
        o["recording"] = .string(recording)
        o["sample_rate"] = .number(sampleRate)
        o["center_frequency"] = centerFrequency.map { .number($0) } ?? .null
        o["frequencies"] = .string(centerFrequency == nil ? "relative to the centre" : "absolute")
        o["samples"] = .integer(samples)
        var settings = JSONObject()
        settings["fft"] = .integer(Int64(configuration.welch.fftSize))
        settings["window"] = .string(configuration.welch.window.rawValue)
        settings["overlap"] = .number(configuration.welch.overlap)
        settings["averages"] = .integer(Int64(configuration.welch.averages))
        settings["pfa"] = .number(configuration.pfa)
        settings["cell_pfa"] = .number(threshold.cellPfa)
        settings["effective_averages"] = number(threshold.effectiveAverages)
        settings["threshold_db"] = number(decibels(threshold.factor))
        var segmentation = JSONObject()
        segmentation["refined"] = .bool(configuration.refinement.enabled)
        segmentation["sample_pfa"] = .number(configuration.refinement.samplePfa)
        segmentation["gap_class_ratio"] = .number(configuration.refinement.rule.classRatio)
        segmentation["transmission_gap_s"] = .number(configuration.refinement.rule.transmissionGapSeconds)
        settings["segmentation"] = .object(segmentation)
        o["detection"] = .object(settings)
        var floor = JSONObject()
        floor["dbfs_per_bin"] = number(floorDBFSPerBin)
        floor["dbfs_per_hz"] = number(floorDBFSPerHz)
        if let offset { floor["dbm_per_hz"] = number(floorDBFSPerHz + offset) }
        o["noise_floor"] = .object(floor)
        o["calibration"] = calibration.map { .object(JSONObject([("id", .string($0.id)), ("offset_db", number($0.offsetDb))])) } ?? .null
        func band(_ x: inout JSONObject, low: Double, high: Double, peak: Double, power: Double, snr: Double) {
            x["freq_low_hz"] = number(low)
            x["freq_high_hz"] = number(high)
            x["peak_hz"] = number(peak)
            x["power_dbfs"] = number(power)
            if let offset { x["power_dbm"] = number(power + offset) }
            x["snr_db"] = number(snr)
        }
        o["emissions"] = .array(emissions.map { e in
            var x = JSONObject()
            x["start_sample"] = .integer(e.startSample)
            x["end_sample"] = .integer(e.endSample)
            if let t = e.startTime { x["start_time"] = .string(t.rfc3339) }
            band(&x, low: e.frequencyLow, high: e.frequencyHigh, peak: e.peakFrequency, power: e.powerDBFS, snr: e.snrDB)
            if let c = e.centroidFrequency { x["centroid_hz"] = number(c) }
            if !e.tones.isEmpty { x["tones_hz"] = .array(e.tones.map(number)) }
            x["pulses"] = .integer(Int64(e.pulses))
            if let t = e.transmission { x["transmission"] = .integer(Int64(t)) }
            return .object(x)
        })
        // Repeats of one packet grouped: `packets` are indices into `emissions`.
        o["transmissions"] = .array(transmissions.map { t in
            var x = JSONObject()
            x["start_sample"] = .integer(t.startSample)
            x["end_sample"] = .integer(t.endSample)
            x["packets"] = .array(t.packets.map { .integer(Int64($0)) })
            x["freq_low_hz"] = number(t.frequencyLow)
            x["freq_high_hz"] = number(t.frequencyHigh)
            x["peak_hz"] = number(t.peakFrequency)
            return .object(x)
        })
        o["persistent"] = .array(persistent.map { p in
            var x = JSONObject()
            band(&x, low: p.frequencyLow, high: p.frequencyHigh, peak: p.peakFrequency, power: p.powerDBFS, snr: p.snrDB)
            return .object(x)
        })
        return .object(o)
    }
}
