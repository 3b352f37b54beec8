// The projection benchmarks of issue 6 as one plain program printing Markdown. From Benchmarks/:
//
//   swift run -c release ProjectionLoad all [MESSAGES=200000] [SECONDS=10]
//       generate a journal in /tmp, rebuild it in a child process (so its peak RSS is the rebuild's
//       own), measure apply latency with 1 and 32 writers, print the tables, delete everything.
//   ProjectionLoad generate DIR [MESSAGES]   deterministic journal in DIR/journal (+ DIR/generated.txt)
//   ProjectionLoad rebuild DIR [BATCH]        Rebuild.run into DIR/projections.sqlite; prints key=value lines
//   ProjectionLoad apply WRITERS SECONDS [extension|serialized]
//                                             append → visible latency with WRITERS concurrent writers
//
// The figures move with whatever the projector does per event: after changing Sources/Projections,
// rebuild this tool and run `all` again (nothing here knows what the projector computes).
import Foundation
import Journal
import JournalBenchSupport
import Projections
#if canImport(Glibc)
import Glibc
#endif

// MARK: - Small helpers

func f(_ x: Double, _ digits: Int = 0) -> String { String(format: "%.\(digits)f", x) }

func grouped(_ n: Int) -> String {
    let s = String(n)
    var out = ""
    for (i, c) in s.enumerated() {
        if i > 0 && (s.count - i) % 3 == 0 { out += "\u{2009}" }
        out.append(c)
    }
    return out
}

func loadAverage() -> String {
    (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
}

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
    return s(usage.ru_utime) + s(usage.ru_stime)
}

/// Fields of /proc/self/status in KiB (VmHWM, VmRSS, RssAnon, RssFile, RssShmem).
func procStatus() -> [String: Int] {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return [:] }
    var result: [String: Int] = [:]
    for line in text.split(separator: "\n") {
        let parts = line.split(separator: ":", maxSplits: 1)
        guard parts.count == 2 else { continue }
        let value = parts[1].split(whereSeparator: { $0 == " " || $0 == "\t" }).first.flatMap { Int($0) }
        if let value { result[String(parts[0])] = value }
    }
    return result
}

/// Resident and shared (file-backed + shmem) KiB from /proc/self/statm: two numbers read with
/// a read(2) and no String work, so sampling them every 10 ms costs the measured process next
/// to nothing (parsing /proc/self/status into a dictionary each time was ≈ 5 % of a 20 000-message
/// rebuild's CPU samples, on a machine with two cores the rebuild keeps busy).
func statmKiB() -> (resident: Int, shared: Int)? {
    let fd = open("/proc/self/statm", O_RDONLY)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 128)
    let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, 128) }
    guard n > 0 else { return nil }
    // "size resident shared text lib data dt", in pages.
    var fields: [Int] = []
    var value = 0, inNumber = false
    for b in buffer[0..<n] {
        if b >= 48 && b <= 57 {
            value = value * 10 + Int(b - 48)
            inNumber = true
        } else if inNumber {
            fields.append(value)
            value = 0
            inNumber = false
            if fields.count == 3 { break }
        }
    }
    guard fields.count == 3 else { return nil }
    let pageKiB = Int(sysconf(Int32(_SC_PAGESIZE))) / 1024
    return (fields[1] * pageKiB, fields[2] * pageKiB)
}

/// Samples /proc/self/statm every 10 ms on its own thread: peak anonymous (private heap:
/// resident − shared) and file-backed (shared: mapped journal segments, shared libraries, and
/// shmem, none here) resident memory, which VmHWM sums.
final class RSSSampler: @unchecked Sendable {
    private let lock = NSLock()
    private var running = true
    private var peakAnon = 0
    private var peakFile = 0
    private var thread: Thread?

