// swift-tools-version: 6.1
import PackageDescription

/// Trustband: spectrum sensing, violation evidence and a consortium ledger.
///
/// The target graph is the architecture (DESIGN.md section 3): pure targets in the middle
/// (`Signal`, …) never touch a device, a socket or a clock they were not handed; the edges
/// (`Radio`, the CLI) do the I/O.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Trustband",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "trustband", targets: ["trustband"]),
        // The replay driver as a loadable SoapySDR module (install into SoapySDR's module
        // directory to use it from SoapySDRUtil, soapy_power, GNU Radio…).
        .library(name: "SoapyReplayModule", type: .dynamic, targets: ["SoapyReplay"]),
        // The fuzz targets' decoders, for the libFuzzer package in Fuzz/.
        .library(name: "TrustbandFuzzing", targets: ["TrustbandFuzzing"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.0"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.0"),
    ],
    targets: [
        .systemLibrary(name: "CSoapySDR", pkgConfig: "SoapySDR",
                       providers: [.apt(["libsoapysdr-dev"])]),
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3f",
                       providers: [.apt(["libfftw3-dev"])]),
        // Ed25519 verification on the ledger's hot path (docs/ledger.md: 1.6× BoringSSL's here).
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium",
                       providers: [.apt(["libsodium-dev"])]),
        .target(
            name: "SoapyReplay",
            dependencies: ["CSoapySDR"],
            cxxSettings: [.unsafeFlags(["-Wall", "-Wextra"])]
        ),
        // Per-bin Welch arithmetic, compiled for several instruction sets (chosen at load time).
        .target(
            name: "CSpectrumKernels",
            cSettings: [.unsafeFlags(["-O3", "-ffp-contract=off", "-Wall", "-Wextra"])]
        ),
        .target(
            name: "Signal",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Spectrum",
            dependencies: ["CFFTW", "CSpectrumKernels", "Signal"],
            // Per-sample DSP state lives in final classes; the run-time exclusivity checks on
            // their stored properties cost ~11 % of detect's samples in perf (swift_beginAccess,
            // swift_endAccess, AccessSet::insert, __tls_get_addr).
            // Static checks stay on.
            swiftSettings: strictSettings + [.unsafeFlags(["-enforce-exclusivity=unchecked"])]
        ),
        .target(
            name: "Enforcement",
            dependencies: ["Spectrum", "Signal"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Evidence",
            dependencies: ["Signal", "Spectrum", "Enforcement", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Ledger",
            dependencies: ["Signal", "Enforcement", "Evidence", "CSodium", .product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "HashTreeCollections", package: "swift-collections")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "TrustbandFuzzing",
            dependencies: ["Signal", "Enforcement", "Evidence", "Ledger", "Consensus", "Node", "Agent", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "WebUI",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Market",
            dependencies: ["Ledger", "Evidence", "Signal", .product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "HashTreeCollections", package: "swift-collections")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Consensus",
            dependencies: ["Ledger", "Evidence", "Signal", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Storage",
            dependencies: ["Consensus", "Ledger", "Signal", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strictSettings
        ),
        // TLS identities: the consortium CA, certificates naming accounts, reloading contexts.
        .target(
            name: "TransportSecurity",
            dependencies: [.product(name: "NIOSSL", package: "swift-nio-ssl"),
                           .product(name: "X509", package: "swift-certificates"),
                           .product(name: "SwiftASN1", package: "swift-asn1"),
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Node",
            dependencies: ["TransportSecurity", "Consensus", "Ledger", "Storage", "Evidence", "Signal", "WebUI",
                           .product(name: "NIOSSL", package: "swift-nio-ssl"),
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "HummingbirdCore", package: "hummingbird"),
                           .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                           .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                           .product(name: "AsyncHTTPClient", package: "async-http-client"),
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOHTTP1", package: "swift-nio"),
                           .product(name: "NIOWebSocket", package: "swift-nio"),
                           .product(name: "CoreMetrics", package: "swift-metrics"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                           .product(name: "Metrics", package: "swift-metrics"),
                           .product(name: "Prometheus", package: "swift-prometheus"),
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Agent",
            dependencies: ["TransportSecurity", "Storage", "Consensus", "Evidence", "Enforcement", "Spectrum", "Ledger", "Signal", "Radio", "WebUI",
                           .product(name: "NIOSSL", package: "swift-nio-ssl"),
                           .product(name: "HummingbirdCore", package: "hummingbird"),
                           .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                           .product(name: "AsyncHTTPClient", package: "async-http-client"),
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOHTTP1", package: "swift-nio"),
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                           .product(name: "Metrics", package: "swift-metrics"),
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Radio",
            dependencies: ["CSoapySDR", "SoapyReplay", "Signal",
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "TrustbandCLI",
            dependencies: ["TransportSecurity", "Signal", "Spectrum", "Enforcement", "Evidence", "Ledger", "Market", "Radio", "Node", "Storage", "Consensus", "Agent",
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "AsyncHTTPClient", package: "async-http-client"),
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "NIOHTTP1", package: "swift-nio"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                           .product(name: "Metrics", package: "swift-metrics"),
                           .product(name: "Prometheus", package: "swift-prometheus"),
                           .product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "trustband",
            dependencies: ["TrustbandCLI",
                           .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: strictSettings),
        .testTarget(name: "SignalTests", dependencies: ["Signal", "TestSupport", .product(name: "Crypto", package: "swift-crypto")],
                    swiftSettings: strictSettings),
        .testTarget(name: "SpectrumTests", dependencies: ["Spectrum", "Signal", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(name: "EnforcementTests", dependencies: ["Enforcement", "Spectrum", "Signal", "TestSupport"],
                    swiftSettings: strictSettings),
        .testTarget(name: "EvidenceTests", dependencies: ["Evidence", "Enforcement", "Signal", "TestSupport",
                                                          .product(name: "Crypto", package: "swift-crypto")],
                    swiftSettings: strictSettings),
        .testTarget(name: "FuzzRegressionTests", dependencies: ["TrustbandFuzzing", "TestSupport", "Ledger", "Evidence", "Consensus", "Signal", .product(name: "Crypto", package: "swift-crypto")], swiftSettings: strictSettings),
        .testTarget(name: "MarketTests", dependencies: ["Market", "Ledger", "Signal", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(name: "LedgerTests", dependencies: ["Ledger", "Evidence", "Signal", "TestSupport",
                                                        .product(name: "Crypto", package: "swift-crypto"), .product(name: "HashTreeCollections", package: "swift-collections")],
                    exclude: ["Oracles"],
                    swiftSettings: strictSettings),
        .testTarget(name: "ConsensusTests", dependencies: ["Consensus", "Ledger", "Signal", .product(name: "Crypto", package: "swift-crypto")], swiftSettings: strictSettings),
        .testTarget(name: "StorageTests", dependencies: ["Storage", "Consensus", "Ledger", .product(name: "GRDB", package: "GRDB.swift"),
                                                         .product(name: "Crypto", package: "swift-crypto")],
                    swiftSettings: strictSettings),
        .testTarget(name: "TransportSecurityTests", dependencies: ["TransportSecurity", "TestSupport",
                                                                   .product(name: "NIOSSL", package: "swift-nio-ssl"),
                                                                   .product(name: "X509", package: "swift-certificates"),
                                                                   .product(name: "SwiftASN1", package: "swift-asn1"),
                                                                   .product(name: "Logging", package: "swift-log"),
                                                                   .product(name: "Crypto", package: "swift-crypto")],
                    swiftSettings: strictSettings),
        .testTarget(name: "NodeTests", dependencies: ["TransportSecurity", "Node", "Storage", "Consensus", "Ledger", "Evidence", "TestSupport",
                                                      .product(name: "HummingbirdTesting", package: "hummingbird"),
                                                      .product(name: "HummingbirdCore", package: "hummingbird"),
                                                      .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                                                      .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                                                      .product(name: "NIOWebSocket", package: "swift-nio"),
                                                      .product(name: "Crypto", package: "swift-crypto")],
                    swiftSettings: strictSettings),
        .testTarget(name: "AgentTests", dependencies: ["Agent", "Consensus", "Storage", "Ledger", "Evidence", "Signal", "Node", "Radio", "TestSupport",
                                                       .product(name: "Hummingbird", package: "hummingbird"),
                                                       .product(name: "HummingbirdTesting", package: "hummingbird"),
                                                       .product(name: "Logging", package: "swift-log"),
                                                       .product(name: "Crypto", package: "swift-crypto")],
                    swiftSettings: strictSettings),
        .testTarget(name: "RadioTests", dependencies: ["Radio", "Signal", "TestSupport", .product(name: "Logging", package: "swift-log")],
                    swiftSettings: strictSettings),
        .testTarget(name: "TrustbandCLITests", dependencies: ["TrustbandCLI", "Agent", "Node", "Ledger", "TransportSecurity", .product(name: "Logging", package: "swift-log"), "Signal", "Radio", "Enforcement", "Evidence", "TestSupport",
                                                            .product(name: "Crypto", package: "swift-crypto")],
                    swiftSettings: strictSettings),
    ],
    swiftLanguageModes: [.v6],
    cxxLanguageStandard: .cxx17
)
