import Foundation
import Signal
import Spectrum

/// How strictly to audit.
public struct AuditConfiguration: Sendable, Equatable {
    /// A rule must be broken this long before a violation is reported, ns.
    public var hold: Int64
    /// …and kept for this long to end it, ns.
    public var release: Int64
    /// Allowance over PSD limits and under nominal levels before a reading counts as broken, dB.
    public var marginDB: Double

    public init(hold: Int64 = 50_000_000, release: Int64 = 50_000_000, marginDB: Double = 0.5) {
        self.hold = hold
        self.release = release
        self.marginDB = marginDB
    }
}

/// Checks spectra against grants and reports violations with hysteresis: the pure core of
/// `trustband audit`. Spectra in (with their times), violations out.
public final class Auditor {
    private enum Rule: Int, CaseIterable {
        case maxPsd, oobMask, outsideWindows, maxOccupancy, nominalPsd, nominalBandwidth

        var kind: Violation.Kind {
            switch self {
            case .maxPsd: return .power
            case .oobMask: return .frequency
            case .outsideWindows, .maxOccupancy: return .time
            case .nominalPsd, .nominalBandwidth: return .degradation
            }
        }

        var name: String {
            ["max_psd", "oob_mask", "outside_windows", "max_occupancy", "nominal_psd", "nominal_bandwidth"][rawValue]
        }
    }

    public let meter: GrantMeter
    public let configuration: AuditConfiguration
    private var trackers: [[ViolationTracker]]
    /// Per grant: when its current transmission began (ns, sample), and when it was last seen.
    private var transmissions: [(startNs: Int64, startSample: Int64, lastNs: Int64)?]
    private var limits: [[(limit: Double, unit: String)]]
    private let epoch: Timestamp?

    /// - Parameter epoch: time of sample 0 when the spectra carry none (nil: relative times).
    public init(meter: GrantMeter, configuration: AuditConfiguration = AuditConfiguration(), epoch: Timestamp? = nil) {
        self.meter = meter
        self.configuration = configuration
        self.epoch = epoch
        let tracker = ViolationTracker(hold: configuration.hold, release: configuration.release)
        trackers = meter.grants.map { grant in
            Rule.allCases.map { rule in
                // Occupancy is already a duration: report it as soon as the limit is passed.
                rule == .maxOccupancy ? ViolationTracker(hold: 0, release: configuration.release) : tracker
            }
        }
        transmissions = meter.grants.map { _ in nil }
        limits = meter.grants.map { g in
            let nominalPsd = (g.nominal?.psdDbmPerMhz ?? 0) - (g.nominal?.toleranceDb ?? 0)
            let nominalBandwidth = (g.nominal?.bandwidthHz ?? 0) * pow(10, -(g.nominal?.toleranceDb ?? 0) / 10)
            // Outside the windows any energy is too much: no level is allowed (−∞).
            return [(g.maxPsdDbmPerMhz, "dBm/MHz"), (g.outOfBandMaxPsdDbmPerMhz, "dBm/MHz"), (-.infinity, "dBm/MHz"),
                    (g.maxOccupancySeconds, "s"), (nominalPsd, "dBm/MHz"), (nominalBandwidth, "Hz")]
        }
    }

