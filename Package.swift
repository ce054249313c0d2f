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
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.0.0"),
    ],
    targets: [
        .systemLibrary(name: "CSoapySDR", pkgConfig: "SoapySDR",
                       providers: [.apt(["libsoapysdr-dev"])]),
        .systemLibrary(name: "CFFTW", pkgConfig: "fftw3f",
                       providers: [.apt(["libfftw3-dev"])]),
        .target(
            name: "SoapyReplay",
            dependencies: ["CSoapySDR"],
            cxxSettings: [.unsafeFlags(["-Wall", "-Wextra"])]
        ),
        .target(
            name: "Signal",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Spectrum",
            dependencies: ["CFFTW", "Signal"],
            swiftSettings: strictSettings
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
            dependencies: ["Signal", "Enforcement", "Evidence", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Consensus",
            dependencies: ["Ledger", "Evidence", "Signal", .product(name: "Crypto", package: "swift-crypto")],
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
            dependencies: ["Signal", "Spectrum", "Enforcement", "Evidence", "Ledger", "Radio",
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
        .testTarget(name: "LedgerTests", dependencies: ["Ledger", "Evidence", "Signal", "TestSupport",
                                                        .product(name: "Crypto", package: "swift-crypto")],
                    exclude: ["Oracles"],
                    swiftSettings: strictSettings),
        .testTarget(name: "ConsensusTests", dependencies: ["Consensus", "Ledger", "Signal"], swiftSettings: strictSettings),
        .testTarget(name: "RadioTests", dependencies: ["Radio", "Signal", "TestSupport", .product(name: "Logging", package: "swift-log")],
                    swiftSettings: strictSettings),
        .testTarget(name: "TrustbandCLITests", dependencies: ["TrustbandCLI", "Signal", "Radio", "Enforcement", "TestSupport",
                                                            .product(name: "Crypto", package: "swift-crypto")],
                    swiftSettings: strictSettings),
    ],
    swiftLanguageModes: [.v6],
    cxxLanguageStandard: .cxx17
)
