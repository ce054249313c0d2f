import CSoapySDR
import Signal
import SoapyReplay

#if canImport(Glibc)
import Glibc
#endif

/// The one adapter between Swift and SoapySDR's C API: owns a device and its RX stream,
/// maps status codes to `RadioError`, and never lets a C pointer escape.
final class SoapyDevice {
    let args: String
    private let handle: OpaquePointer
    private var stream: OpaquePointer?
    private let channel: Int

    /// Result of one `readStream`.
    enum ReadResult {
        case samples(count: Int, timeNs: Int64?, endOfBurst: Bool)
        case timeout(endOfBurst: Bool)
        case overflow
        case failed(code: Int32, message: String)
    }

    /// Opens the device named by `args` (SoapySDR key=value markup).
    init(args: String, channel: Int) throws(RadioError) {
        SoapyRuntime.registerBuiltInDrivers()
        self.args = args
        self.channel = channel
        guard let handle = SoapySDRDevice_makeStrArgs(args) else {
            let message = String(cString: SoapySDRDevice_lastError())
            throw .deviceNotFound(args: args, message: message, available: SoapyRuntime.enumerate(args: ""))
        }
        self.handle = handle
        guard channel < SoapySDRDevice_getNumChannels(handle, SOAPY_SDR_RX) else {
            SoapySDRDevice_unmake(handle)
            throw .invalidArgument(name: "--channel", problem: "the device has no RX channel \(channel)")
        }
    }

    deinit {
        closeStream()
        SoapySDRDevice_unmake(handle)
    }

    private var lastError: String { String(cString: SoapySDRDevice_lastError()) }

    private func check(_ status: Int32, _ setting: String, _ requested: String) throws(RadioError) {
        guard status == 0 else { throw .settingRejected(setting: setting, requested: requested, message: lastError) }
    }

    /// Tunes the device and reads back what it actually does.
    func configure(_ settings: DeviceSettings) throws(RadioError) -> AppliedSettings {
        let ch = channel
        try check(SoapySDRDevice_setSampleRate(handle, SOAPY_SDR_RX, ch, settings.sampleRate), "sample rate", "\(settings.sampleRate) S/s")
        let rate = SoapySDRDevice_getSampleRate(handle, SOAPY_SDR_RX, ch)
        guard abs(rate - settings.sampleRate) <= settings.sampleRate * 1e-3 else {
            throw .settingRejected(setting: "sample rate", requested: "\(settings.sampleRate) S/s", message: "the device runs at \(rate) S/s instead")
        }
        try check(SoapySDRDevice_setFrequency(handle, SOAPY_SDR_RX, ch, settings.frequency, nil), "frequency", "\(settings.frequency) Hz")
        if let antenna = settings.antenna {
            try check(SoapySDRDevice_setAntenna(handle, SOAPY_SDR_RX, ch, antenna), "antenna", antenna)
        }
        if SoapySDRDevice_hasGainMode(handle, SOAPY_SDR_RX, ch) {
            try check(SoapySDRDevice_setGainMode(handle, SOAPY_SDR_RX, ch, false), "gain mode", "manual")
        }
        if let gain = settings.gain {
            let range = SoapySDRDevice_getGainRange(handle, SOAPY_SDR_RX, ch)
            guard gain >= range.minimum - 1e-9, gain <= range.maximum + 1e-9 else {
                throw .settingRejected(setting: "gain", requested: "\(gain) dB", message: "the device's range is \(range.minimum)…\(range.maximum) dB")
            }
            try check(SoapySDRDevice_setGain(handle, SOAPY_SDR_RX, ch, gain), "gain", "\(gain) dB")
        }
        if let bandwidth = settings.bandwidth {
            try check(SoapySDRDevice_setBandwidth(handle, SOAPY_SDR_RX, ch, bandwidth), "bandwidth", "\(bandwidth) Hz")
        }
        return AppliedSettings(
            driver: takeString(SoapySDRDevice_getDriverKey(handle)) ?? "unknown",
            hardware: takeString(SoapySDRDevice_getHardwareKey(handle)) ?? "unknown",
            frequency: SoapySDRDevice_getFrequency(handle, SOAPY_SDR_RX, ch),
            sampleRate: rate,
            gain: SoapySDRDevice_getGain(handle, SOAPY_SDR_RX, ch),
            bandwidth: SoapySDRDevice_getBandwidth(handle, SOAPY_SDR_RX, ch),
            antenna: takeString(SoapySDRDevice_getAntenna(handle, SOAPY_SDR_RX, ch)),
            automaticGain: SoapySDRDevice_hasGainMode(handle, SOAPY_SDR_RX, ch) && SoapySDRDevice_getGainMode(handle, SOAPY_SDR_RX, ch),
            streamFormat: "")
    }

