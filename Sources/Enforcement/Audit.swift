import Foundation
import Signal
import Spectrum

/// The result of an audit: every violation, and how it was measured.
public struct AuditReport: Sendable {
    public var violations: [Violation]
    public var floorDBFSPerHz: Double
    public var calibration: AppliedCalibration?
    public var samples: Int64
    public var sampleRate: Double
    /// FFT size of the spectra measured, and the noise floor per bin of them (dBFS).
    public var fftSize: Int
    public var floorDBFSPerBin: Double
    /// What the receiver did: DC steps (kept out of every rule) and floor shifts (read with
    /// the benefit of the doubt), as stretches of consecutive spectra.
    public var impairments: [ImpairedSpan] = []

    /// Spectra affected, per impairment.
    public var impairedSpectra: [RadioImpairment: Int] {
        impairments.reduce(into: [:]) { $0[$1.impairment, default: 0] += $1.spectra }
    }
}

/// Audits a stream against grants in two passes (the background first, as `detect` learns it).
/// Each segment's mean is taken out before the window (a receiver's steady DC offset is not a
/// transmission); spectra with a step of the DC are kept out of every rule, and those whose
/// floor moved are read with the benefit of the doubt (`RadioImpairmentScreen`); both are
/// reported.
public enum Audit {
    /// The Welch estimate an audit measures with, from `detect`'s: the same, less each
    /// segment's mean. An evidence verifier measures with it too.
    public static func welch(_ detection: WelchConfiguration) -> WelchConfiguration {
        var welch = detection
        welch.removeDC = true
        return welch
    }

    /// - Parameter startFloorPerBin: the noise power per bin (FS²) the receiver showed at its
    ///   configured gain, when known from earlier streams (an agent's first segment); nil
    ///   takes it from this stream's first quiet spectra.
    public static func run<S: IQSource>(grants: [Grant], detection: DetectionConfiguration = DetectionConfiguration(),
                                        configuration: AuditConfiguration = AuditConfiguration(),
                                        calibration: AppliedCalibration? = nil, epoch: Timestamp? = nil,
                                        startFloorPerBin: Double? = nil,
                                        source makeSource: () throws -> S) throws -> AuditReport {
        var detection = detection
        detection.welch = welch(detection.welch)
        let learned = try OccupancyAnalysis.learn(detection, source: try makeSource())
        var screen = RadioImpairmentScreen(reference: learned.background.levels, floorPerBin: learned.background.floor,
                                           effectiveAverages: learned.threshold.effectiveAverages)
        if let startFloorPerBin {
            screen.setStart(floorPerBin: startFloorPerBin, pooledFloor: learned.background.floor)
        } else {
            screen.learnStart(from: try firstSpectra(of: try makeSource(), welch: learned.welch))
        }
        // Levels are read at the gain the stream started with: when the background, pooled over
        // the whole stream, was measured at another, the gain changed in it and the start holds.
        var background = learned.background
        if abs(decibels(screen.startLevel)) > screen.maxFloorShiftDB {
            background.floor *= screen.startLevel
        }
        let meter = GrantMeter(grants: grants, background: background, threshold: learned.threshold,
                               offsetDB: calibration?.offsetDb ?? 0)
        let auditor = Auditor(meter: meter, configuration: configuration, epoch: epoch)
        var violations: [Violation] = []
        var impairments: [ImpairedSpan] = []
        var samples: Int64 = 0
        var timed = epoch != nil
        func note(_ impairment: RadioImpairment, _ dB: Double, _ spectrum: PowerSpectrum) {
            let start = spectrum.time ?? epoch?.advanced(bySamples: spectrum.startSample, sampleRate: spectrum.sampleRate)
            let end = start?.advanced(bySamples: spectrum.endSample - spectrum.startSample, sampleRate: spectrum.sampleRate)
            if let last = impairments.last, last.impairment == impairment, spectrum.startSample <= last.endSample {
                impairments[impairments.count - 1].endSample = spectrum.endSample
                impairments[impairments.count - 1].endTime = end
                impairments[impairments.count - 1].spectra += 1
                if abs(dB) > abs(last.worstDB) { impairments[impairments.count - 1].worstDB = dB }
            } else {
                impairments.append(ImpairedSpan(impairment: impairment, startSample: spectrum.startSample, endSample: spectrum.endSample,
                                                startTime: start, endTime: end, spectra: 1, worstDB: dB))
            }
        }
        // Each spectrum is judged once the next is in: a step of the DC at the join of two
        // spectra lies in both.
        let held = PowerSpectrum.like(learned.welch, sampleRate: learned.sampleRate)
        var heldAssessment: RadioImpairmentScreen.Assessment?
        func judge(_ spectrum: PowerSpectrum, _ assessment: RadioImpairmentScreen.Assessment) {
            if let dB = assessment.dcStepDB {
                note(.dcStep, dB, spectrum)
                return
            }
            if assessment.floorShiftDB != 0 { note(.floorShift, assessment.floorShiftDB, spectrum) }
            violations += auditor.add(spectrum, floorShiftDB: assessment.floorShiftDB)
        }
        try OccupancyAnalysis.spectra(of: try makeSource(), welch: learned.welch, samples: &samples) { spectrum in
            if spectrum.time != nil { timed = true }
            let assessment = screen.assess(spectrum)
            if var before = heldAssessment {
                if assessment.previousHoldsStep, before.dcStepDB == nil { before.dcStepDB = assessment.dcStepDB }
                judge(held, before)
            }
            held.copyEstimate(from: spectrum)
            heldAssessment = assessment
        }
        if let last = heldAssessment { judge(held, last) }
        violations += auditor.finish(timed: timed)
        violations.sort { ($0.startSample, $0.grantID, $0.rule) < ($1.startSample, $1.grantID, $1.rule) }
        let binWidth = learned.sampleRate / Double(learned.welch.fftSize)
        return AuditReport(violations: violations, floorDBFSPerHz: decibels(background.floor / binWidth),
                           calibration: calibration, samples: samples, sampleRate: learned.sampleRate,
                           fftSize: learned.welch.fftSize, floorDBFSPerBin: decibels(background.floor),
                           impairments: impairments)
    }

    /// The spectra of a stream's first `count` × `spectrumHop` samples (copies).
    static func firstSpectra<S: IQSource>(of source: S, welch: WelchConfiguration, count: Int = 32) throws -> [PowerSpectrum] {
        let estimator = try WelchEstimator(configuration: welch, sampleRate: source.stream.sampleRate)
        let buffer = IQBuffer(capacity: 1 << 14)
        var spectra: [PowerSpectrum] = []
        while spectra.count < count, let info = try source.read(into: buffer) {
            estimator.process(UnsafeBufferPointer(buffer.samples), info: info) { spectra.append($0.snapshot()) }
        }
        return Array(spectra.prefix(count))
    }
}
