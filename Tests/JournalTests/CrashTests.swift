import Foundation
import Testing
@testable import Journal

/// The built helper executables sit next to the test bundle.
func helperExecutable(_ name: String) throws -> URL {
    let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    let url = URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent(name)
    guard FileManager.default.isExecutableFile(atPath: url.path) else {
        throw POSIXError(.ENOENT, userInfo: [NSLocalizedDescriptionKey: "\(url.path) missing: run `swift build --build-tests`"])
    }
    return url
}

@Suite struct CrashTests {
    /// A child appends from 8 concurrent tasks and prints each acknowledged record; SIGKILL at random
    /// moments must never lose one of them, and each restart must continue the sequence.
    @Test(.timeLimit(.minutes(3)))
    func sigkillNeverLosesAnAcknowledgedRecord() async throws {
        let dir = try TemporaryDirectory("crash")
        defer { dir.remove() }
        let child = try helperExecutable("journal-crash-child")
        var acknowledged: [UInt64: (length: Int, crc: UInt32)] = [:]
        var generator = SystemRandomNumberGenerator()
        var rounds = 0, recoveries = 0
        let started = Date()
        // On a loaded machine a child may spend most of its short life starting up: keep killing
        // until there are both enough rounds and enough acknowledged records to check.
        while (rounds < 25 || acknowledged.count <= 100) && Date().timeIntervalSince(started) < 150 {
            rounds += 1
            let process = Process()
            process.executableURL = child
            process.arguments = [dir.path, "65536"]
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            // Drain the pipe while the child runs so it never blocks on a full pipe.
            async let collected = readToEnd(output.fileHandleForReading)
            try await Task.sleep(for: .milliseconds(Int.random(in: 30...300, using: &generator)))
            kill(process.processIdentifier, SIGKILL)
            await waitForExit(process)
            #expect(process.terminationReason == .uncaughtSignal)
            let text = String(decoding: await collected, as: UTF8.self)

            let highestBefore = acknowledged.keys.max() ?? 0
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: " ")
                switch parts.first {
                case "opened":
                    let last = UInt64(parts[1])!
                    #expect(last >= highestBefore, "restart lost acknowledged records: opened at \(last), acked \(highestBefore)")
                case "ack" where parts.count == 4:
                    acknowledged[UInt64(parts[1])!] = (Int(parts[2])!, UInt32(parts[3])!)
                case "ack":
                    break  // a line cut by the kill itself: the record may or may not be durable
                default:
                    Issue.record("child said: \(line)")
                }
            }

            // Reopen for writing (recovering any torn tail) and check every acknowledged record.
            let journal = try Journal(directory: dir.path, options: JournalOptions(segmentSize: 65536))
            if journal.recovery != nil { recoveries += 1 }
            #expect(journal.lastSequence >= (acknowledged.keys.max() ?? 0))
            for (seq, expected) in acknowledged {
                let record = try journal.record(seq)
                #expect(record.payload.count == expected.length && CRC32C.checksum(record.payload) == expected.crc, "record \(seq)")
            }
            journal.close()
        }
        #expect(rounds >= 20)
        #expect(acknowledged.count > 100, "the child made progress")
        // Every record, acknowledged or not, is intact after the last round.
        let report = try Journal.verify(directory: dir.path)
        #expect(report.problems.isEmpty, "\(report.problems)")
        print("crash test: \(rounds) kills, \(acknowledged.count) acknowledged records, \(recoveries) torn tails recovered, \(try segmentFiles(dir.path).count) segments")
    }
}

/// Reads a pipe to its end on a Dispatch thread: blocking a cooperative-pool thread (there are
/// only as many as cores) would stall every other test running in parallel.
func readToEnd(_ handle: FileHandle) async -> Data {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: handle.readDataToEndOfFile()) }
    }
}

/// `waitUntilExit` off the cooperative pool, for the same reason.
func waitForExit(_ process: Process) async {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async {
            process.waitUntilExit()
            continuation.resume()
        }
    }
}
