import Foundation
import Journal
import RoostTesting
import Testing
@testable import Projections

/// Drives a harness with random batches, applying each live as the server would.
struct RandomEventSourceForTests {
    var source: RandomEventSource
    init(seed: UInt64) { source = RandomEventSource(seed: seed) }

    mutating func run(_ h: Harness, batches: Int) async throws {
        for _ in 0..<batches {
            let batch = source.nextBatch()
            let sequences = try await h.append(batch)
            source.appended(sequences: sequences)
        }
    }
}

@Suite struct RebuildPropertyTests {
    /// DESIGN.md invariant 3: the live projection (applied batch by batch as events arrived)
    /// equals a rebuild from the journal, for many random histories.
    @Test(.timeLimit(.minutes(15)))
    func liveEqualsRebuiltForRandomHistories() async throws {
        var histories = 0
        for seed in UInt64(1)...1000 {
            let h = try Harness()
            defer { h.remove() }
            var source = RandomEventSourceForTests(seed: seed)
            try await source.run(h, batches: Int(seed % 25) + 5)
            let live = try h.store.canonicalDump()
            let rebuilt = try await h.rebuiltDump()
            #expect(live == rebuilt, "seed \(seed)")
            if live != rebuilt { break }
            histories += 1
        }
        #expect(histories == 1000)
        print("property test: \(histories) random histories, live == rebuilt")
    }

    /// One long history across many batches and segment rollovers.
    @Test func longHistory() async throws {
        let h = try Harness()
        defer { h.remove() }
        var source = RandomEventSourceForTests(seed: 0xC0FFEE)
        try await source.run(h, batches: 1500)
        #expect(try h.store.canonicalDump() == (try await h.rebuiltDump()))
        let messages = try h.store.canonicalDump().components(separatedBy: "\n").filter { $0.hasPrefix("mailboxId=") }.count
        #expect(messages > 100, "the history exercised messages")
    }
}

@Suite struct ProjectionCrashTests {
    @Test(.timeLimit(.minutes(3)))
    func sigkillWhileApplyingCatchesUpOnRestart() async throws {
        var template = Array((NSTemporaryDirectory() + "roost-projcrash-XXXXXX").utf8CString)
        let dir = String(cString: mkdtemp(&template)!)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let exe = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            .deletingLastPathComponent().appendingPathComponent("projection-crash-child")
        var generator = SystemRandomNumberGenerator()
        var lastApplied: UInt64 = 0
        for round in 1...12 {
            let process = Process()
            process.executableURL = exe
            process.arguments = [dir, "\(round)"]
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            async let collected = readToEnd(output.fileHandleForReading)
            try await Task.sleep(for: .milliseconds(Int.random(in: 100...400, using: &generator)))
            kill(process.processIdentifier, SIGKILL)
            await waitForExit(process)
            let lines = String(decoding: await collected, as: UTF8.self).split(separator: "\n")
            #expect(!lines.contains { $0.hasPrefix("failed") }, "\(lines.filter { $0.hasPrefix("failed") })")
            if let caughtUp = lines.first(where: { $0.hasPrefix("caught-up ") }) {
                #expect(UInt64(caughtUp.split(separator: " ")[1])! >= lastApplied, "restart caught up past everything acknowledged")
            }
            if let last = lines.last(where: { $0.hasPrefix("applied ") }), let seq = UInt64(last.split(separator: " ")[1]) {
                lastApplied = seq
            }
        }
        #expect(lastApplied > 0)
        // Restart in-process: catch up, then compare with a rebuild from the journal.
        let journal = try Journal(directory: dir + "/journal", options: JournalOptions(segmentSize: 1 << 20))
        defer { journal.close() }
        let store = try ProjectionStore(path: dir + "/projections.sqlite")
        let projector = try Projector(journal: journal, store: store)
        try await projector.catchUp()
        #expect(try store.appliedSequence() == journal.lastSequence)
        let live = try store.canonicalDump()
        try store.close()
        try await Rebuild.run(journal: journal, databasePath: dir + "/rebuilt.sqlite")
        let rebuilt = try ProjectionStore(path: dir + "/rebuilt.sqlite")
        defer { try? rebuilt.close() }
        #expect(live == (try rebuilt.canonicalDump()))
    }
}