    func start() {
        let t = Thread { [self] in
            while lock.withLock({ running }) {
                if let s = statmKiB() {
                    lock.withLock {
                        peakAnon = max(peakAnon, s.resident - s.shared)
                        peakFile = max(peakFile, s.shared)
                    }
                }
                usleep(10_000)
            }
        }
        thread = t
        t.start()
    }

    /// (peak RssAnon, peak RssFile) in KiB.
    func stop() -> (anon: Int, file: Int) {
        lock.withLock { running = false }
        usleep(20_000)
        let s = procStatus()
        return lock.withLock { (max(peakAnon, s["RssAnon"] ?? 0), max(peakFile, s["RssFile"] ?? 0)) }
    }
}

/// splitmix64: the deterministic source of every choice the generator makes.
struct Mix {
    static func hash(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func journalFiles(_ directory: String) -> (segments: Int, bytes: Int) {
    var count = 0, bytes = 0
    for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where name.hasSuffix(".seg") {
        let attributes = try? FileManager.default.attributesOfItem(atPath: directory + "/" + name)
        count += 1
        bytes += (attributes?[.size] as? Int) ?? 0
    }
    return (count, bytes)
}

func fileSize(_ path: String) -> Int {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.down)))]
}

func parseKeyValues(_ text: String) -> [String: String] {
    var result: [String: String] = [:]
    for line in text.split(separator: "\n") {
        guard let eq = line.firstIndex(of: "="), !line.hasPrefix(" "), !line.hasPrefix("|") else { continue }
        result[String(line[..<eq])] = String(line[line.index(after: eq)...])
    }
    return result
}

// MARK: - The deterministic mail world

/// One domain, `users` users with the usual mailboxes; ids are fixed numbers, not random.
struct World {
    static let domain = DomainID(rawValue: 0xD0_0001)
    static let domainName = "bench.example.net"
    static let mailboxNames = ["INBOX", "Sent", "Drafts", "Junk", "Trash", "Archive"]
    static let specialUse = [[], ["\\Sent"], ["\\Drafts"], ["\\Junk"], ["\\Trash"], ["\\Archive"]]
    let users: Int

    func user(_ u: Int) -> UserID { UserID(rawValue: 0x1000 + UInt64(u)) }
    func mailbox(user u: Int, _ k: Int) -> MailboxID { MailboxID(rawValue: (UInt64(u + 1) << 8) | UInt64(k)) }
    func address(_ u: Int) -> String { "user\(u)@\(World.domainName)" }

    /// DomainAdded, then per user UserCreated, six MailboxCreated and subscriptions.
    func setupEvents(mailboxesPerUser: Int = World.mailboxNames.count) -> [any EventBody] {
        let admin = EventContext(actor: .system("cli"), proto: "cli")
        var events: [any EventBody] = [DomainAdded(context: admin, domain: World.domain, name: World.domainName)]
        for u in 0..<users {
            events.append(UserCreated(context: admin, user: user(u), domain: World.domain, localPart: "user\(u)",
                                      passwordHash: "$y$j9T$benchsalt$0123456789abcdefghijklmnopqrstuvwxyzABCDE",
                                      displayName: "Bench User \(u)"))
            for k in 0..<mailboxesPerUser {
                let name = k < World.mailboxNames.count ? World.mailboxNames[k] : "Folder\(k)"
                events.append(MailboxCreated(context: admin, mailbox: mailbox(user: u, k), user: user(u), name: name,
                                             uidValidity: UInt32(1_700_000_000 + u),
                                             specialUse: k < World.specialUse.count ? World.specialUse[k] : []))
                events.append(MailboxSubscribed(MailboxSubscription(context: admin, user: user(u), name: name)))
            }
        }
        return events
    }
}

/// Message bytes of 4–50 KiB made from corpus messages: a unique Message-ID and Subject line in
/// front of a corpus message (starting at a message boundary of the shuffled corpus stream),
/// continued with the messages after it and cut to a size chosen from the message number.
struct MessageMaker {
    let stream: [UInt8]
    let starts: [Int]
    let sizes: ClosedRange<Int>

