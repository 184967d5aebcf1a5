// swift-tools-version: 6.1
import PackageDescription

// The fuzz targets in a build of their own (`scripts/fuzz`): only the modules a stranger's
// bytes reach, each compiled with -sanitize=fuzzer, and nothing else of Station's (no NIO,
// no GRDB, no plugins). `Sources/` links to the project's own module directories, so the
// code fuzzed is the code shipped; the dependencies are the project's, in the same ranges.
let package = Package(
    name: "StationFuzz",
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        .systemLibrary(name: "CZlib", pkgConfig: "zlib"),
        .systemLibrary(name: "CLibFuzzer"),
        .target(name: "StationCore", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "StationProtocol", dependencies: ["StationCore", "CZlib", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "StationConfigFile", dependencies: ["StationCore", .product(name: "TOMLKit", package: "TOMLKit")]),
        .target(
            name: "StationFuzzing",
            dependencies: ["StationCore", "StationProtocol", "StationConfigFile", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "FuzzDriver", dependencies: ["CLibFuzzer"], path: "Driver"),
        .executableTarget(name: "fuzz-batch", dependencies: ["StationFuzzing", "FuzzDriver"], path: "Batch"),
        .executableTarget(name: "fuzz-scan", dependencies: ["StationFuzzing", "FuzzDriver"], path: "Scan"),
        .executableTarget(name: "fuzz-config", dependencies: ["StationFuzzing", "FuzzDriver"], path: "Config"),
    ],
    swiftLanguageModes: [.v6]
)
