// swift-tools-version: 6.1
// libFuzzer targets, in their own package so normal builds never link libFuzzer.
// Build and run with `make fuzz` (see ../../shared/PLATFORM.md for the flags).
import PackageDescription

let package = Package(
    name: "RoostFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Roost", path: ".."),
    ],
    targets: [
        // One executable per parser; each folder's main.swift defines LLVMFuzzerTestOneInput.
        .executableTarget(name: "FuzzJournalRecord", dependencies: [.product(name: "Journal", package: "Roost")], path: "FuzzJournalRecord"),
        .executableTarget(name: "FuzzEventDecode", dependencies: [.product(name: "Journal", package: "Roost")], path: "FuzzEventDecode"),
        .executableTarget(
            name: "FuzzMessageParse",
            dependencies: [.product(name: "MailMessage", package: "Roost")],
            path: "FuzzMessageParse"
        ),
        .executableTarget(
            name: "FuzzPOP3Session",
            dependencies: [
                .product(name: "Frontends", package: "Roost"), .product(name: "Projections", package: "Roost"),
                .product(name: "Journal", package: "Roost"),
            ],
            path: "FuzzPOP3Session"
        ),
        .executableTarget(
            name: "FuzzIMAPViews",
            dependencies: [.product(name: "MailMessage", package: "Roost")],
            path: "FuzzIMAPViews"
        ),
    ]
)
