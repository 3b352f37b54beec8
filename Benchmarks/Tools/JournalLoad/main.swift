// The journal benchmarks of issue 3 as one plain program that prints Markdown tables (all figures
// from one run, so their ratios are meaningful on a noisy machine). From Benchmarks/:
//   swift run -c release JournalLoad [seconds-per-case, default 3]
import Foundation
import Journal
import JournalBenchSupport
#if canImport(Glibc)
import Glibc
#endif

let perCase = CommandLine.arguments.dropFirst().first.flatMap(Double.init) ?? 3

// `JournalLoad profile SIZE APPENDERS ROUNDS`: only that append case (for valgrind --tool=callgrind).
if CommandLine.arguments.count == 5, CommandLine.arguments[1] == "profile",
   let size = Int(CommandLine.arguments[2]), let appenders = Int(CommandLine.arguments[3]),
   let rounds = Int(CommandLine.arguments[4]) {
    let fixture = AppendFixture(recordSize: size, appenders: appenders, appendsPerAppender: 8)
    try fixture.open()
    var appends = 0
    var wall = 0.0
    for _ in 0..<rounds { let r = try await fixture.round(); appends += r.appends; wall += r.seconds }
    fixture.close()
    print("\(appends) appends of \(size) bytes, \(appenders) appenders: \(Int(Double(appends) / wall)) appends/s")
    exit(0)
}

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return s(usage.ru_utime) + s(usage.ru_stime)
}

func f(_ x: Double, _ digits: Int = 0) -> String { String(format: "%.\(digits)f", x) }

