// Journal benchmarks (issue 3). Run from Benchmarks/:
//   swift package --allow-writing-to-package-directory benchmark --target JournalBenchmarks
// Figures and method: BENCHMARKS.md, "Journal". The same measurements as one printed table:
//   swift run -c release JournalLoad
import Benchmark
import Journal
import JournalBenchSupport

/// Custom metrics, computed by the benchmarks themselves from their own clock and counters.
enum JournalMetric {
    static let opsPerSecond = BenchmarkMetric.custom("ops/s", polarity: .prefersLarger, useScalingFactor: false)
    static let megabytesPerSecond = BenchmarkMetric.custom("MB/s", polarity: .prefersLarger, useScalingFactor: false)
    /// Data fdatasyncs (group commits + segment rollovers) per 1000 appends, derived from timestamps.
    static let syncsPerThousand = BenchmarkMetric.custom(
        "fdatasyncs per 1000 appends", polarity: .prefersSmaller, useScalingFactor: false)
    static let ratioPercent = BenchmarkMetric.custom(
        "payload / stored bytes (x100)", polarity: .prefersLarger, useScalingFactor: false)
}

private func configuration(_ metrics: [BenchmarkMetric], seconds: Int = 3, iterations: Int = 20,
                           warmup: Int = 1) -> Benchmark.Configuration {
    .init(metrics: [.wallClock, .cpuTotal] + metrics, timeUnits: .milliseconds, warmupIterations: warmup,
          maxDuration: .seconds(seconds), maxIterations: iterations)
}

let benchmarks: @Sendable () -> Void = {
    // MARK: Ceilings measured in the same run: the disk's fdatasync rate and bandwidth, LZ4 on one core.

    let fsyncFile = Box<SyncedFile>()
    Benchmark("Disk: 4 KiB pwrite + fdatasync (pre-allocated file)",
              configuration: configuration([JournalMetric.opsPerSecond])) { benchmark in
        let n = 64
        let s = try fsyncFile.value.syncedWrites(n)
        benchmark.measurement(JournalMetric.opsPerSecond, Int(Double(n) / s))
    } setup: {
        fsyncFile.value = try SyncedFile(blockSize: 4096)
    } teardown: {
        fsyncFile.value.close()
    }

    let bandwidthFile = Box<SyncedFile>()
    Benchmark("Disk: 1 MiB pwrite + fdatasync (pre-allocated file)",
              configuration: configuration([JournalMetric.megabytesPerSecond])) { benchmark in
        let n = 16
        let s = try bandwidthFile.value.syncedWrites(n)
        benchmark.measurement(JournalMetric.megabytesPerSecond, Int(Double(n << 20) / s / 1e6))
    } setup: {
        bandwidthFile.value = try SyncedFile(blockSize: 1 << 20)
    } teardown: {
        bandwidthFile.value.close()
    }

    for size in [16 << 10, 256 << 10] {
        let pool = Box<[[UInt8]]>()
        Benchmark("LZ4 compress \(size >> 10) KiB message text (one core)",
                  configuration: configuration([JournalMetric.megabytesPerSecond], seconds: 2)) { benchmark in
            let mbps = lz4CompressMegabytesPerSecond(pool.value, minimumSeconds: 0)
            benchmark.measurement(JournalMetric.megabytesPerSecond, Int(mbps))
        } setup: {
            pool.value = Corpus.payloads(size: size, count: (8 << 20) / size)
        }
    }

    // MARK: Durable appends: 1, 16, 64 appenders; 1 KiB, 16 KiB, 256 KiB records.

    let cases: [(size: Int, perAppender: [Int: Int])] = [
        (1 << 10, [1: 256, 16: 32, 64: 32]),
        (16 << 10, [1: 128, 16: 16, 64: 16]),
        (256 << 10, [1: 32, 16: 8, 64: 8]),
    ]
    for (size, perAppender) in cases {
        for appenders in [1, 16, 64] {
            let fixture = AppendFixture(recordSize: size, appenders: appenders,
                                        appendsPerAppender: perAppender[appenders]!)
            Benchmark("Append \(size >> 10) KiB x \(appenders) appender\(appenders == 1 ? "" : "s")",
                      configuration: configuration([JournalMetric.opsPerSecond, JournalMetric.megabytesPerSecond,
                                                    JournalMetric.syncsPerThousand])) { benchmark in
                let segmentsBefore = TempDirectory.segmentCount(fixture.directory)
                let round = try await fixture.round()
                benchmark.stopMeasurement()
                let commits = try commitCount(fixture.journal!, from: round.firstSequence, through: round.lastSequence)
                let rollovers = TempDirectory.segmentCount(fixture.directory) - segmentsBefore
                benchmark.measurement(JournalMetric.opsPerSecond, Int(round.appendsPerSecond))
                benchmark.measurement(JournalMetric.megabytesPerSecond, Int(round.megabytesPerSecond))
                benchmark.measurement(JournalMetric.syncsPerThousand,
                                      Int((Double(commits + rollovers) * 1000 / Double(round.appends)).rounded()))
            } setup: {
                try fixture.open()
            } teardown: {
                fixture.close()
            }
        }
    }

    // MARK: Replay of 256 MiB of whole messages (2–100 KiB), CRC checked and decompressed.

    let replay = ReplayFixture()
    Benchmark("Replay forEach, 256 MiB of messages (one core)",
              configuration: configuration([JournalMetric.megabytesPerSecond], seconds: 5, iterations: 10)) { benchmark in
        let clock = ContinuousClock()
        let start = clock.now
        let bytes = try replay.forEachPass()
        let s = seconds(clock.now - start)
        benchmark.stopMeasurement()
        benchmark.measurement(JournalMetric.megabytesPerSecond, Int(Double(bytes) / s / 1e6))
    } setup: {
        try await replay.open()
    } teardown: {
        replay.close()
    }

    let replayAsync = ReplayFixture()
    Benchmark("Replay records(from:), 256 MiB of messages (one core)",
              configuration: configuration([JournalMetric.megabytesPerSecond], seconds: 5, iterations: 5)) { benchmark in
        let clock = ContinuousClock()
        let start = clock.now
        let bytes = try await replayAsync.asyncPass()
        let s = seconds(clock.now - start)
        benchmark.stopMeasurement()
        benchmark.measurement(JournalMetric.megabytesPerSecond, Int(Double(bytes) / s / 1e6))
    } setup: {
        try await replayAsync.open()
    } teardown: {
        replayAsync.close()
    }

    // MARK: Compression ratio of the corpus messages as journal records.

    for folder in ["mime", "spam-ham"] {
        Benchmark("Compression ratio, corpus \(folder)/ (one record per message)",
                  configuration: configuration([JournalMetric.ratioPercent], seconds: 1, iterations: 1, warmup: 0)) { benchmark in
            let figures = try await compressionFigures(folder: folder)
            benchmark.stopMeasurement()
            if figures.messages == 0 { benchmark.error("no messages in \(Corpus.directory)/\(folder)"); return }
            benchmark.measurement(JournalMetric.ratioPercent, Int((figures.ratio * 100).rounded()))
        }
    }
}

/// Holds what a benchmark's setup makes for its body and teardown.
final class Box<T>: @unchecked Sendable {
    private var stored: T?
    var value: T {
        get { stored! }
        set { stored = newValue }
    }
}
