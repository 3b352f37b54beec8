// swift-tools-version: 6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Roost",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "roost", targets: ["roost"]),
        .library(name: "Journal", targets: ["Journal"]),
        .library(name: "Projections", targets: ["Projections"]),
        .library(name: "Frontends", targets: ["Frontends"]),
        .library(name: "MailMessage", targets: ["MailMessage"]),
        .library(name: "Pipeline", targets: ["Pipeline"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // System liblz4 (apt: liblz4-dev); not vendored.
        .systemLibrary(name: "CLZ4", path: "Sources/CLZ4"),
        // CRC32C with the SSE4.2 instruction where the CPU has it, slicing-by-8 otherwise.
        .target(name: "CCRC32C", path: "Sources/CCRC32C"),
        .target(
            name: "Journal",
            dependencies: ["CLZ4", "CCRC32C"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Projections",
            dependencies: ["Journal", "MailMessage", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        // System libresolv (part of libc6-dev) for the DNS resolver the inbound checks share.
        .systemLibrary(name: "CResolv", path: "Sources/CResolv"),
        // Decisions about messages: inbound checks over DNS, and the Sieve language.
        .target(
            name: "Pipeline",
            dependencies: [
                "Journal", "MailMessage", "CResolv",
                // SHA-256, RSA and Ed25519 for DKIM verification.
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // System libcrypt (apt: libcrypt-dev) for crypt(3) password hashes.
        .systemLibrary(name: "CCrypt", path: "Sources/CCrypt"),
        .target(
            name: "Frontends",
            dependencies: [
                "Journal",
                "Projections",
                "Pipeline",
                "MailMessage",
                "CCrypt",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // A toy line protocol (SMTP-like enough for `openssl s_client -starttls smtp`) that drives
        // the shared server, TLS, SASL and limits in tests and in scripts/test-tls.sh.
        .target(
            name: "SharedTestProtocol",
            dependencies: [
                "Frontends",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/Support/SharedTestProtocol",
            swiftSettings: swiftSettings
        ),
        // The toy protocol's listener, for scripts/test-tls.sh (openssl s_client, curl, SIGHUP reload).
        .executableTarget(
            name: "shared-test-listener",
            dependencies: [
                "Frontends",
                "SharedTestProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/Support/shared-test-listener",
            swiftSettings: swiftSettings
        ),
        // Helpers shared by tests and test child processes; not a product.
        .target(
            name: "RoostTesting",
            dependencies: ["Journal"],
            swiftSettings: swiftSettings
        ),
        // RFC 5322 + MIME parsing over bytes. Pure: no I/O, no Foundation; iconv from Glibc.
        .target(
            name: "MailMessage",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "roost",
            dependencies: [
                "Journal",
                "Projections",
                "Frontends",
                "Pipeline",
                "MailMessage",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // A child process for the journal crash tests: appends and prints acknowledged sequence numbers.
        .executableTarget(
            name: "journal-crash-child",
            dependencies: ["Journal"],
            path: "Tests/Support/journal-crash-child",
            swiftSettings: swiftSettings
        ),
        // Prints Roost's IMAP FETCH views of message files, for scripts/compare-dovecot.sh.
        .executableTarget(
            name: "imap-views",
            dependencies: ["MailMessage"],
            path: "Tests/Support/imap-views",
            swiftSettings: swiftSettings
        ),
        // A child process for the projection crash test: appends and applies until killed.
        .executableTarget(
            name: "projection-crash-child",
            dependencies: ["Journal", "Projections", "RoostTesting"],
            path: "Tests/Support/projection-crash-child",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RoostTests",
            dependencies: ["roost", "Pipeline", "Journal"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FrontendsTests",
            dependencies: [
                "Frontends",
                "SharedTestProtocol",
                "Journal",
                "Projections",
                "RoostTesting",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ProjectionsTests",
            dependencies: ["Projections", "Journal", "RoostTesting", "MailMessage"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PipelineTests",
            dependencies: ["Pipeline", "Journal", "MailMessage", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "JournalTests",
            dependencies: ["Journal"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MailMessageTests",
            dependencies: ["MailMessage"],
            // Message files and the Dovecot difference list, read by path (and by compare-dovecot.sh).
            exclude: ["IMAP/Fixtures", "IMAP/dovecot-differences.txt"],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
