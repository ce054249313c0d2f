// swift-tools-version: 6.0
// libFuzzer targets for every decoder that reads bytes from outside (docs/security.md, "Fuzzing").
// Built apart from the main package, with `-sanitize=fuzzer,address`: `scripts/fuzz.sh`.
import PackageDescription

let package = Package(
    name: "TrustbandFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "Trustband", path: "..")],
    targets: [
        .executableTarget(
            name: "TrustbandFuzz",
            dependencies: [.product(name: "TrustbandFuzzing", package: "Trustband")],
            swiftSettings: [.swiftLanguageMode(.v6), .unsafeFlags(["-parse-as-library"])]
        ),
    ]
)