    init(sizes: ClosedRange<Int> = 4_096...51_200) {
        self.sizes = sizes
        // Corpus.stream is the corpus messages end to end in a fixed shuffled order; recompute
        // where each starts (same order as Corpus.stream uses).
        let all = Corpus.allMessages
        let order = all.indices.sorted { ($0 &* 2_654_435_761) % 4_294_967_291 < ($1 &* 2_654_435_761) % 4_294_967_291 }
        var starts: [Int] = []
        var at = 0
        for i in order { starts.append(at); at += all[i].count }
        self.starts = starts
        stream = Corpus.stream
        precondition(stream.count > 2 * sizes.upperBound, "message stream too short")
    }

    func size(_ n: Int) -> Int { sizes.lowerBound + Int(Mix.hash(UInt64(n) &* 3 &+ 1) % UInt64(sizes.count)) }

    func message(_ n: Int) -> [UInt8] {
        let size = size(n)
        var m = Array("Message-ID: <\(n).\(Mix.hash(UInt64(n)) % 1_000_000_007)@bench.example.org>\r\nSubject: bench message \(n)\r\n".utf8)
        m.reserveCapacity(size)
        var start = starts[Int(Mix.hash(UInt64(n) &* 3 &+ 2) % UInt64(starts.count))]
        while m.count < size {
            if start >= stream.count { start = 0 }
            let take = min(size - m.count, stream.count - start)
            m.append(contentsOf: stream[start..<start + take])
            start += take
        }
        return m
    }
}

// MARK: - generate

struct Generated {
    var messages = 0
    var events = 0
    var flagEvents = 0
    var messageBytes = 0
    var seconds = 0.0
}

/// Writes the rebuild journal into `directory/journal`: setup events, then `messages` times a
/// MessageReceived + MessageDelivered (to INBOX, every 10th to Archive), and every 8th message a
/// FlagsChanged (\Seen) on a message delivered a few before. Appended in batches of ~500 events by
/// one appender, so every sequence number is known before the append (checked after it).
func generate(directory: String, messages: Int, users: Int = 20) async throws -> Generated {
    let world = World(users: users)
    let maker = MessageMaker()
    let journal = try Journal(directory: directory + "/journal")
    defer { journal.close() }
    guard journal.lastSequence == 0 else { throw BenchFailure("\(directory)/journal is not empty") }
    let clock = ContinuousClock()
    let started = clock.now
    var result = Generated()

    let setup = world.setupEvents()
    _ = try await journal.append(events: setup)
    result.events += setup.count

    var next = journal.lastSequence + 1
    var recent: [(MailboxID, UInt64)] = []  // (mailbox, delivered sequence) of the last few messages
    let smtp = EventContext(actor: .system("smtp"), proto: "smtp", clientAddress: "192.0.2.10:25000")
    let pipeline = EventContext.system("pipeline")
    let baseTime: Int64 = 1_764_547_200_000_000  // 2025-12-01 00:00 UTC, µs
    var n = 0
    while n < messages {
        var batch: [any EventBody] = []
        batch.reserveCapacity(520)
        let first = next
        while batch.count < 500 && n < messages {
            let u = Int(Mix.hash(UInt64(n) &* 3) % UInt64(users))
            let bytes = maker.message(n)
            let receivedAt = baseTime + Int64(n) * 1_500_000
            let envelope = Envelope(
                mailFrom: "sender\(n % 997)@sender\(n % 31).example.org",
                mailParameters: [SMTPParameter(keyword: "SIZE", value: String(bytes.count)), SMTPParameter(keyword: "BODY", value: "8BITMIME")],
                recipients: [EnvelopeRecipient(address: world.address(u))],
                clientIP: "192.0.2.\(n % 250)", clientPort: UInt16(20_000 + n % 40_000), clientName: "mx\(n % 31).example.org",
                helo: "mx\(n % 31).example.org", withProtocol: "ESMTPS", tlsVersion: "TLSv1.3", tlsCipher: "TLS_AES_256_GCM_SHA384",
                receivedAt: receivedAt, listener: "mx")
            let received = next
            batch.append(MessageReceived(context: smtp, envelope: envelope, message: bytes))
            next += 1
            let box = world.mailbox(user: u, n % 10 == 9 ? 5 : 0)
            let added = Array("""
                Return-Path: <sender\(n % 997)@sender\(n % 31).example.org>\r
                Received: from mx\(n % 31).example.org (mx\(n % 31).example.org [192.0.2.\(n % 250)])\r
                \tby mail.bench.example.net (Roost) with ESMTPS id \(String(Mix.hash(UInt64(n)), radix: 36))\r
                \tfor <\(world.address(u))>; Mon, 1 Dec 2025 00:00:00 +0000\r
                Authentication-Results: mail.bench.example.net; spf=pass smtp.mailfrom=sender\(n % 31).example.org\r

                """.utf8)
            batch.append(MessageDelivered(context: pipeline, received: received, recipient: world.address(u),
                                          user: world.user(u), mailbox: box, addedHeader: added))
            recent.append((box, next))
            next += 1
            if recent.count > 8 { recent.removeFirst() }
            if n % 8 == 7, let (flagBox, delivered) = recent.first {
                batch.append(FlagsChanged(context: EventContext(actor: .user(world.user(0)), proto: "imap"), mailbox: flagBox,
                                          messages: [MessageRef(event: delivered)], operation: .add, flags: ["\\Seen"]))
                next += 1
                result.flagEvents += 1
            }
            result.messageBytes += bytes.count
            n += 1
        }
        let sequences = try await journal.append(events: batch)
        guard sequences.first == first, sequences.last == next - 1 else {
            throw BenchFailure("unexpected sequence numbers \(sequences.first ?? 0)… (expected \(first)…\(next - 1))")
        }
        result.events += batch.count
    }
    result.messages = messages
    result.seconds = (clock.now - started).seconds
    return result
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}

