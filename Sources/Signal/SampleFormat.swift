/// The numeric type of one I or Q component.
public enum ComponentType: String, Sendable, CaseIterable {
    case u8, i8, u16, i16, u32, i32, f32, f64

    /// Size of one component in bytes.
    public var byteWidth: Int {
        switch self {
        case .u8, .i8: return 1
        case .u16, .i16: return 2
        case .u32, .i32, .f32: return 4
        case .f64: return 8
        }
    }

    /// Whether the component is an integer (and so is scaled to ±1 full scale).
    public var isInteger: Bool { self != .f32 && self != .f64 }

    /// Whether the component is an unsigned integer (offset binary).
    public var isUnsigned: Bool { self == .u8 || self == .u16 || self == .u32 }
}

/// A complex sample format: a SigMF 1.x complex datatype such as `cf32_le`, `ci16_le`, `cu8`.
///
/// Integers convert to float with SigMF's (and sigmf-python's) scaling: signed `x / 2^(n-1)`,
/// unsigned `(x - 2^(n-1)) / 2^(n-1)`, so full scale is ±1 for every format.
public struct SampleFormat: Sendable, Hashable, CustomStringConvertible {
    public var component: ComponentType
    public var bigEndian: Bool

    public init(component: ComponentType, bigEndian: Bool = false) {
        self.component = component
        self.bigEndian = component.byteWidth == 1 ? false : bigEndian
    }

    public static let cu8 = SampleFormat(component: .u8)
    public static let ci8 = SampleFormat(component: .i8)
    public static let ci16LE = SampleFormat(component: .i16)
    public static let cf32LE = SampleFormat(component: .f32)

    /// Bytes per complex sample (I and Q).
    public var bytesPerSample: Int { component.byteWidth * 2 }

    /// The SigMF datatype name (`cf32_le`, `ci8`, …).
    public var sigmfName: String {
        let base = "c" + component.rawValue
        return component.byteWidth == 1 ? base : base + (bigEndian ? "_be" : "_le")
    }

    public var description: String { sigmfName }

    /// Parses a SigMF datatype or a common alias (cs8, cs16, cf32, cfile, ci16, …).
    ///
    /// Stricter than SigMF's schema regex, which is not anchored at its end: the whole name
    /// must match, and a multi-byte type without `_le`/`_be` is taken as little-endian only
    /// through the explicit aliases.
    public init(parsing name: String) throws(SignalError) {
        let lowered = name.lowercased()
        if let alias = Self.aliases[lowered] {
            self = alias
            return
        }
        guard lowered.count >= 3, let kind = lowered.first else { throw .unknownDatatype(name) }
        var body = Substring(lowered.dropFirst())
        var bigEndian = false
        var hasEndianness = false
        if body.hasSuffix("_le") || body.hasSuffix("_be") {
            bigEndian = body.hasSuffix("_be")
            hasEndianness = true
            body = body.dropLast(3)
        }
        guard let component = ComponentType(rawValue: String(body)) else { throw .unknownDatatype(name) }
        if component.byteWidth == 1 && hasEndianness { throw .unknownDatatype(name) }
        if component.byteWidth > 1 && !hasEndianness { throw .unknownDatatype(name) }
        switch kind {
        case "c": self.init(component: component, bigEndian: bigEndian)
        case "r": throw .unsupportedDatatype(name, reason: "real-valued samples; Trustband needs complex IQ")
        default: throw .unknownDatatype(name)
        }
    }

    /// Format names accepted besides SigMF's own: the file extensions of common tools.
    static let aliases: [String: SampleFormat] = [
        "cs8": .ci8, "s8": .ci8,
        "cs16": .ci16LE, "ci16": .ci16LE, "s16": .ci16LE, "cs16_le": .ci16LE,
        "cf32": .cf32LE, "cfile": .cf32LE, "fc32": .cf32LE, "complex": .cf32LE,
        "cf64": SampleFormat(component: .f64),
    ]

    /// The format implied by a raw file's extension (`x.cu8`, `x.cs16`, `x.cfile`…), if any.
    public static func inferred(fromPath path: String) -> SampleFormat? {
        guard let dot = path.lastIndex(of: "."), !path[dot...].contains("/") else { return nil }
        return try? SampleFormat(parsing: String(path[path.index(after: dot)...]))
    }
}
