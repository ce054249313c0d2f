/// SigMF 1.x metadata: the typed `core:` fields Trustband uses, plus every other key kept
/// verbatim (`extra`) so that a read-modify-write loses nothing.
public struct SigMFMetadata: Sendable, Equatable {
    public var global: SigMFGlobal
    public var captures: [SigMFCapture]
    public var annotations: [SigMFAnnotation]

    public init(global: SigMFGlobal, captures: [SigMFCapture] = [SigMFCapture(sampleStart: 0)],
                annotations: [SigMFAnnotation] = []) {
        self.global = global
        self.captures = captures
        self.annotations = annotations
    }

    /// The SigMF specification version we write.
    public static let specVersion = "1.2.0"
    /// Our extension namespace, declared in every file we write.
    public static let trustbandNamespace = SigMFExtension(name: "trustband", version: "0.1.0", optional: true)

    /// The capture segment that holds sample `index` (the last one starting at or before it).
    public func capture(containing index: Int64) -> SigMFCapture? {
        captures.last { $0.sampleStart <= index } ?? captures.first
    }
}

/// The `global` object.
public struct SigMFGlobal: Sendable, Equatable {
    public var datatype: SampleFormat
    public var sampleRate: Double?
    public var version: String
    public var numChannels: Int
    public var sha512: String?
    public var offset: Int64?
    public var trailingBytes: Int64?
    public var description: String?
    public var author: String?
    public var recorder: String?
    public var hardware: String?
    public var license: String?
    public var extensions: [SigMFExtension]
    /// Every other key (other `core:` fields and extension namespaces), in order.
    public var extra: JSONObject

    public init(datatype: SampleFormat, sampleRate: Double?, version: String = SigMFMetadata.specVersion,
                numChannels: Int = 1, sha512: String? = nil, description: String? = nil, author: String? = nil,
                recorder: String? = nil, hardware: String? = nil, license: String? = nil,
                extensions: [SigMFExtension] = [], extra: JSONObject = JSONObject()) {
        self.datatype = datatype
        self.sampleRate = sampleRate
        self.version = version
        self.numChannels = numChannels
        self.sha512 = sha512
        self.description = description
        self.author = author
        self.recorder = recorder
        self.hardware = hardware
        self.license = license
        self.extensions = extensions
        self.extra = extra
    }
}

/// One entry of `core:extensions`.
public struct SigMFExtension: Sendable, Equatable {
    public var name: String
    public var version: String
    public var optional: Bool

    public init(name: String, version: String, optional: Bool) {
        self.name = name
        self.version = version
        self.optional = optional
    }
}

/// A capture segment: parameters that hold from `sampleStart` to the next segment.
public struct SigMFCapture: Sendable, Equatable {
    public var sampleStart: Int64
    public var frequency: Double?
    public var datetime: Timestamp?
    public var headerBytes: Int64?
    public var globalIndex: Int64?
    public var extra: JSONObject

    public init(sampleStart: Int64, frequency: Double? = nil, datetime: Timestamp? = nil,
                headerBytes: Int64? = nil, globalIndex: Int64? = nil, extra: JSONObject = JSONObject()) {
        self.sampleStart = sampleStart
        self.frequency = frequency
        self.datetime = datetime
        self.headerBytes = headerBytes
        self.globalIndex = globalIndex
        self.extra = extra
    }
}

/// An annotation: something about a span of samples (and optionally a band).
public struct SigMFAnnotation: Sendable, Equatable {
    public var sampleStart: Int64
    public var sampleCount: Int64?
    public var freqLowerEdge: Double?
    public var freqUpperEdge: Double?
    public var label: String?
    public var comment: String?
    public var generator: String?
    public var uuid: String?
    public var extra: JSONObject

    public init(sampleStart: Int64, sampleCount: Int64? = nil, freqLowerEdge: Double? = nil,
                freqUpperEdge: Double? = nil, label: String? = nil, comment: String? = nil,
                generator: String? = nil, uuid: String? = nil, extra: JSONObject = JSONObject()) {
        self.sampleStart = sampleStart
        self.sampleCount = sampleCount
        self.freqLowerEdge = freqLowerEdge
        self.freqUpperEdge = freqUpperEdge
        self.label = label
        self.comment = comment
        self.generator = generator
        self.uuid = uuid
        self.extra = extra
    }
}
