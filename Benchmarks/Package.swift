// swift-tools-version: 6.1
// Benchmarks live in their own package so product builds and CI never compile package-benchmark.
// Run with `make bench` (or `swift package benchmark` in this folder).
import PackageDescription

let package = Package(
    name: "RoostBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Roost", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
        // RoostLoad (issue 15); the same versions the main package resolves.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // Benchmark targets are added below, one per area (each a folder under Benchmarks/).

        // MARK: Journal (issue 3): durable append, replay, compression ratio.
        // Run: swift package --allow-writing-to-package-directory benchmark --target JournalBenchmarks
        .executableTarget(
            name: "JournalBenchmarks",
            dependencies: [
                "JournalBenchSupport",
                .product(name: "Journal", package: "Roost"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "JournalBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The same measurements as a plain program printing one table (outside Benchmarks/<target>/
        // so the benchmark plugin doesn't take it for a benchmark suite):
        // swift run -c release JournalLoad
        .executableTarget(
            name: "JournalLoad",
            dependencies: ["JournalBenchSupport", .product(name: "Journal", package: "Roost")],
            path: "Tools/JournalLoad"
        ),
        .target(
            name: "JournalBenchSupport",
            dependencies: ["JournalBenchCLZ4", .product(name: "Journal", package: "Roost")],
            path: "JournalBenchSupport"
        ),
        // The system liblz4, to measure the compression ceiling next to the journal's append throughput.
        .systemLibrary(name: "JournalBenchCLZ4", path: "JournalBenchCLZ4"),
        // MARK: end Journal
        // MARK: Projections (issue 6): rebuild throughput and peak RSS, apply latency with concurrent writers.
        // Run: swift run -c release ProjectionLoad all [messages, default 200000] [seconds per latency case, default 10]
        // (subcommands: generate DIR N, rebuild DIR, apply WRITERS SECONDS; see Tools/ProjectionLoad/main.swift)
        .executableTarget(
            name: "ProjectionLoad",
            dependencies: [
                "JournalBenchSupport",
                .product(name: "Journal", package: "Roost"),
                .product(name: "Projections", package: "Roost"),
            ],
            path: "Tools/ProjectionLoad"
        ),
        // MARK: end Projections
        .executableTarget(
            name: "MessageParseBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "MailMessage", package: "Roost"),
            ],
            path: "MessageParseBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // IMAP views (issue 5): a plain driver to count instructions per code path under callgrind.
        // Run: swift build -c release --product IMAPViewProfile, then see Tools/IMAPViewProfile/main.swift
        .executableTarget(
            name: "IMAPViewProfile",
            dependencies: [.product(name: "MailMessage", package: "Roost")],
            path: "Tools/IMAPViewProfile"
        ),
        // MARK: Inbound pipeline (issue 13): cost per message with a warm DNS cache.
        // Run: scripts/dns-test-server.sh start 45353; swift run -c release PipelineCost 45353
        .executableTarget(
            name: "PipelineCost",
            dependencies: [.product(name: "Pipeline", package: "Roost"), .product(name: "Journal", package: "Roost")],
            path: "Tools/PipelineCost"
        ),
        // MARK: end Inbound pipeline
        .executableTarget(
            name: "IMAPViewBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "MailMessage", package: "Roost"),
            ],
            path: "IMAPViewBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // MARK: Load generators (issue 15): SMTP, IMAP and POP3 load against any server, with the
        // server's CPU time read from /proc. Run: swift run -c release RoostLoad --help;
        // Tools/compare-classic.sh runs it against Roost and Postfix/Dovecot (`make bench-compare`).
        .executableTarget(
            name: "RoostLoad",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Tools/RoostLoad"
        ),
        // MARK: end Load generators
        // MARK: SPF (issue 13): check_host() per message with a warm DNS cache.
        // Run: swift package --allow-writing-to-package-directory benchmark --target SPFBenchmarks
        .executableTarget(
            name: "SPFBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Pipeline", package: "Roost"),
            ],
            path: "SPFBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // MARK: end SPF
    ]
)
