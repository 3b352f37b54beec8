import ArgumentParser
import Journal
#if canImport(Glibc)
import Glibc
#endif

struct JournalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "journal",
        abstract: "Inspect the event journal.",
        subcommands: [Verify.self, Dump.self, Stats.self, Demo.self]
    )

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every record; print a summary, or the exact damage and what to do.")
        @OptionGroup var options: DataDirectoryOption

        func run() throws {
            let report = try Journal.verify(directory: options.journalDirectory)
            print("journal \(options.journalDirectory): \(report.segments) segments, \(report.records) events"
                  + (report.records > 0 ? " (sequence \(report.firstSequence)…\(report.lastSequence))" : ""))
            for problem in report.problems { print("problem: \(problem)") }
            if report.problems.isEmpty {
                print("ok: every record's framing, CRC32C, sequence number and payload checked")
            } else if report.isHealthy {
                print("ok: only a torn write at the tail, which the next `roost serve` cuts (keeping a copy)")
            } else {
                print("DAMAGED: Roost will refuse to start. Restore the named segment from a backup; "
                      + "the events before the damage are intact.")
                throw ExitCode(2)
            }
        }
    }

    struct Dump: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print events human-readably.")
        @OptionGroup var options: DataDirectoryOption
        @Option(help: "First sequence number to print.") var from: UInt64 = 1
        @Option(help: "Stop after this many events.") var count: Int?
        @Flag(help: "Print message bodies in full instead of their size and first header lines.") var bodies = false

        func run() throws {
            let journal = try Journal(directory: options.journalDirectory, mode: .readOnly)
            var printed = 0
            try journal.forEach(from: from) { view in
                if let count, printed >= count { return }
                printed += 1
                let time = formatTimestamp(view.timestamp)
                guard let event = try? Event.decode(type: view.type, payload: view.payload) else {
                    print("\(view.sequence) \(time) unknown-type-\(view.type) <\(view.payload.count) bytes>")
                    return
                }
                print("\(view.sequence) \(time) \(event.type) \(EventDescription.describe(event, bodies: bodies))")
            }
        }
    }

    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Counts per event type, bytes on disk and uncompressed, compression ratio.")
        @OptionGroup var options: DataDirectoryOption

        func run() throws {
            let journal = try Journal(directory: options.journalDirectory, mode: .readOnly)
            var perType: [UInt16: (count: Int, stored: Int, raw: Int)] = [:]
            var records = 0, stored = 0, raw = 0, framed = 0
            try journal.forEach { view in
                records += 1
                stored += Int(view.header.storedLength)
                raw += view.payload.count
                framed += view.header.footprint
                perType[view.type, default: (0, 0, 0)].count += 1
                perType[view.type]!.stored += Int(view.header.storedLength)
                perType[view.type]!.raw += view.payload.count
            }
            print("events: \(records) (last sequence \(journal.lastSequence))")
            print(pad("type", 24) + pad("count", 10) + pad("payload", 14) + pad("stored", 14) + "ratio")
            for (type, s) in perType.sorted(by: { $0.key < $1.key }) {
                let name = EventType(rawValue: type)?.description ?? "unknown-\(type)"
                print(pad(name, 24) + pad("\(s.count)", 10) + pad(bytes(s.raw), 14) + pad(bytes(s.stored), 14) + ratio(s.raw, s.stored))
            }
            let onDisk = try segmentFileBytes(options.journalDirectory)
            print("uncompressed payload: \(bytes(raw)); stored payload: \(bytes(stored)); compression ratio \(ratio(raw, stored))")
            print("records with framing: \(bytes(framed)); segment files on disk (pre-allocated): \(bytes(onDisk))")
        }
    }

    struct Demo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Append a set of sample events (a domain, a user, mailboxes, a message, a decision).")
        @OptionGroup var options: DataDirectoryOption

        func run() async throws {
            let journal = try Journal(directory: options.journalDirectory)
            if let recovery = journal.recovery { print(recovery) }
            let sequences = try await DemoEvents.append(to: journal)
            print("appended events \(sequences.first!)…\(sequences.last!) to \(options.journalDirectory)")
            journal.close()
        }
    }
}

func pad(_ s: String, _ width: Int) -> String { s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count) }

func bytes(_ n: Int) -> String {
    if n < 10 * 1024 { return "\(n) B" }
    if n < 10 * 1024 * 1024 { return "\(n / 1024) KiB" }
    return "\(n / (1024 * 1024)) MiB"
}

func ratio(_ raw: Int, _ stored: Int) -> String {
    guard stored > 0 else { return "-" }
    let r = Double(raw) / Double(stored)
    return "\(Double(Int(r * 100)) / 100)"
}

func segmentFileBytes(_ directory: String) throws -> Int {
    guard let dir = opendir(directory) else { return 0 }
    defer { closedir(dir) }
    var total = 0
    while let entry = readdir(dir) {
        let name = withUnsafePointer(to: entry.pointee.d_name) { $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) } }
        guard name.hasSuffix(".seg") else { continue }
        var st = stat()
        if stat(directory + "/" + name, &st) == 0 { total += Int(st.st_size) }
    }
    return total
}

/// RFC 3339 in UTC with microseconds.
func formatTimestamp(_ micros: Int64) -> String {
    var seconds = time_t(micros / 1_000_000)
    var tm = tm()
    gmtime_r(&seconds, &tm)
    func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
    let frac = String(micros % 1_000_000)
    return "\(tm.tm_year + 1900)-\(two(tm.tm_mon + 1))-\(two(tm.tm_mday))T\(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec))."
        + String(repeating: "0", count: 6 - frac.count) + frac + "Z"
}
