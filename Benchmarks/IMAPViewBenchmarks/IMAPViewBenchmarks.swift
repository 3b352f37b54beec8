// IMAP views (issue 5): ENVELOPE + BODYSTRUCTURE built from already-parsed messages, and the
// cached binary form's encode and decode. Targets: ≥ 100k messages/s for typical 4–50 KiB
// messages; ≥ 1M/s for the cached form each way. One operation = one message.
import Benchmark
import Foundation
import MailMessage

/// ../shared/corpus beside the package root (this file → IMAPViewBenchmarks → Benchmarks → root).
let corpusRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("shared/corpus")

/// Corpus messages of 4–50 KiB, parsed once, in their IMAP (CRLF) form.
func typicalMessages() -> [Message] {
    var out: [Message] = []
    for sub in ["mime", "spam-ham"] {
        let dir = corpusRoot.appendingPathComponent(sub)
        guard let e = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil) else {
            fatalError("corpus not found at \(dir.path)")
        }
        for case let url as URL in e where url.pathExtension == "eml" {
            guard let d = try? Data(contentsOf: url), d.count >= 4 * 1024, d.count <= 50 * 1024 else { continue }
            out.append(Message(bytes: [UInt8](d)).imapCanonical())
        }
    }
    return out.sorted { $0.bytes.count < $1.bytes.count }
}

let benchmarks: @Sendable () -> Void = {
    let messages = typicalMessages()
    let n = messages.count
    // Two arrays rather than one of (Envelope, BodyStructure): taking a tuple out of an array
    // copies it through generic value witnesses, which would be measured along with encode.
    let envelopes = messages.map { Envelope(of: $0) }
    let bodies = messages.map { BodyStructure(of: $0) }
    let cached = envelopes.indices.map { CachedViews.encode(envelope: envelopes[$0], body: bodies[$0]) }
    let avgKiB = messages.reduce(0) { $0 + $1.bytes.count } / max(n, 1) / 1024
    let avgCache = cached.reduce(0) { $0 + $1.count } / max(n, 1)
    let config = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        scalingFactor: .kilo,
        maxDuration: .seconds(5),
        maxIterations: 1_000
    )

    Benchmark("ENVELOPE + BODYSTRUCTURE from parsed message (\(n) msgs, avg \(avgKiB) KiB)", configuration: config) { benchmark in
        var k = 0
        for _ in benchmark.scaledIterations {
            let m = messages[k]
            blackHole(Envelope(of: m))
            blackHole(BodyStructure(of: m))
            k = k + 1 == n ? 0 : k + 1
        }
    }

    Benchmark("ENVELOPE + BODYSTRUCTURE built and written in wire form", configuration: config) { benchmark in
        var k = 0
        for _ in benchmark.scaledIterations {
            let m = messages[k]
            var w = IMAPWriter(capacity: 1024)
            w.envelope(Envelope(of: m))
            w.space()
            w.bodyStructure(BodyStructure(of: m), extensions: true)
            blackHole(w.bytes)
            k = k + 1 == n ? 0 : k + 1
        }
    }

    Benchmark("Cached form encode (avg \(avgCache) bytes)", configuration: config) { benchmark in
        var k = 0
        for _ in benchmark.scaledIterations {
            blackHole(CachedViews.encode(envelope: envelopes[k], body: bodies[k]))
            k = k + 1 == n ? 0 : k + 1
        }
    }

    Benchmark("Cached form to wire form (ENVELOPE + BODYSTRUCTURE, no typed views)", configuration: config) { benchmark in
        var k = 0
        var w = IMAPWriter(capacity: 4096)
        for _ in benchmark.scaledIterations {
            w.bytes.removeAll(keepingCapacity: true)
            try CachedViews.write(cached[k], envelope: true, body: true, into: &w)
            blackHole(w.bytes.count)
            k = k + 1 == n ? 0 : k + 1
        }
    }

    Benchmark("Cached form decode to typed views", configuration: config) { benchmark in
        var k = 0
        for _ in benchmark.scaledIterations {
            blackHole(try CachedViews.decode(cached[k]))
            k = k + 1 == n ? 0 : k + 1
        }
    }
}
