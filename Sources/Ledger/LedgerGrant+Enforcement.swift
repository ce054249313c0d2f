import Enforcement
import Signal

extension LedgerGrant {
    /// The grant as the sensing agent enforces it: the band, the window, and the usage rules
    /// of the offer it came from (nominal bandwidth: the bandwidth granted).
    public var enforcementGrant: Grant {
        let nominal = rules.nominalPsdMilliDbmPerMHz.map { psd in
            Grant.Nominal(psdDbmPerMhz: Double(psd) / 1000, bandwidthHz: Double(frequencyHighHz - frequencyLowHz),
                          toleranceDb: Double(rules.nominalToleranceMilliDB ?? 0) / 1000)
        }
        return Grant(id: id, holder: holder, mno: mno, frequencyLow: Double(frequencyLowHz), frequencyHigh: Double(frequencyHighHz),
                     maxPsdDbmPerMhz: Double(rules.maxPsdMilliDbmPerMHz) / 1000, outOfBandMaxPsdDbmPerMhz: Double(rules.outOfBandMaxMilliDbmPerMHz) / 1000,
                     windows: [Grant.Window(start: Timestamp(nanosecondsSinceEpoch: startNs), end: Timestamp(nanosecondsSinceEpoch: endNs))],
                     maxOccupancySeconds: Double(rules.maxOccupancyNs) / 1e9, nominal: nominal)
    }
}
