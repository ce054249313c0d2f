/// Failures of an SDR, each naming the device and what was asked of it.
public enum RadioError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No SoapySDR driver could make a device from these args.
    case deviceNotFound(args: String, message: String, available: [String])
    /// A setting the device refused or could not honour.
    case settingRejected(setting: String, requested: String, message: String)
    /// The stream could not be set up or started.
    case streamFailed(operation: String, message: String)
    /// The device stopped answering and could not be reopened within the policy's attempts.
    case deviceLost(args: String, attempts: Int, message: String)
    /// A value given by the user is out of range.
    case invalidArgument(name: String, problem: String)

    public var description: String {
        switch self {
        case .deviceNotFound(let args, let message, let available):
            let found = available.isEmpty ? "no devices found" : "devices found: " + available.joined(separator: "; ")
            return "no SoapySDR device matches '\(args)': \(message) (\(found))"
        case .settingRejected(let setting, let requested, let message):
            return "device refused \(setting) = \(requested): \(message)"
        case .streamFailed(let operation, let message):
            return "cannot \(operation) the stream: \(message)"
        case .deviceLost(let args, let attempts, let message):
            return "device '\(args)' is gone and \(attempts) attempts to reopen it failed: \(message)"
        case .invalidArgument(let name, let problem):
            return "\(name): \(problem)"
        }
    }
}