    /// Takes the next spectrum; returns violations that ended with it.
    /// - Parameter floorShiftDB: how far the spectrum's noise floor moved against the stream's
    ///   start (`RadioImpairmentScreen`; 0 when it did not). A rise may be the gain, making
    ///   every reading that much too high, so upper limits are widened by it; a drop widens the
    ///   lower (nominal service) limits by as much. Excesses are reported net of it.
    public func add(_ spectrum: PowerSpectrum, floorShiftDB: Double = 0) -> [Violation] {
        let readings = meter.read(spectrum, floorFactor: pow(10, floorShiftDB / 10))
        let rise = max(0, floorShiftDB), drop = max(0, -floorShiftDB)
        let rate = spectrum.sampleRate
        let startTime = spectrum.time ?? epoch?.advanced(bySamples: spectrum.startSample, sampleRate: rate)
        let startNs = startTime?.nanosecondsSinceEpoch ?? Int64((Double(spectrum.startSample) / rate * 1e9).rounded())
        let endNs = startNs + Int64((Double(spectrum.endSample - spectrum.startSample) / rate * 1e9).rounded())
        var finished: [Violation] = []
        for (g, grant) in meter.grants.enumerated() where readings[g].visible {
            let r = readings[g]
            let over = configuration.marginDB + rise, under = configuration.marginDB + drop
            // Duration of the transmission in progress (time rule), bridging gaps up to `release`.
            var occupiedFor = 0.0
            if r.occupied {
                if let t = transmissions[g], startNs - t.lastNs <= configuration.release {
                    transmissions[g] = (t.startNs, t.startSample, endNs)
                } else {
                    transmissions[g] = (startNs, spectrum.startSample, endNs)
                }
                occupiedFor = Double(endNs - transmissions[g]!.startNs) / 1e9
            } else if let t = transmissions[g], startNs - t.lastNs > configuration.release {
                transmissions[g] = nil
            }
            let inWindow = startTime.map { grant.allows($0) }
            var checks: [(Rule, Bool, Double, Double)] = [
                (.maxPsd, r.occupied && r.peakPsdDbmPerMhz > grant.maxPsdDbmPerMhz + over,
                 r.peakPsdDbmPerMhz, r.peakPsdDbmPerMhz - grant.maxPsdDbmPerMhz - rise),
                (.oobMask, r.occupied && (r.worstOutOfBandPsdDbmPerMhz ?? -.infinity) > grant.outOfBandMaxPsdDbmPerMhz + over,
                 r.worstOutOfBandPsdDbmPerMhz ?? -.infinity, (r.worstOutOfBandPsdDbmPerMhz ?? -.infinity) - grant.outOfBandMaxPsdDbmPerMhz - rise),
                (.outsideWindows, r.occupied && inWindow == false, r.peakPsdDbmPerMhz, r.peakPsdDbmPerMhz),  // worst = strongest
                (.maxOccupancy, occupiedFor > grant.maxOccupancySeconds, occupiedFor, 10 * log10(max(occupiedFor, 1e-9) / grant.maxOccupancySeconds)),
            ]
            if let nominal = grant.nominal, inWindow != false {
                let delivered = r.deliveredPsdDbmPerMhz ?? -.infinity
                let psdLimit = nominal.psdDbmPerMhz - nominal.toleranceDb
                checks.append((.nominalPsd, delivered < psdLimit - under, delivered, psdLimit - delivered - drop))
                let bandwidthLimit = limits[g][Rule.nominalBandwidth.rawValue].limit
                checks.append((.nominalBandwidth, r.occupiedBandwidthHz < bandwidthLimit * pow(10, -under / 10), r.occupiedBandwidthHz,
                               10 * log10(bandwidthLimit / max(r.occupiedBandwidthHz, 1)) - drop))
            }
            for (rule, broken, measured, excess) in checks {
                let observation = ViolationTracker.Observation(startNs: startNs, endNs: endNs, startSample: spectrum.startSample,
                                                               endSample: spectrum.endSample, broken: broken, measured: measured, excess: excess)
                if let span = trackers[g][rule.rawValue].observe(observation) {
                    finished.append(violation(span, rule: rule, grant: g, timed: startTime != nil))
                }
            }
        }
        return finished
    }

    /// Ends the stream: violations still open.
    public func finish(timed: Bool) -> [Violation] {
        var finished: [Violation] = []
        for g in meter.grants.indices {
            for rule in Rule.allCases {
                if let span = trackers[g][rule.rawValue].finish() { finished.append(violation(span, rule: rule, grant: g, timed: timed)) }
            }
        }
        return finished
    }

    private func violation(_ span: ViolationTracker.Span, rule: Rule, grant g: Int, timed: Bool) -> Violation {
        let grant = meter.grants[g]
        let (limit, unit) = limits[g][rule.rawValue]
        // For max_occupancy the span begins with the first spectrum past the allowance: the
        // moment the transmission became too long.
        return Violation(kind: rule.kind, grantID: grant.id, suspect: rule.kind == .degradation ? grant.mno : grant.holder,
                         startSample: span.startSample, endSample: span.endSample,
                         startTime: timed ? Timestamp(nanosecondsSinceEpoch: span.startNs) : nil,
                         endTime: timed ? Timestamp(nanosecondsSinceEpoch: span.endNs) : nil,
                         measured: span.worstMeasured, limit: limit, unit: unit,
                         marginDB: rule == .outsideWindows ? .infinity : span.worstExcess, rule: rule.name)
    }
}
