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
    ],
    targets: [
        // Benchmark targets are added below, one per area (each a folder under Benchmarks/).
        .executableTarget(
            name: "MessageParseBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "MailMessage", package: "Roost"),
            ],
            path: "MessageParseBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "IMAPViewBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "MailMessage", package: "Roost"),
            ],
            path: "IMAPViewBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
