// swift-tools-version: 6.1
//
// Sozialraum: the social-space budget daemon of Landkreis Verden.
//
// Targets are layered; each imports only what stands to its left:
//
//   CLibPQ → PostgresClient → SozialraumDomain → SozialraumStore → SozialraumServices
//          → SozialraumInterfaces → SozialraumPortal → SozialraumApp → sozialraumd
//   SozialraumProtocol + SozialraumCtlKit → sozialraumctl (the client shares only the protocol)
//
// PostgresEmbedded (a private cluster for trials and tests) sits beside PostgresClient.
// See docs/architecture.md.

import PackageDescription

import class Foundation.ProcessInfo

/// CI (`CI` set, as `.ci/run` runs) treats warnings of our own targets as errors; the packages we
/// depend on keep theirs.
let warningsAsErrors: [SwiftSetting] =
    ProcessInfo.processInfo.environment["CI"] == nil ? [] : [.unsafeFlags(["-warnings-as-errors"])]

let strictness: [SwiftSetting] =
    [
        .enableUpcomingFeature("ExistentialAny"),
        .enableUpcomingFeature("MemberImportVisibility"),
    ] + warningsAsErrors

let package = Package(
    name: "sozialraum",
    // Linux only: the admin socket reads peer credentials with SO_PEERCRED, and the daemon runs under systemd.
    products: [
        .executable(name: "sozialraumd", targets: ["sozialraumd"]),
        .executable(name: "sozialraumctl", targets: ["sozialraumctl"]),
        .executable(name: "sozialraum-bench", targets: ["SozialraumBenchmarks"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-configuration", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/vapor/multipart-kit", from: "4.7.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        // MARK: Layer 0: the C library, module map only.
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),

        // UUIDs as PostgreSQL writes them, parsed and written without Foundation's slower formatter (bulk
        // imports and large results); shared by the driver and the layers that read ids from text.
        .target(name: "UUIDText", swiftSettings: strictness),

        // MARK: Layer 1: the only importer of libpq. No C types in its API.
        .target(
            name: "PostgresClient",
            dependencies: [
                "CLibPQ",
                "UUIDText",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictness
        ),
        .target(
            name: "PostgresEmbedded",
            dependencies: [.product(name: "Logging", package: "swift-log")],
            swiftSettings: strictness
        ),

        // MARK: Layer 2: pure domain. No I/O, no database, no Foundation networking.
        .target(
            name: "SozialraumDomain",
            swiftSettings: strictness
        ),

        // MARK: The admin line protocol: parsing and reply encoding, pure (fuzzed on its own).
        .target(
            name: "SozialraumProtocol",
            swiftSettings: strictness
        ),

        // MARK: Layer 3: SQL, migrations, tenancy.
        .target(
            name: "SozialraumStore",
            dependencies: [
                "PostgresClient",
                "UUIDText",
                "SozialraumDomain",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictness,
            plugins: ["EmbedMigrations"]
        ),

        // MARK: Layer 4: use cases.
        .target(
            name: "SozialraumServices",
            dependencies: [
                "SozialraumStore",
                "SozialraumDomain",
                "UUIDText",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                // NIOThreadPool: scrypt runs on threads of its own, never on the cooperative pool.
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictness
        ),

        // The demo county's year, loaded through the use cases (embedded default, trials, tests).
        .target(
            name: "SozialraumDemo",
            dependencies: [
                "SozialraumServices",
                "SozialraumDomain",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictness
        ),

        // MARK: Layer 5: interfaces (admin socket, scheduler, health).
        .target(
            name: "SozialraumInterfaces",
            dependencies: [
                "SozialraumServices",
                "SozialraumDomain",
                "SozialraumProtocol",
                "UUIDText",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                // The metrics endpoint: HTTP/1.1 on loopback or a Unix socket, Prometheus text format.
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictness
        ),

        // The Trägerportal (issue 32): HTTP with Hummingbird, beside the admin socket, on the same use cases; it
        // shares the socket's import slots and its tables (a download is the socket's csv-de, byte for byte).
        .target(
            name: "SozialraumPortal",
            dependencies: [
                "SozialraumInterfaces",
                "SozialraumProtocol",
                "SozialraumServices",
                "SozialraumDomain",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictness
        ),

        // MARK: Layer 6: composition (config, logging, commands), then thin executables.
        .target(
            name: "SozialraumApp",
            dependencies: [
                "SozialraumInterfaces",
                "SozialraumPortal",
                "SozialraumProtocol",
                "SozialraumServices",
                "SozialraumDemo",
                "SozialraumStore",
                "SozialraumDomain",
                "PostgresClient",
                "PostgresEmbedded",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictness
        ),
        .executableTarget(
            name: "sozialraumd",
            dependencies: ["SozialraumApp"],
            swiftSettings: strictness
        ),
        // The admin client: connections (Unix socket, TLS), settings, line editing; then the tool.
        .target(
            name: "SozialraumCtlKit",
            dependencies: [
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strictness
        ),
        .executableTarget(
            name: "sozialraumctl",
            dependencies: [
                "SozialraumCtlKit", "SozialraumProtocol",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictness
        ),

        // MARK: Build plugin: sql/*.sql are compiled into the store, so a binary knows its schema.
        .executableTarget(
            name: "EmbedMigrationsTool",
            path: "Plugins/EmbedMigrationsTool"
        ),
        .plugin(
            name: "EmbedMigrations",
            capability: .buildTool(),
            dependencies: ["EmbedMigrationsTool"]
        ),

        // MARK: Benchmarks (a bench command; see Benchmarks/README.md).
        .executableTarget(
            name: "SozialraumBenchmarks",
            dependencies: [
                "PostgresClient",
                "PostgresEmbedded",
                "SozialraumDomain",
                "SozialraumStore",
                "SozialraumServices",
                "SozialraumInterfaces",
                "SozialraumPortal",
                "SozialraumCtlKit",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            path: "Benchmarks/SozialraumBenchmarks",
            swiftSettings: strictness
        ),

        // MARK: Tests
        .target(
            name: "SozialraumTestSupport",
            dependencies: [
                "SozialraumCtlKit",
                "PostgresClient",
                "PostgresEmbedded",
                "SozialraumStore",
                "SozialraumServices",
                "SozialraumDomain",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/SozialraumTestSupport",
            swiftSettings: strictness
        ),
        .testTarget(
            name: "SozialraumDomainTests",
            dependencies: ["SozialraumDomain", .product(name: "PropertyBased", package: "swift-property-based")],
            swiftSettings: strictness
        ),
        .testTarget(
            name: "SozialraumProtocolTests",
            dependencies: ["SozialraumProtocol", .product(name: "PropertyBased", package: "swift-property-based")],
            swiftSettings: strictness
        ),
        .testTarget(
            name: "SozialraumCtlTests",
            dependencies: ["SozialraumCtlKit"],
            swiftSettings: strictness
        ),
        .testTarget(
            name: "PostgresClientTests",
            dependencies: ["PostgresClient", "PostgresEmbedded", "SozialraumTestSupport", "UUIDText"],
            swiftSettings: strictness
        ),
        .testTarget(
            name: "SozialraumStoreTests",
            dependencies: [
                "SozialraumStore", "SozialraumDomain", "PostgresClient", "PostgresEmbedded", "SozialraumTestSupport",
                "SozialraumServices",
            ],
            swiftSettings: strictness
        ),
        .testTarget(
            name: "SozialraumPortalTests",
            dependencies: [
                "SozialraumPortal", "SozialraumServices", "SozialraumDomain", "SozialraumTestSupport",
                "SozialraumInterfaces", "SozialraumProtocol",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictness
        ),
        .testTarget(
            name: "SozialraumServicesTests",
            dependencies: [
                "SozialraumServices", "SozialraumDemo", "SozialraumProtocol", "SozialraumStore", "SozialraumDomain",
                "PostgresClient", "SozialraumTestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictness
        ),
        .testTarget(
            name: "SozialraumInterfacesTests",
            dependencies: [
                "SozialraumInterfaces", "SozialraumProtocol", "SozialraumServices", "SozialraumStore",
                "SozialraumDomain", "PostgresClient", "PostgresEmbedded",
                "SozialraumTestSupport", "SozialraumCtlKit", "sozialraumctl",
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictness
        ),
        .testTarget(
            name: "SozialraumAppTests",
            dependencies: [
                "SozialraumApp", "SozialraumInterfaces", "SozialraumServices", "SozialraumDomain", "SozialraumStore",
                "PostgresClient", "PostgresEmbedded", "SozialraumTestSupport",
                "sozialraumd", "sozialraumctl",
            ],
            swiftSettings: strictness
        ),
    ],
    swiftLanguageModes: [.v6]
)