/// Bytes the records take in the segments (headers + stored payloads + padding), by reading the journal.
func usedBytes(_ journal: Journal) throws -> (records: Int, used: Int, stored: Int, payload: Int) {
    var records = 0, used = 0, stored = 0, payload = 0
    try journal.forEach { view in
        records += 1
        used += view.header.footprint
        stored += Int(view.header.storedLength)
        payload += Int(view.header.uncompressedLength == 0 ? view.header.storedLength : view.header.uncompressedLength)
    }
    return (records, used, stored, payload)
}

// MARK: - rebuild

/// `Rebuild.run` over DIR/journal into DIR/projections.sqlite, as `roost rebuild` does it (the journal
/// opened read-write). Prints key=value lines (read by `all`) and VmHWM of this process.
func rebuild(directory: String, batchSize: Int?) async throws -> [String: String] {
    let sampler = RSSSampler()
    sampler.start()
    let before = procStatus()
    let clock = ContinuousClock()
    let cpu0 = cpuSeconds()
    let t0 = clock.now
    let journal = try Journal(directory: directory + "/journal")
    let t1 = clock.now
    let afterOpen = procStatus()
    let database = directory + "/projections.sqlite"
    let applied: UInt64
    if let batchSize {
        applied = try await Rebuild.run(journal: journal, databasePath: database, batchSize: batchSize)
    } else {
        applied = try await Rebuild.run(journal: journal, databasePath: database)
    }
    let t2 = clock.now
    let cpu1 = cpuSeconds()
    let status = procStatus()
    let peaks = sampler.stop()
    journal.close()

    // Check what was built (outside the timing): every delivered message is in a mailbox.
    let meta = (try? String(contentsOfFile: directory + "/generated.txt", encoding: .utf8)).map(parseKeyValues) ?? [:]
    let users = Int(meta["users"] ?? "20") ?? 20
    let world = World(users: users)
    let store = try ProjectionStore(path: database)
    var rows = 0
    for u in 0..<users {
        for k in 0..<World.mailboxNames.count { rows += try store.messages(mailbox: world.mailbox(user: u, k)).count }
    }
    try store.close()

    let messages = Int(meta["messages"] ?? "") ?? rows
    let rebuildSeconds = (t2 - t1).seconds
    var out: [String: String] = [:]
    out["events"] = String(applied)
    out["messages"] = String(messages)
    out["messageRows"] = String(rows)
    out["openSeconds"] = f((t1 - t0).seconds, 3)
    out["rebuildSeconds"] = f(rebuildSeconds, 3)
    out["messagesPerSecond"] = f(Double(messages) / rebuildSeconds)
    out["eventsPerSecond"] = f(Double(applied) / rebuildSeconds)
    out["messagesPerSecondWithOpen"] = f(Double(messages) / (t2 - t0).seconds)
    out["cpuPercent"] = f((cpu1 - cpu0) / (t2 - t0).seconds * 100)
    out["VmHWMKiB"] = String(status["VmHWM"] ?? 0)
    out["VmRSSKiBAtEnd"] = String(status["VmRSS"] ?? 0)
    out["RssAnonKiBAtEnd"] = String(status["RssAnon"] ?? 0)
    out["RssFileKiBAtEnd"] = String(status["RssFile"] ?? 0)
    out["peakRssAnonKiB"] = String(peaks.anon)
    out["peakRssFileKiB"] = String(peaks.file)
    out["VmHWMKiBBeforeOpen"] = String(before["VmHWM"] ?? 0)
    out["VmHWMKiBAfterOpen"] = String(afterOpen["VmHWM"] ?? 0)
    out["RssFileKiBAfterOpen"] = String(afterOpen["RssFile"] ?? 0)
    out["databaseBytes"] = String(fileSize(database))
    return out
}

