// swift-tools-version: 6.1
// libFuzzer targets, in their own package so normal builds never link libFuzzer.
// Build and run with `make fuzz` (see ../../shared/PLATFORM.md for the flags).
import PackageDescription

let package = Package(
    name: "RoostFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Roost", path: ".."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // Starts libFuzzer; every target below depends on it.
        .target(name: "FuzzDriver", path: "FuzzDriver"),
        // One executable per parser; each folder's main.swift defines LLVMFuzzerTestOneInput.
        .executableTarget(name: "FuzzJournalRecord", dependencies: ["FuzzDriver", .product(name: "Journal", package: "Roost")], path: "FuzzJournalRecord"),
        .executableTarget(name: "FuzzEventDecode", dependencies: ["FuzzDriver", .product(name: "Journal", package: "Roost")], path: "FuzzEventDecode"),
        .executableTarget(
            name: "FuzzMessageParse",
            dependencies: ["FuzzDriver", .product(name: "MailMessage", package: "Roost")],
            path: "FuzzMessageParse"
        ),
        .executableTarget(
            name: "FuzzPOP3Session",
            dependencies: [
                "FuzzDriver", .product(name: "Frontends", package: "Roost"), .product(name: "Projections", package: "Roost"),
                .product(name: "Journal", package: "Roost"),
            ],
            path: "FuzzPOP3Session"
        ),
        .executableTarget(
            name: "FuzzIMAPCommand",
            dependencies: [
                "FuzzDriver", .product(name: "Frontends", package: "Roost"), .product(name: "Projections", package: "Roost"),
                .product(name: "Journal", package: "Roost"), .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "FuzzIMAPCommand"
        ),
        .executableTarget(
            name: "FuzzManageSieveSession",
            dependencies: [
                "FuzzDriver", .product(name: "Frontends", package: "Roost"), .product(name: "Pipeline", package: "Roost"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "FuzzManageSieveSession"
        ),
        .executableTarget(
            name: "FuzzSMTPSession",
            dependencies: ["FuzzDriver", .product(name: "Frontends", package: "Roost")],
            path: "FuzzSMTPSession"
        ),
        .executableTarget(
            name: "FuzzDKIMTags",
            dependencies: ["FuzzDriver", .product(name: "Pipeline", package: "Roost")],
            path: "FuzzDKIMTags"
        ),
        .executableTarget(
            name: "FuzzSPFRecord",
            dependencies: ["FuzzDriver", .product(name: "Pipeline", package: "Roost")],
            path: "FuzzSPFRecord"
        ),
        .executableTarget(
            name: "FuzzDNSReply",
            dependencies: ["FuzzDriver", .product(name: "Pipeline", package: "Roost")],
            path: "FuzzDNSReply"
        ),
        .executableTarget(
            name: "FuzzIMAPViews",
            dependencies: ["FuzzDriver", .product(name: "MailMessage", package: "Roost")],
            path: "FuzzIMAPViews"
        ),
    ]
)
