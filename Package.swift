// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Station",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "stationd", targets: ["stationd"]),
        .executable(name: "stationctl", targets: ["stationctl"]),
        .executable(name: "stationhub", targets: ["stationhub"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        // The console's passwords: bcrypt (HummingbirdBcrypt only).
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // `make bench`'s in-process figures (Benchmarks/).
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // C bridges: imported by StationInput only.
        .systemLibrary(
            name: "CUdev", pkgConfig: "libudev",
            providers: [.apt(["libudev-dev"])]),
        .systemLibrary(
            name: "CXKBCommon", pkgConfig: "xkbcommon",
            providers: [.apt(["libxkbcommon-dev"])]),
        .target(name: "CEvdevShim"),
        .target(name: "CSystemShim"),
        // zlib, for the hub's strict reading of gzip bodies: imported by StationProtocol only.
        .systemLibrary(
            name: "CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),

        // Pure values: no I/O.
        .target(name: "StationCore", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),

        // The operating system's edge: syscalls wrapped once, the event loop, durable files,
        // signals, sockets, clocks, sd_notify.
        .target(
            name: "StationSystem",
            dependencies: ["CSystemShim", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio")]),

        // The I/O edge for devices.
        .target(
            name: "StationInput",
            dependencies: [
                "StationCore", "StationSystem", "CUdev", "CXKBCommon", "CEvdevShim",
                .product(name: "Logging", package: "swift-log"),
            ]),

        // The journal on the box: GRDB over SQLite (WAL, synchronous=FULL).
        .target(
            name: "StationStore",
            dependencies: [
                "StationCore", "StationSystem",
                .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]),

        // Wire types shared by stationd and stationhub, and the hub's intake of a request
        // body (strict gzip, bounded JSON, what a box may claim): pure but for zlib.
        .target(name: "StationProtocol", dependencies: ["StationCore", "CZlib", .product(name: "Crypto", package: "swift-crypto")]),

        // The box's config file (station.toml) and device tables read into values.
        .target(
            name: "StationConfigFile",
            dependencies: ["StationCore", .product(name: "TOMLKit", package: "TOMLKit")]),

        // The hub as a library: store, ingest, routes.
        .target(
            name: "StationHub",
            dependencies: [
                "StationCore", "StationProtocol",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]),

        // stationd's wiring.
        .target(
            name: "StationDaemon",
            dependencies: [
                "StationCore", "StationSystem", "StationInput", "StationStore", "StationProtocol", "StationConfigFile",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]),

        .executableTarget(
            name: "stationd",
            dependencies: [
                "StationDaemon", "StationConfigFile", "StationCore", "StationSystem", "StationInput", "StationProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(
            name: "stationctl",
            dependencies: [
                "StationCore", "StationDaemon", "StationConfigFile", "StationStore", "StationSystem", "StationInput", "StationProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "stationhub",
            dependencies: [
                "StationHub", "StationProtocol", "StationCore", "StationSystem", "StationConfigFile",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]),

        // In-process figures of the scan path under ordo-one/benchmark (numbers, not
        // assertions): `swift package benchmark`, run by `make bench`.
        .executableTarget(
            name: "StationBenchmarks",
            dependencies: [
                "StationCore", "StationInput", "StationStore", "StationTesting",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/StationBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]),

        // Whole-process benchmark tools: a journal backlog (`fill`) and its drain to a hub
        // (`drain`).
        .executableTarget(
            name: "station-bench",
            dependencies: [
                "StationCore", "StationSystem", "StationInput", "StationStore", "StationTesting", "StationDaemon", "StationHub",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]),

        // One production code path in a process of its own, for tests that kill it between
        // two system calls.
        .executableTarget(name: "station-testtool", dependencies: ["StationDaemon"], path: "Tests/Tools/StationTestTool"),

        // Fuzz targets: pure functions over any bytes, each checking its stage's promises.
        // Here the unit tests replay their corpus; libFuzzer runs them in a package of their
        // own (Tests/Fuzz/Package.swift, `scripts/fuzz`).
        .target(
            name: "StationFuzzing",
            dependencies: ["StationCore", "StationProtocol", "StationConfigFile", .product(name: "Crypto", package: "swift-crypto")]),

        // Helpers for the tests: child processes, project paths, umockdev runs.
        .target(name: "StationTesting", dependencies: ["StationCore", .product(name: "Crypto", package: "swift-crypto")]),

        .testTarget(name: "StationCoreTests", dependencies: ["StationCore", "StationTesting"]),
        .testTarget(name: "StationInputTests", dependencies: ["StationInput", "StationCore", "StationSystem"]),
        .testTarget(name: "StationSystemTests", dependencies: ["StationSystem", "StationTesting"]),
        .testTarget(
            name: "StationDaemonTests",
            dependencies: ["StationDaemon", "StationCore", "StationTesting", .product(name: "Crypto", package: "swift-crypto"), .product(name: "Logging", package: "swift-log")]),
        // A crash-simulating SQLite VFS for the power-cut test (tests only).
        .target(name: "CCrashVFS", path: "Tests/CCrashVFS", linkerSettings: [.linkedLibrary("sqlite3")]),
        .testTarget(
            name: "StationStoreTests",
            dependencies: ["StationStore", "StationCore", "StationDaemon", "StationTesting", "CCrashVFS", .product(name: "Logging", package: "swift-log")]),
        .testTarget(
            name: "StationHubTests",
            dependencies: [
                "StationHub", "StationCore", "StationProtocol", "StationTesting",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        .testTarget(name: "StationConfigFileTests", dependencies: ["StationConfigFile", "StationTesting"]),
        .testTarget(name: "StationFuzzingTests", dependencies: ["StationFuzzing", "StationProtocol", "StationTesting"]),
        .testTarget(name: "EndToEndTests", dependencies: ["StationCore", "StationTesting", .product(name: "Crypto", package: "swift-crypto")]),
    ],
    swiftLanguageModes: [.v6]
)
