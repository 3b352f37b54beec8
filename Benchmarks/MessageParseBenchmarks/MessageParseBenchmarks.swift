// Full parse (header fields + MIME tree + offsets and line counts, no body decoding) of the
// shared corpus, as the performance target states it: ≥ 300 MB/s on one core.
import Benchmark
import Foundation
import MailMessage

/// ../shared/corpus beside the package root (this file → MessageParseBenchmarks → Benchmarks → root).
let corpusRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("shared/corpus")

func loadMessages(_ sub: String) -> [[UInt8]] {
    let dir = corpusRoot.appendingPathComponent(sub)
    guard let e = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil) else {
        fatalError("corpus not found at \(dir.path)")
    }
    var out: [[UInt8]] = []
    for case let url as URL in e where url.pathExtension == "eml" {
        if let d = try? Data(contentsOf: url) { out.append([UInt8](d)) }
    }
    return out
}

/// Parses every message and touches the tree so nothing is optimised away.
@inline(never)
func parseAll(_ messages: [[UInt8]]) -> Int {
    var acc = 0
    for bytes in messages {
        let m = Message(bytes: bytes)
        acc &+= m.bodyLineCount(m.root) &+ m.root.fields.count &+ m.root.children.count
    }
    return acc
}

func megabytes(_ messages: [[UInt8]]) -> String {
    let total = messages.reduce(0) { $0 + $1.count }
    let tenths = (Double(total) / 1_000_000 * 10).rounded() / 10
    return "\(tenths) MB, \(messages.count) messages"
}

let benchmarks: @Sendable () -> Void = {
    let all = loadMessages("mime") + loadMessages("spam-ham")
    let spamHam = loadMessages("spam-ham")
    let config = Benchmark.Configuration(
        metrics: [.wallClock, .cpuTotal, .throughput, .mallocCountTotal, .peakMemoryResident],
        warmupIterations: 3,
        maxDuration: .seconds(10),
        maxIterations: 100
    )
    Benchmark("Full parse, whole corpus (\(megabytes(all)))", configuration: config) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(parseAll(all))
        }
    }
    Benchmark("Full parse, spam-ham LF corpus (\(megabytes(spamHam)))", configuration: config) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(parseAll(spamHam))
        }
    }
}