// MARK: - apply latency

/// What a Projector without the reentrancy problem would do (see `applyLatency`): one
/// `projector.apply` in flight at a time; callers arriving meanwhile wait for it and then apply
/// everything durable so far in one transaction (so concurrent writers share commits).
actor SerializedApply {
    let projector: Projector
    let journal: Journal
    private var inFlight: Task<Void, any Error>?
    init(projector: Projector, journal: Journal) { self.projector = projector; self.journal = journal }

    func apply(through sequence: UInt64) async throws {
        while await projector.appliedSequence < sequence {
            if let inFlight {
                _ = await inFlight.result
                continue
            }
            let target = journal.lastSequence
            let projector = self.projector
            let task = Task { try await projector.apply(through: target) }
            inFlight = task
            let result = await task.result
            inFlight = nil
            try result.get()
        }
    }
}

enum ApplyMode: String { case `extension`, serialized }

struct LatencyResult {
    var mode: ApplyMode
    var writers: Int
    var operations: Int
    var seconds: Double
    var sortedMicros: [Double]
    var cpuPercent: Double
    var errors: [String]
    var opsPerSecond: Double { Double(operations) / seconds }
}

/// `writers` tasks, each in its own mailbox, loop for `seconds`: `journal.append(events:applyingWith:)`
/// of one MessageAppended (2–8 KiB corpus message), then `store.message(mailbox:uid:)` until it
/// returns the message (it must on the first read: read-your-writes). Latency: start of the append
/// to the read that sees it.
///
/// `.extension` calls `Journal.append(events:applyingWith:)` as the front-ends will. `.serialized`
/// appends with `journal.append(events:)` and applies through `SerializedApply`: `Projector.apply`
/// is an actor method that suspends in `pool.write`, so concurrent callers re-enter it with the
/// same `appliedSequence` and apply the same events twice (the second transaction fails with a
/// UNIQUE constraint error and that writer gets the error although its event is durable).
func applyLatency(writers: Int, seconds: Double, mode: ApplyMode) async throws -> LatencyResult {
    let directory = try TempDirectory.make("projection-apply")
    defer { TempDirectory.remove(directory) }
    let journal = try Journal(directory: directory + "/journal")
    defer { journal.close() }
    let store = try ProjectionStore(path: directory + "/projections.sqlite")
    defer { try? store.close() }
    let projector = try Projector(journal: journal, store: store)
    let world = World(users: writers)
    _ = try await journal.append(events: world.setupEvents(mailboxesPerUser: 1), applyingWith: projector)
    let bodies = Array(Corpus.messages(sized: 2_048...8_192).prefix(256))
    let serialized = SerializedApply(projector: projector, journal: journal)

    let clock = ContinuousClock()
    let cpu0 = cpuSeconds()
    let started = clock.now
    let deadline = started + .milliseconds(Int(seconds * 1000))
    let perWriter = try await withThrowingTaskGroup(of: ([Double], [String]).self) { group in
        for w in 0..<writers {
            group.addTask {
                var latencies: [Double] = []
                latencies.reserveCapacity(Int(seconds * 5_000))
                var errors: [String] = []
                let mailbox = world.mailbox(user: w, 0)
                let context = EventContext(actor: .user(world.user(w)), proto: "imap", clientAddress: "127.0.0.1")
                var uid: UInt32 = 1
                var i = w
                while clock.now < deadline {
                    let event = MessageAppended(context: context, mailbox: mailbox, flags: ["\\Seen"],
                                                internalDate: 1_764_547_200_000_000 + Int64(i), message: bodies[i % bodies.count])
                    let t0 = clock.now
                    do {
                        let sequences: [UInt64]
                        switch mode {
                        case .extension:
                            sequences = try await journal.append(events: [event], applyingWith: projector)
                        case .serialized:
                            sequences = try await journal.append(events: [event])
                            try await serialized.apply(through: sequences.last!)
                        }
                        var seen = try store.message(mailbox: mailbox, uid: uid)
                        if seen == nil {
                            errors.append("uid \(uid) of writer \(w) not visible after the append returned")
                            while seen == nil && clock.now < deadline + .seconds(5) {
                                try await Task.sleep(for: .microseconds(100))
                                seen = try store.message(mailbox: mailbox, uid: uid)
                            }
                        }
                        if let seen, seen.ref.event != sequences[0] {
                            errors.append("uid \(uid) of writer \(w) is event \(seen.ref.event), appended \(sequences[0])")
                        }
                        latencies.append((clock.now - t0).seconds * 1e6)
                    } catch {
                        errors.append("writer \(w): \(String("\(error)".prefix(90)))")
                        // The event is durable; wait until it is visible so the next UID is right.
                        while (try? store.message(mailbox: mailbox, uid: uid)) == nil && clock.now < deadline + .seconds(5) {
                            try? await Task.sleep(for: .microseconds(200))
                        }
                    }
                    uid += 1
                    i += writers
                }
                return (latencies, errors)
            }
        }
        var all: [([Double], [String])] = []
        for try await r in group { all.append(r) }
        return all
    }
    let wall = (clock.now - started).seconds
    let cpu = (cpuSeconds() - cpu0) / wall * 100
    let latencies = perWriter.flatMap(\.0).sorted()
    return LatencyResult(mode: mode, writers: writers, operations: latencies.count, seconds: wall, sortedMicros: latencies,
                         cpuPercent: cpu, errors: perWriter.flatMap(\.1))
}

