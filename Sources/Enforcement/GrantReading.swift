import Foundation
import Spectrum

/// What one spectrum says about one grant, in dBm (dBFS plus the calibration offset).
public struct GrantReading: Sendable, Equatable {
    /// The whole granted band lies inside the spectrum; nothing else here means anything if not.
    public var visible: Bool
    /// Highest PSD over any 1 MHz of the granted band (the whole band if narrower), dBm/MHz.
    public var peakPsdDbmPerMhz: Double
    /// Energy in the band stands significantly above the background.
    public var occupied: Bool
    /// Highest PSD over any 1 MHz just outside the band (half a bandwidth each side, less any
    /// other grant's band), counted only where energy stands above the background; dBm/MHz.
    public var worstOutOfBandPsdDbmPerMhz: Double?
    /// Mean PSD over the occupied part of the band (first to last bin above the noise), dBm/MHz;
    /// −∞ when nothing is on. Nil for grants without a nominal service.
    public var deliveredPsdDbmPerMhz: Double?
    /// Span from the lowest to the highest bin in the band standing above the background, Hz.
    public var occupiedBandwidthHz: Double
}

/// Measures grants in spectra: the pure core of the detectors.
public struct GrantMeter: Sendable {
    public let grants: [Grant]
    public let background: Background
    /// dBm − dBFS.
    public let offsetDB: Double
    /// Per-bin and band detection factors over the background.
    public let binFactor: Double

    public init(grants: [Grant], background: Background, threshold: DetectionThreshold, offsetDB: Double) {
        self.grants = grants
        self.background = background
        self.offsetDB = offsetDB
        binFactor = threshold.factor
    }

    /// Reads every grant in `spectrum` (centre frequency known, absolute Hz).
    /// - Parameter floorFactor: how far the noise floor stands from `background.floor` in this
    ///   spectrum (a gain change or a signal's wideband energy): what is significant, occupied
    ///   or lit is judged against the floor where it is.
    public func read(_ spectrum: PowerSpectrum, floorFactor: Double = 1) -> [GrantReading] {
        let n = spectrum.binCount, width = spectrum.binWidth, centre = spectrum.centerFrequency ?? 0
        // Prefix sums of power, so every window sum is two lookups.
        // Against the noise floor, not the per-bin background: a carrier that is always on is
        // background to `detect` but is exactly what an audit measures.
        let noise = background.floor * floorFactor
        var power = [Double](repeating: 0, count: n + 1)
        var above = [Bool](repeating: false, count: n)
        for k in 0..<n {
            power[k + 1] = power[k] + Double(spectrum.mean[k])
            above[k] = Double(spectrum.mean[k]) > binFactor * noise
        }
        func bin(_ f: Double) -> Int { Int(((f - centre) / width + Double(n / 2)).rounded()) }
        func clamp(_ r: Range<Int>) -> Range<Int> {
            let low = min(n, max(0, r.lowerBound))
            return low..<min(n, max(low, r.upperBound))
        }
        func dbmPerMhz(_ sum: Double, bins: Int) -> Double { decibels(sum / (Double(bins) * width / 1e6)) + offsetDB }
        /// Highest mean PSD over `span` bins sliding within `range`, counting only windows whose
        /// power stands above the background when `significant`.
        func peak(_ range: Range<Int>, span: Int, significant: Bool) -> Double? {
            guard !range.isEmpty else { return nil }
            let w = max(1, min(span, range.count))
            var best: Double?
            for start in range.lowerBound...(range.upperBound - w) {
                let p = power[start + w] - power[start], b = noise * Double(w)
                if significant && p <= 2 * b { continue }
                let psd = dbmPerMhz(p, bins: w)
                if best == nil || psd > best! { best = psd }
            }
            return best
        }
        let megahertz = max(1, Int((1e6 / width).rounded()))
        return grants.map { grant in
            let unclamped = bin(grant.frequencyLow)..<bin(grant.frequencyHigh)
            let band = clamp(unclamped)
            let bandPower = power[band.upperBound] - power[band.lowerBound]
            let bandFloor = noise * Double(band.count)
            // The band sum of M bins is close to Gamma(M·K): its threshold is far lower than one bin's.
            let m = Double(max(1, band.count))
            let occupied = bandPower > bandFloor * (1 + max(0.5, (binFactor - 1) / m.squareRoot()))
            let guardBins = max(1, band.count / 2)
            let others = grants.filter { $0.id != grant.id }.map { clamp(bin($0.frequencyLow)..<bin($0.frequencyHigh)) }
            var outside: Double?
            for side in [clamp((band.lowerBound - guardBins)..<band.lowerBound), clamp(band.upperBound..<(band.upperBound + guardBins))] {
                // Split the side into pieces not covered by another grant.
                var start = side.lowerBound
                for k in side.lowerBound...side.upperBound {
                    let covered = k < side.upperBound && others.contains { $0.contains(k) }
                    if covered || k == side.upperBound {
                        if let p = peak(start..<k, span: megahertz, significant: true) { outside = max(outside ?? p, p) }
                        start = k + 1
                    }
                }
            }
            let lit = band.filter { above[$0] }
            let occupiedBandwidth = lit.isEmpty ? 0 : Double(lit.last! - lit.first! + 1) * width
            var delivered: Double?
            if grant.nominal != nil {
                delivered = lit.isEmpty ? -.infinity : dbmPerMhz(power[lit.last! + 1] - power[lit.first!], bins: lit.last! - lit.first! + 1)
            }
            return GrantReading(visible: band == unclamped && !band.isEmpty, peakPsdDbmPerMhz: peak(band, span: megahertz, significant: false) ?? -.infinity, occupied: occupied,
                                worstOutOfBandPsdDbmPerMhz: outside, deliveredPsdDbmPerMhz: delivered,
                                occupiedBandwidthHz: occupiedBandwidth)
        }
    }
}
