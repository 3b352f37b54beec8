import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

/// The mix one IMAP session runs, as a mail program would: mostly reading, some changes.
enum IMAPOperation: String, CaseIterable, Sendable {
    case select = "SELECT"
    case fetchEnvelope = "FETCH FLAGS ENVELOPE"
    case fetchBody = "FETCH BODY[]"
    case store = "STORE"
    case search = "SEARCH"
    case append = "APPEND"
    case expunge = "EXPUNGE"
    case idle = "IDLE"

    /// Weights in percent.
    var weight: Int {
        switch self {
        case .select: 10
        case .fetchEnvelope: 20
        case .fetchBody: 20
        case .store: 15
        case .search: 10
        case .append: 8
        case .expunge: 7
        case .idle: 10
        }
    }

    static func pick(_ rng: inout SplitMix64) -> IMAPOperation {
        var r = Int(rng.next() % 100)
        for op in allCases {
            if r < op.weight { return op }
            r -= op.weight
        }
        return .fetchEnvelope
    }
}

struct IMAPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "imap",
        abstract: "N users, each on its own connection with a populated INBOX, run a mail-program mix for a fixed time; operations/s per command and latency percentiles.")

    @OptionGroup var server: ServerOptions
    @OptionGroup var accounts: AccountOptions
    @Option(help: "IMAP port.") var port = 143
    @Option(help: "Concurrent users (one connection each).") var users = 10
    @Option(help: "Messages each INBOX is filled up to (APPEND) before the timed part.") var populate = 100
    @Option(help: "Seconds of timed load.") var seconds = 10.0
    @Option(help: "Seed of the operation sequence (same seed, same sequence on every server).") var seed: UInt64 = 15

    func run() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: server.threads)
        // Not shut down: the process ends with the run.
        let cpu = server.cpu
        let box = TimedPhase(cpu: cpu)
        let barrier = Barrier(parties: users) { box.begin() }
        let host = server.host, port = port, password = accounts.password, populate = populate
        let duration = UInt64(seconds * 1e9), seed = seed
        let names = (0..<users).map { accounts.user($0) }
        let perSession = try await withThrowingTaskGroup(of: [IMAPOperation: Latencies].self) { tasks in
            for (i, user) in names.enumerated() {
                tasks.addTask {
                    do {
                        return try await IMAPClient.session(host: host, port: port, user: user, password: password, group: group) { imap in
                            try await Self.fill(imap, user: user, to: populate)
                            _ = try await imap.select()
                            var uids = try await imap.uidSearch("ALL")
                            _ = try await imap.command("NOOP")
                            await barrier.arrive()
                            return try await Self.mix(imap, user: user, uids: &uids, until: box.started + duration,
                                                      seed: seed &+ UInt64(i) &* 0x1000_0000_01)
                        }
                    } catch {
                        await barrier.leave()
                        throw error
                    }
                }
            }
            var all: [[IMAPOperation: Latencies]] = []
            for try await r in tasks { all.append(r) }
            return all
        }
        let (wall, serverCPU, clientCPU) = box.end()
        var merged: [IMAPOperation: Latencies] = [:]
        for session in perSession { for (op, l) in session { merged[op, default: Latencies()].merge(l) } }
        let total = merged.values.reduce(0) { $0 + $1.samples.count }
        say("\(server.label) imap: \(users) users, INBOX of \(populate)+ messages, \(format(wall, 1)) s: \(total) operations, \(format(Double(total) / wall, 0)) ops/s")
        var perOp: [String: any Sendable] = [:]
        say("  | command | ops | ops/s | p50 ms | p90 ms | p99 ms | max ms |")
        for op in IMAPOperation.allCases {
            let s = (merged[op] ?? Latencies()).summary()
            say("  | \(op.rawValue) | \(s.count) | \(format(Double(s.count) / wall, 0)) | \(format(s.p50, 2)) | \(format(s.p90, 2)) | \(format(s.p99, 2)) | \(format(s.max, 2)) |")
            perOp[op.rawValue] = ["ops": s.count, "per_second": Double(s.count) / wall, "p50_ms": s.p50, "p90_ms": s.p90, "p99_ms": s.p99, "max_ms": s.max] as [String: any Sendable]
        }
        var fields: [String: any Sendable] = [
            "protocol": "imap", "label": server.label, "users": users, "populate": populate, "seconds": wall,
            "operations": total, "ops_per_second": Double(total) / wall, "per_command": perOp, "client_cpu_seconds": clientCPU,
        ]
        if let serverCPU {
            say("  server CPU \(format(serverCPU, 2)) s (\(format(serverCPU / wall * 100, 0)) % of a core), \(format(serverCPU / Double(total) * 1000, 3)) ms per operation")
            fields["server_cpu_seconds"] = serverCPU
            fields["server_cpu_ms_per_operation"] = serverCPU / Double(total) * 1000
        }
        say("  client CPU \(format(clientCPU, 2)) s (\(format(clientCPU / wall * 100, 0)) % of a core)")
        emitResult(fields)
    }

    /// APPENDs until INBOX has `count` messages (not timed).
    static func fill(_ imap: IMAPClient, user: String, to count: Int) async throws {
        let have = try await imap.statusMessages()
        guard have < count else { return }
        for i in have..<count {
            _ = try await imap.append(MessageText.make(number: i, to: user, size: MessageText.populationSize(i)))
        }
    }

    /// The timed loop; `uids` is this session's view of INBOX (nobody else changes it).
    static func mix(_ imap: IMAPClient, user: String, uids: inout [Int], until deadline: UInt64,
                    seed: UInt64) async throws -> [IMAPOperation: Latencies] {
        var rng = SplitMix64(seed: seed)
        var latencies: [IMAPOperation: Latencies] = [:]
        var appended: [Int] = []
        var sequence = 0
        _ = try await imap.select()
        while now() < deadline {
            let op = IMAPOperation.pick(&rng)
            sequence += 1
            let t0 = now()
            switch op {
            case .select:
                _ = try await imap.select()
            case .fetchEnvelope:
                // What a client asks after SELECT: the newest messages' flags and envelopes.
                guard let last = uids.last else { continue }
                let first = uids[max(0, uids.count - 20)]
                try ok(await imap.command("UID FETCH \(first):\(last) (UID FLAGS ENVELOPE)", keepUntagged: false), op)
            case .fetchBody:
                guard !uids.isEmpty else { continue }
                let uid = uids[Int(rng.next() % UInt64(uids.count))]
                try ok(await imap.command("UID FETCH \(uid) (BODY[])", keepUntagged: false), op)
            case .store:
                guard !uids.isEmpty else { continue }
                let uid = uids[Int(rng.next() % UInt64(uids.count))]
                let change = rng.next() % 2 == 0 ? "+FLAGS" : "-FLAGS"
                try ok(await imap.command("UID STORE \(uid) \(change) (\\Flagged)", keepUntagged: false), op)
            case .search:
                let criteria = ["UNSEEN", "FLAGGED", "FROM \"sender3\"", "SUBJECT \"topic 7\"", "SINCE 1-Dec-2026"][Int(rng.next() % 5)]
                try ok(await imap.command("UID SEARCH \(criteria)", keepUntagged: false), op)
            case .append:
                let message = MessageText.make(number: 100_000 + sequence, to: user, size: 4096)
                let uid = try await imap.append(message)
                if let uid { uids.append(uid); appended.append(uid) }
            case .expunge:
                // Removes what this session appended, else the oldest message: INBOX stays near its size.
                guard let uid = appended.popLast() ?? uids.first else { continue }
                try ok(await imap.command("UID STORE \(uid) +FLAGS.SILENT (\\Deleted)", keepUntagged: false), op)
                try ok(await imap.command("EXPUNGE", keepUntagged: false), op)
                uids.removeAll { $0 == uid }
            case .idle:
                // Enter IDLE and leave it as soon as the server confirms: the cost of an IDLE cycle.
                let tag = imap.nextTag()
                try await imap.connection.send("\(tag) IDLE\r\n")
                while true {
                    let line = try await imap.connection.lineString()
                    if line.hasPrefix("+") { break }
                    if line.hasPrefix(tag + " ") { throw LoadError.refused("IDLE: \(line)") }
                }
                try await imap.connection.send("DONE\r\n")
                try ok(await imap.response(tag: tag, keepUntagged: false), op)
            }
            latencies[op, default: Latencies()].add(now() - t0)
        }
        return latencies
    }

    static func ok(_ r: IMAPClient.Response, _ op: IMAPOperation) throws {
        guard r.ok else { throw LoadError.refused("\(op.rawValue): \(r.status)") }
    }
}

/// When the timed part began (set by the barrier) and what it cost the server.
final class TimedPhase: @unchecked Sendable {
    // Written once by the barrier before any session reads it; the barrier's actor hop orders it.
    private(set) var started: UInt64 = 0
    private var cpu0 = 0.0, client0 = 0.0
    let cpu: ServerCPU

    init(cpu: ServerCPU) { self.cpu = cpu }

    func begin() {
        cpu0 = cpu.isEmpty ? 0 : cpu.sample().seconds
        client0 = clientCPUSeconds()
        started = now()
    }

    /// Wall seconds since `begin`, server CPU seconds (nil without a server selected), client CPU seconds.
    func end() -> (Double, Double?, Double) {
        let wall = Double(now() - started) / 1e9
        let server = cpu.isEmpty ? nil : cpu.sample().seconds - cpu0
        return (wall, server, clientCPUSeconds() - client0)
    }
}