func fsyncCeiling(seconds: Double) throws -> Double {
    let file = try SyncedFile(blockSize: 4096)
    defer { file.close() }
    _ = try file.syncedWrites(20)
    var n = 0, s = 0.0
    while s < seconds { s += try file.syncedWrites(50); n += 50 }
    return Double(n) / s
}

func latencyRow(_ r: LatencyResult, ceiling: Double) -> String {
    let p = r.sortedMicros
    func ms(_ us: Double) -> String { f(us / 1000, 2) }
    return "| \(r.mode == .extension ? "`append(events:applyingWith:)`" : "serialized apply (workaround)") | \(r.writers) | \(grouped(r.errors.count)) | \(grouped(r.operations)) in \(f(r.seconds, 1)) s | \(f(r.opsPerSecond)) | \(ms(percentile(p, 0.5))) | \(ms(percentile(p, 0.9))) | \(ms(percentile(p, 0.99))) | \(ms(p.last ?? .nan)) | \(f(ceiling)) | \(f(r.cpuPercent)) % |"
}

let latencyHeader = """
    | apply path | writers | errors | appends | appends/s | p50 ms | p90 ms | p99 ms | max ms | fdatasync ceiling just before, ops/s | CPU (of 200 %) |
    |---|---|---|---|---|---|---|---|---|---|---|
    """

