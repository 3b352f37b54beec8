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
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
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
            dependencies: ["Journal", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        // System libcrypt (apt: libcrypt-dev) for crypt(3) password hashes.
        .systemLibrary(name: "CCrypt", path: "Sources/CCrypt"),
        .target(
            name: "Frontends",
            dependencies: ["Journal", "Projections", "CCrypt"],
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
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
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
            name: "FrontendsTests",
            dependencies: ["Frontends"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ProjectionsTests",
            dependencies: ["Projections", "Journal", "RoostTesting"],
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
