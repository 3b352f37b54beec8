import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

struct POP3Command: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pop3",
        abstract: "N users download their whole maildrops at once (STAT, UIDL, LIST, RETR each, QUIT; nothing deleted), R rounds; messages/s, MB/s, RETR latency.")

    @OptionGroup var server: ServerOptions
    @OptionGroup var accounts: AccountOptions
    @Option(help: "POP3 port.") var port = 110
    @Option(help: "Concurrent users.") var users = 10
    @Option(help: "Messages per maildrop; filled up over IMAP APPEND first when --imap-port is given.") var messages = 100
    @Option(help: "IMAP port used to fill the maildrops (INBOX); 0: use them as they are.") var imapPort = 0
    @Option(help: "Rounds: each round every user logs in (not timed), then all download together.") var rounds = 3

    func run() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: server.threads)
        // Not shut down: the process ends with the run.
        let host = server.host, port = port, password = accounts.password
        let names = (0..<users).map { accounts.user($0) }
        if imapPort != 0 {
            let imapPort = imapPort, messages = messages
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                for user in names {
                    tasks.addTask {
                        try await IMAPClient.session(host: host, port: imapPort, user: user, password: password, group: group) { imap in
                            try await IMAPCommand.fill(imap, user: user, to: messages)
                        }
                    }
                }
                try await tasks.waitForAll()
            }
        }
        let cpu = server.cpu
        var retr = Latencies(), sessionTimes = Latencies()
        var wall = 0.0, serverCPU = 0.0, clientCPU = 0.0, downloaded = 0, bytes = 0
        for _ in 0..<rounds {
            let phase = TimedPhase(cpu: cpu)
            let barrier = Barrier(parties: users) { phase.begin() }
            let results = try await withThrowingTaskGroup(of: (Latencies, Int, Int, UInt64).self) { tasks in
                for user in names {
                    tasks.addTask {
                        do {
                            return try await Self.download(host: host, port: port, user: user, password: password, group: group, barrier: barrier)
                        } catch {
                            await barrier.leave()
                            throw error
                        }
                    }
                }
                var all: [(Latencies, Int, Int, UInt64)] = []
                for try await r in tasks { all.append(r) }
                return all
            }
            let (w, s, c) = phase.end()
            wall += w; serverCPU += s ?? 0; clientCPU += c
            for (l, n, b, t) in results { retr.merge(l); downloaded += n; bytes += b; sessionTimes.add(t) }
        }
        let r = retr.summary(), t = sessionTimes.summary()
        say("\(server.label) pop3: \(users) users × \(downloaded / max(1, users * rounds)) messages, \(rounds) rounds, \(format(wall, 2)) s timed: \(format(Double(downloaded) / wall, 0)) messages/s, \(format(Double(bytes) / wall / 1e6, 1)) MB/s, \(format(Double(users * rounds) / wall, 1)) maildrops/s")
        say("  RETR latency ms: p50 \(format(r.p50, 2)) p90 \(format(r.p90, 2)) p99 \(format(r.p99, 2)) max \(format(r.max, 2)); whole download per user p50 \(format(t.p50, 0)) ms, max \(format(t.max, 0)) ms")
        var fields: [String: any Sendable] = [
            "protocol": "pop3", "label": server.label, "users": users, "rounds": rounds, "seconds": wall,
            "messages": downloaded, "bytes": bytes, "messages_per_second": Double(downloaded) / wall,
            "mb_per_second": Double(bytes) / wall / 1e6, "maildrops_per_second": Double(users * rounds) / wall,
            "retr_p50_ms": r.p50, "retr_p90_ms": r.p90, "retr_p99_ms": r.p99, "retr_max_ms": r.max,
            "download_p50_ms": t.p50, "download_max_ms": t.max, "client_cpu_seconds": clientCPU,
        ]
        if !cpu.isEmpty {
            say("  server CPU \(format(serverCPU, 2)) s, \(format(serverCPU / Double(downloaded) * 1000, 3)) ms per message")
            fields["server_cpu_seconds"] = serverCPU
            fields["server_cpu_ms_per_message"] = serverCPU / Double(downloaded) * 1000
        }
        say("  client CPU \(format(clientCPU, 2)) s (\(format(clientCPU / wall * 100, 0)) % of a core)")
        emitResult(fields)
    }

    /// Logs in, waits for the others, then STAT, UIDL, LIST, RETR 1…n, QUIT.
    /// Returns RETR latencies, messages, bytes and the time from the barrier to QUIT's reply.
    static func download(host: String, port: Int, user: String, password: String, group: any EventLoopGroup,
                         barrier: Barrier) async throws -> (Latencies, Int, Int, UInt64) {
        try await MailConnection.with(host: host, port: port, group: group) { c in
            try await expectOK(c, "greeting")
            try await c.send("USER \(user)\r\n")
            try await expectOK(c, "USER")
            try await c.send("PASS \(password)\r\n")
            try await expectOK(c, "PASS")
            await barrier.arrive()
            let t0 = now()
            try await c.send("STAT\r\n")
            let stat = try await expectOK(c, "STAT")
            let count = Int(stat.split(separator: " ").first ?? "") ?? 0
            try await c.send("UIDL\r\n")
            try await expectOK(c, "UIDL")
            _ = try await multiline(c)
            try await c.send("LIST\r\n")
            try await expectOK(c, "LIST")
            _ = try await multiline(c)
            var latencies = Latencies()
            var bytes = 0
            for n in 1...max(1, count) where count > 0 {
                let r0 = now()
                try await c.send("RETR \(n)\r\n")
                try await expectOK(c, "RETR \(n)")
                bytes += try await multiline(c)
                latencies.add(now() - r0)
            }
            try await c.send("QUIT\r\n")
            try await expectOK(c, "QUIT")
            return (latencies, count, bytes, now() - t0)
        }
    }

    /// The text after "+OK ", or a refusal.
    @discardableResult
    static func expectOK(_ c: MailConnection, _ what: String) async throws -> String {
        let line = try await c.lineString()
        guard line.hasPrefix("+OK") else { throw LoadError.refused("\(what): \(line)") }
        return String(line.dropFirst(4))
    }

    /// Reads a multi-line response body up to the "." line; returns its size in bytes.
    static func multiline(_ c: MailConnection) async throws -> Int {
        var bytes = 0
        while true {
            let line = try await c.line()
            if line.readableBytes == 1 && line.readableBytesView.first == UInt8(ascii: ".") { return bytes }
            bytes += line.readableBytes + 2
        }
    }
}