func printLatency(_ r: LatencyResult) {
    if !r.errors.isEmpty {
        print("\n\(r.errors.count) errors with \(r.writers) writers, \(r.mode) (first 3):")
        for e in r.errors.prefix(3) { print("- \(e)") }
    }
}

// MARK: - main

let arguments = Array(CommandLine.arguments.dropFirst())
let command = arguments.first ?? "all"

switch command {
case "generate":
    guard arguments.count >= 2 else { print("usage: ProjectionLoad generate DIR [MESSAGES]"); exit(2) }
    let directory = arguments[1]
    let messages = arguments.count > 2 ? Int(arguments[2]) ?? 200_000 : 200_000
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let g = try await generate(directory: directory, messages: messages)
    let journal = try Journal(directory: directory + "/journal", mode: .readOnly)
    let used = try usedBytes(journal)
    let files = journalFiles(directory + "/journal")
    let info = """
        users=20
        messages=\(g.messages)
        events=\(g.events)
        flagEvents=\(g.flagEvents)
        messageBytes=\(g.messageBytes)
        generateSeconds=\(f(g.seconds, 1))
        segments=\(files.segments)
        segmentFileBytes=\(files.bytes)
        usedBytes=\(used.used)
        storedPayloadBytes=\(used.stored)
        payloadBytes=\(used.payload)
        corpus=\(Corpus.isGenerated ? "generated" : Corpus.directory)

        """
    try info.write(toFile: directory + "/generated.txt", atomically: true, encoding: .utf8)
    print(info, terminator: "")

case "rebuild":
    guard arguments.count >= 2 else { print("usage: ProjectionLoad rebuild DIR [BATCH]"); exit(2) }
    let out = try await rebuild(directory: arguments[1], batchSize: arguments.count > 2 ? Int(arguments[2]) : nil)
    for key in out.keys.sorted() { print("\(key)=\(out[key]!)") }

case "apply":
    let writers = arguments.count > 1 ? Int(arguments[1]) ?? 32 : 32
    let seconds = arguments.count > 2 ? Double(arguments[2]) ?? 10 : 10
    let mode = arguments.count > 3 ? ApplyMode(rawValue: arguments[3]) ?? .extension : .extension
    let ceiling = try fsyncCeiling(seconds: 0.5)
    let r = try await applyLatency(writers: writers, seconds: seconds, mode: mode)
    print(latencyHeader)
    print(latencyRow(r, ceiling: ceiling))
    printLatency(r)

case "all":
    let messages = arguments.count > 1 ? Int(arguments[1]) ?? 200_000 : 200_000
    let seconds = arguments.count > 2 ? Double(arguments[2]) ?? 10 : 10
    let directory = try TempDirectory.make("projections")
    defer { TempDirectory.remove(directory) }
    print("# Projection figures, \(Date()) — corpus: \(Corpus.isGenerated ? "generated text (corpus missing)" : Corpus.directory)")
    print("load average at start: \(loadAverage()) (2 cores)\n")

    // Each phase in its own process, so the rebuild's peak RSS is its own.
    let me = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
    func child(_ args: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: me)
        process.arguments = args
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchFailure("\(args) exited with \(process.terminationStatus)") }
        return String(decoding: data, as: UTF8.self)
    }
    let gen = parseKeyValues(try child(["generate", directory, String(messages)]))
    let reb = parseKeyValues(try child(["rebuild", directory]))
    func i(_ d: [String: String], _ k: String) -> Int { Int(d[k] ?? "") ?? 0 }
    func mb(_ bytes: Int) -> String { f(Double(bytes) / 1e6) }
    func mibKiB(_ kib: Int) -> String { f(Double(kib) / 1024) }

    print("## Journal generated for the rebuild\n")
    print("| messages | events | of which FlagsChanged | message bytes | bytes used in segments (headers + stored, LZ4) | segment files | generate time |")
    print("|---|---|---|---|---|---|---|")
    print("| \(grouped(i(gen, "messages"))) (4–50 KiB) | \(grouped(i(gen, "events"))) | \(grouped(i(gen, "flagEvents"))) | \(mb(i(gen, "messageBytes"))) MB | \(mb(i(gen, "usedBytes"))) MB (payloads \(mb(i(gen, "payloadBytes"))) MB → \(mb(i(gen, "storedPayloadBytes"))) MB) | \(i(gen, "segments")) × 64 MiB = \(mb(i(gen, "segmentFileBytes"))) MB | \(gen["generateSeconds"] ?? "?") s |")

    print("\n## Rebuild (`Rebuild.run`, child process, journal opened read-write like `roost rebuild`)\n")
    print("| journal open (scan + CRC) | rebuild | messages/s | events/s | messages/s incl. open | CPU (of 200 %) | VmHWM | peak RssAnon | peak RssFile | database |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    print("| \(reb["openSeconds"] ?? "?") s | \(reb["rebuildSeconds"] ?? "?") s | **\(grouped(i(reb, "messagesPerSecond")))** | \(grouped(i(reb, "eventsPerSecond"))) | \(grouped(i(reb, "messagesPerSecondWithOpen"))) | \(reb["cpuPercent"] ?? "?") % | **\(mibKiB(i(reb, "VmHWMKiB"))) MiB** | \(mibKiB(i(reb, "peakRssAnonKiB"))) MiB | \(mibKiB(i(reb, "peakRssFileKiB"))) MiB | \(mb(i(reb, "databaseBytes"))) MB |")
    print("\nVmHWM after open: \(mibKiB(i(reb, "VmHWMKiBAfterOpen"))) MiB (RssFile \(mibKiB(i(reb, "RssFileKiBAfterOpen"))) MiB); at end VmRSS \(mibKiB(i(reb, "VmRSSKiBAtEnd"))) MiB = anon \(mibKiB(i(reb, "RssAnonKiBAtEnd"))) + file \(mibKiB(i(reb, "RssFileKiBAtEnd"))). Message rows built: \(grouped(i(reb, "messageRows"))).")

    print("\n## Apply latency (append → visible to a reader)\n")
    print(latencyHeader)
    var results: [LatencyResult] = []
    for (writers, mode) in [(1, ApplyMode.extension), (32, .extension), (32, .serialized)] {
        let ceiling = try fsyncCeiling(seconds: 0.5)
        let r = try await applyLatency(writers: writers, seconds: seconds, mode: mode)
        print(latencyRow(r, ceiling: ceiling))
        results.append(r)
    }
    for r in results { printLatency(r) }
    print("\nload average at end: \(loadAverage())")

default:
    print("usage: ProjectionLoad all [MESSAGES] [SECONDS] | generate DIR [MESSAGES] | rebuild DIR [BATCH] | apply WRITERS SECONDS [extension|serialized]")
    exit(2)
}