    /// The native stream format if we convert it exactly as the driver scales it, else nil.
    func exactNativeFormat() -> (soapy: String, format: SampleFormat)? {
        var fullScale = 0.0
        guard let name = takeString(SoapySDRDevice_getNativeStreamFormat(handle, SOAPY_SDR_RX, channel, &fullScale)) else { return nil }
        let known: [String: (SampleFormat, Double)] = [
            "CU8": (.cu8, 128), "CS8": (.ci8, 128), "CS16": (.ci16LE, 32768), "CF32": (.cf32LE, 1),
        ]
        guard let (format, expected) = known[name], abs(fullScale - expected) < 1e-9 else { return nil }
        return (name, format)
    }

    /// Sets up and activates the RX stream in `format` (a SoapySDR format name).
    func startStream(format: String) throws(RadioError) {
        var channels = [channel]
        guard let stream = channels.withUnsafeMutableBufferPointer({
            SoapySDRDevice_setupStream(handle, SOAPY_SDR_RX, format, $0.baseAddress, 1, nil)
        }) else {
            // A NULL stream is an error even when the last status says otherwise.
            throw .streamFailed(operation: "set up a \(format)", message: lastError)
        }
        self.stream = stream
        let status = SoapySDRDevice_activateStream(handle, stream, 0, 0, 0)
        guard status == 0 else { throw .streamFailed(operation: "activate", message: "\(statusName(status)): \(lastError)") }
    }

    func closeStream() {
        guard let stream else { return }
        SoapySDRDevice_deactivateStream(handle, stream, 0, 0)
        SoapySDRDevice_closeStream(handle, stream)
        self.stream = nil
    }

    /// Reads up to `count` samples into `destination`.
    func read(into destination: UnsafeMutableRawPointer, count: Int, timeoutMicroseconds: Int) -> ReadResult {
        guard let stream else { return .failed(code: SOAPY_SDR_STREAM_ERROR, message: "stream not started") }
        var flags: Int32 = 0
        var timeNs: Int64 = 0
        var buffer: UnsafeMutableRawPointer? = destination
        let status = withUnsafePointer(to: &buffer) {
            SoapySDRDevice_readStream(handle, stream, $0, count, &flags, &timeNs, timeoutMicroseconds)
        }
        let endOfBurst = flags & Int32(SOAPY_SDR_END_BURST) != 0
        if status > 0 {
            return .samples(count: Int(status), timeNs: flags & Int32(SOAPY_SDR_HAS_TIME) != 0 ? timeNs : nil, endOfBurst: endOfBurst)
        }
        switch status {
        case 0, SOAPY_SDR_TIMEOUT: return .timeout(endOfBurst: endOfBurst)
        case SOAPY_SDR_OVERFLOW: return .overflow
        default: return .failed(code: status, message: statusName(status))
        }
    }

    private func statusName(_ status: Int32) -> String { String(cString: SoapySDR_errToStr(status)) }
}

/// Takes ownership of a C string SoapySDR allocated.
func takeString(_ pointer: UnsafeMutablePointer<CChar>?) -> String? {
    guard let pointer else { return nil }
    defer { SoapySDR_free(pointer) }
    return String(cString: pointer)
}

/// Process-wide SoapySDR set-up.
public enum SoapyRuntime {
    /// Links and registers the in-process drivers (`driver=replay`).
    public static func registerBuiltInDrivers() {
        _ = trustband_soapy_replay_driver_key()
    }

    /// Keeps SoapySDR from loading the system's driver modules in this process (tests and
    /// replay-only runs), leaving the built-in replay driver. Call before any other SoapySDR use.
    public static func useBuiltInDriversOnly() {
        setenv("SOAPY_SDR_ROOT", "/nonexistent", 1)
        setenv("SOAPY_SDR_PLUGIN_PATH", "/nonexistent", 1)
        registerBuiltInDrivers()
    }

    /// Forgets simulated unplug state of replay devices (tests).
    public static func resetReplayFaults() { trustband_soapy_replay_reset_faults() }

    /// Describes every device SoapySDR can find for `args`.
    public static func enumerate(args: String) -> [String] {
        registerBuiltInDrivers()
        var length = 0
        guard let list = SoapySDRDevice_enumerateStrArgs(args, &length) else { return [] }
        defer { SoapySDRKwargsList_clear(list, length) }
        return (0..<length).map { n in
            let kwargs = list[n]
            return (0..<kwargs.size).map { k in "\(String(cString: kwargs.keys[k]!))=\(String(cString: kwargs.vals[k]!))" }
                .joined(separator: ",")
        }
    }

    /// Sends SoapySDR's own log lines to `handler` instead of stderr.
    public static func setLogLevel(_ level: UInt32) { SoapySDR_setLogLevel(SoapySDRLogLevel(level)) }
}