print("# Journal figures, \(Date()) — corpus: \(Corpus.isGenerated ? "generated text (corpus missing)" : Corpus.directory)")
func loadAverage() -> String {
    (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
}
print("CRC32C in hardware: \(CRC32C.usesHardware); load average at start: \(loadAverage()) (2 cores)\n")

// MARK: Ceilings

let fsyncFile = try SyncedFile(blockSize: 4096)
_ = try fsyncFile.syncedWrites(100)
var syncs = 0
var syncSeconds = 0.0
while syncSeconds < perCase { syncSeconds += try fsyncFile.syncedWrites(200); syncs += 200 }
fsyncFile.close()
let fsyncCeiling = Double(syncs) / syncSeconds

let bandwidthFile = try SyncedFile(blockSize: 1 << 20)
_ = try bandwidthFile.syncedWrites(8)
var mib = 0
var bandwidthSeconds = 0.0
while bandwidthSeconds < perCase { bandwidthSeconds += try bandwidthFile.syncedWrites(16); mib += 16 }
bandwidthFile.close()
let bandwidth = Double(mib << 20) / bandwidthSeconds / 1e6

var lz4: [Int: Double] = [:]
for size in [1 << 10, 16 << 10, 256 << 10] {
    lz4[size] = lz4CompressMegabytesPerSecond(Corpus.payloads(size: size, count: (8 << 20) / size), minimumSeconds: 1)
}

print("## Ceilings (same run)\n")
print("| what | figure |\n|---|---|")
print("| 4 KiB pwrite + fdatasync, pre-allocated file | \(f(fsyncCeiling)) ops/s (\(f(1e6 / fsyncCeiling)) µs each) |")
print("| 1 MiB pwrite + fdatasync, pre-allocated file | \(f(bandwidth)) MB/s |")
for size in [1 << 10, 16 << 10, 256 << 10] {
    print("| LZ4_compress_default, \(size >> 10) KiB message text, one core | \(f(lz4[size]!)) MB/s of input |")
}

// MARK: Durable appends

print("\n## Durable appends (one record per append, each appender waits for durability)\n")
print("The 4 KiB fdatasync ceiling is measured again for 0.5 s just before each case (the disk's speed")
print("drifts on a shared machine); \"appends/s ÷ ceiling\" compares each case with it.\n")
print("| record | appenders | appends/s | MB/s payload | × 1 appender | fdatasync ceiling, ops/s | appends/s ÷ ceiling | appends per commit | fdatasyncs per append | CPU (of 200 %) | stored/payload |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
let nearbyCeiling = try SyncedFile(blockSize: 4096)
func ceilingNow() throws -> Double {
    var n = 0
    var s = 0.0
    while s < 0.5 { s += try nearbyCeiling.syncedWrites(50); n += 50 }
    return Double(n) / s
}
let cases: [(size: Int, perAppender: [Int: Int])] = [
    (1 << 10, [1: 256, 16: 32, 64: 32]),
    (16 << 10, [1: 128, 16: 16, 64: 16]),
    (256 << 10, [1: 32, 16: 8, 64: 8]),
]
for (size, perAppender) in cases {
    var single = 0.0
    for appenders in [1, 16, 64] {
        let fixture = AppendFixture(recordSize: size, appenders: appenders, appendsPerAppender: perAppender[appenders]!)
        try fixture.open()
        let ceiling = try ceilingNow()
        _ = try await fixture.round()  // warm-up
        var appends = 0, bytes = 0, commits = 0, rollovers = 0, stored = 0
        var wall = 0.0, cpu = 0.0
        while wall < perCase {
            let segments = TempDirectory.segmentCount(fixture.directory)
            let cpu0 = cpuSeconds()
            let round = try await fixture.round()
            cpu += cpuSeconds() - cpu0
            wall += round.seconds
            appends += round.appends
            bytes += round.payloadBytes
            commits += try commitCount(fixture.journal!, from: round.firstSequence, through: round.lastSequence)
            rollovers += TempDirectory.segmentCount(fixture.directory) - segments
            try fixture.journal!.forEach(from: round.firstSequence) { stored += Int($0.header.storedLength) }
        }
        fixture.close()
        let rate = Double(appends) / wall
        if appenders == 1 { single = rate }
        print("| \(size >> 10) KiB | \(appenders) | \(f(rate)) | \(f(Double(bytes) / wall / 1e6, 1)) | \(f(rate / single, 1)) "
              + "| \(f(ceiling)) | \(f(rate / ceiling, 2)) "
              + "| \(f(Double(appends) / Double(commits), 1)) | \(f(Double(commits + rollovers) / Double(appends), 3)) "
              + "| \(f(100 * cpu / wall)) % | \(f(Double(stored) / Double(bytes), 3)) |")
        fflush(nil)
    }
}

nearbyCeiling.close()

// MARK: Replay

let replay = ReplayFixture()
try await replay.open()
_ = try replay.forEachPass()  // fault the mapping in
var rates: [Double] = []
var replayCPU = 0.0, replayWall = 0.0
let clock = ContinuousClock()
repeat {
    let c0 = cpuSeconds()
    let start = clock.now
    let bytes = try replay.forEachPass()
    let s = seconds(clock.now - start)
    replayCPU += cpuSeconds() - c0
    replayWall += s
    rates.append(Double(bytes) / s / 1e6)
} while replayWall < perCase || rates.count < 3
rates.sort()
var asyncRates: [Double] = []
for _ in 0..<2 {
    let start = clock.now
    let bytes = try await replay.asyncPass()
    asyncRates.append(Double(bytes) / seconds(clock.now - start) / 1e6)
}
print("\n## Replay: \(replay.records) records, \(f(Double(replay.payloadBytes) / 1e6)) MB payload, "
      + "\(f(Double(replay.storedBytes) / 1e6)) MB stored (ratio \(f(Double(replay.payloadBytes) / Double(replay.storedBytes), 2)))\n")
print("| reader | MB/s of uncompressed payload (median; min–max) | CPU |\n|---|---|---|")
print("| forEach (CRC + LZ4 decompress) | \(f(rates[rates.count / 2])) (\(f(rates.first!))–\(f(rates.last!))), \(rates.count) passes | \(f(100 * replayCPU / replayWall)) % |")
print("| records(from:) async, copies payloads | \(f(asyncRates.max()!)) (best of 2) | |")
replay.close()

// MARK: Compression ratio

print("\n## Compression ratio of the corpus, one record per message\n")
print("| folder | messages | payload bytes | stored bytes | payload/stored | with headers+padding | stored raw |")
print("|---|---|---|---|---|---|---|")
for folder in ["mime", "spam-ham"] {
    let c = try await compressionFigures(folder: folder)
    print("| \(folder)/ | \(c.messages) | \(c.payloadBytes) | \(c.storedBytes) | \(f(c.ratio, 2)) | \(f(c.footprintRatio, 2)) | \(c.storedRaw) |")
}

print("\nload average at end: \(loadAverage())")
