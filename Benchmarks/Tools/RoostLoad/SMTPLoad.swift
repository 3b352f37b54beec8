import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

/// Options every subcommand shares: where the server is and how to read its CPU time.
struct ServerOptions: ParsableArguments {
    @Option(help: "Server address.") var host = "127.0.0.1"
    @Option(help: "Label printed with the results (e.g. roost, postfix+dovecot).") var label = "server"
    @Option(name: .customLong("server-pid"), help: "A server process whose CPU time is read from /proc (repeatable).")
    var serverPIDs: [Int32] = []
    @Option(name: .customLong("server-exe"), help: "Sum the CPU time of every process whose executable path starts with this (repeatable), e.g. /usr/lib/postfix/.")
    var serverExecutables: [String] = []
    @Option(help: "Event-loop threads of the client.") var threads = 1

    var cpu: ServerCPU { ServerCPU(pids: serverPIDs, executablePrefixes: serverExecutables) }
}

/// Accounts the generator logs in as: PREFIX + number + @DOMAIN.
struct AccountOptions: ParsableArguments {
    @Option(help: "Users are PREFIX<n>@DOMAIN.") var userPrefix = "user"
    @Option(help: "Domain of the users.") var domain = "example.test"
    @Option(help: "First user number.") var firstUser = 1
    @Option(help: "Password of every user.") var password = "secret"

    func user(_ i: Int) -> String { "\(userPrefix)\(firstUser + i)@\(domain)" }
}

struct SMTPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smtp",
        abstract: "Send N messages of S bytes over C concurrent sessions; accepted messages/s, latency of the final 250, time until all are visible over IMAP STATUS.")

    @OptionGroup var server: ServerOptions
    @OptionGroup var accounts: AccountOptions
    @Option(help: "SMTP port.") var port = 25
    @Option(help: "Messages to send.") var messages = 2000
    @Option(help: "Message size in bytes.") var size = 4096
    @Option(help: "Concurrent SMTP sessions.") var sessions = 32
    @Option(help: "Recipients (users), round-robin over the messages.") var recipients = 10
    @Option(help: "IMAP port for the visibility check (STATUS INBOX (MESSAGES)); 0 skips it.") var imapPort = 143
    @Option(help: "Seconds to wait for all messages to become visible.") var visibleTimeout = 300.0

    func run() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: server.threads)
        // Not shut down: the process ends with the run.
        let recipientAddresses = (0..<recipients).map { accounts.user($0) }
        let host = server.host
        let port = port, size = size, sessions = sessions, messages = messages

        // Visibility watchers log in before the run, so logging in costs nothing in the timed part.
        var expected = [Int](repeating: 0, count: recipients)
        for i in 0..<messages { expected[i % recipients] += 1 }
        let watchers = imapPort == 0 ? nil : try await StatusWatchers.open(
            host: host, port: imapPort, users: recipientAddresses, password: accounts.password, expected: expected,
            timeout: visibleTimeout, group: group)

        let cpu = server.cpu
        let cpu0 = cpu.sample(), client0 = clientCPUSeconds()
        let start = now()
        let results = try await withThrowingTaskGroup(of: (Latencies, Int).self) { tasks in
            for k in 0..<sessions {
                tasks.addTask {
                    try await Self.session(k: k, sessions: sessions, messages: messages, size: size, recipients: recipientAddresses,
                                           host: host, port: port, group: group)
                }
            }
            var all = Latencies(), sent = 0
            for try await (lat, n) in tasks { all.merge(lat); sent += n }
            return (all, sent)
        }
        let lastAccepted = now()
        var visible: UInt64? = nil
        if let watchers {
            visible = try await watchers.waitUntilAllVisible()
        }
        let end = visible ?? lastAccepted
        let cpu1 = cpu.sample(), client1 = clientCPUSeconds()
        let (latencies, accepted) = results
        let sendSeconds = Double(lastAccepted - start) / 1e9
        let s = latencies.summary()
        let serverCPU = cpu1.seconds - cpu0.seconds
        say("\(server.label) smtp: \(accepted) messages of \(size) B over \(sessions) sessions to \(recipients) recipients in \(format(sendSeconds, 2)) s: \(format(Double(accepted) / sendSeconds, 0)) accepted/s")
        say("  final 250 latency ms: p50 \(format(s.p50, 2)) p90 \(format(s.p90, 2)) p99 \(format(s.p99, 2)) max \(format(s.max, 2))")
        var fields: [String: any Sendable] = [
            "protocol": "smtp", "label": server.label, "messages": accepted, "size": size, "sessions": sessions,
            "recipients": recipients, "send_seconds": sendSeconds, "accepted_per_second": Double(accepted) / sendSeconds,
            "p50_ms": s.p50, "p90_ms": s.p90, "p99_ms": s.p99, "max_ms": s.max, "client_cpu_seconds": client1 - client0,
        ]
        if let visible {
            let all = Double(visible - start) / 1e9
            let after = Double(visible - lastAccepted) / 1e9
            say("  all visible over IMAP after \(format(all, 2)) s (\(format(after, 2)) s after the last 250): \(format(Double(accepted) / all, 0)) delivered/s")
            fields["visible_seconds"] = all
            fields["visible_after_last_250_seconds"] = after
            fields["delivered_per_second"] = Double(accepted) / all
        }
        if !cpu.isEmpty {
            say("  server CPU \(format(serverCPU, 2)) s over \(cpu1.processes) processes: \(format(serverCPU / Double(accepted) * 1000, 3)) ms per message (start to \(visible == nil ? "last 250" : "all visible"))")
            fields["server_cpu_seconds"] = serverCPU
            fields["server_cpu_ms_per_message"] = serverCPU / Double(accepted) * 1000
            fields["server_processes"] = cpu1.processes
        }
        say("  client CPU \(format(client1 - client0, 2)) s (\(format((client1 - client0) / (Double(end - start) / 1e9) * 100, 0)) % of a core)")
        emitResult(fields)
    }

    /// Session k sends messages k, k + C, k + 2C, … Returns the latencies of the final 250s.
    static func session(k: Int, sessions: Int, messages: Int, size: Int, recipients: [String],
                        host: String, port: Int, group: any EventLoopGroup) async throws -> (Latencies, Int) {
        try await MailConnection.with(host: host, port: port, group: group) { c in
            var latencies = Latencies()
            try await expectReply(c, "220")
            try await c.send("EHLO load\(k).example\r\n")
            let ehlo = try await expectReply(c, "250")
            let pipelining = ehlo.contains { $0.uppercased().hasPrefix("PIPELINING") }
            var sent = 0
            var i = k
            while i < messages {
                let to = recipients[i % recipients.count]
                var data = ByteBuffer(bytes: MessageText.make(number: i, to: to, size: size))
                data.writeString(".\r\n")
                let envelope = ["MAIL FROM:<load@example.com>\r\n", "RCPT TO:<\(to)>\r\n", "DATA\r\n"]
                if pipelining {
                    try await c.send(envelope.joined())
                    try await expectReply(c, "250")
                    try await expectReply(c, "250")
                    try await expectReply(c, "354")
                } else {
                    for (command, code) in zip(envelope, ["250", "250", "354"]) {
                        try await c.send(command)
                        try await expectReply(c, code)
                    }
                }
                let t0 = now()
                try await c.send(data)
                try await expectReply(c, "250")
                latencies.add(now() - t0)
                sent += 1
                i += sessions
            }
            try await c.send("QUIT\r\n")
            _ = try? await readReply(c)
            return (latencies, sent)
        }
    }

    /// An SMTP reply (all its lines, text after the code), with its code.
    static func readReply(_ c: MailConnection) async throws -> (code: String, lines: [String]) {
        var lines: [String] = []
        while true {
            let line = try await c.lineString()
            guard line.utf8.count >= 3 else { throw LoadError.protocolError("short SMTP reply \(line)") }
            let code = String(line.prefix(3))
            lines.append(String(line.dropFirst(4)))
            if line.utf8.count == 3 || line[line.index(line.startIndex, offsetBy: 3)] == " " { return (code, lines) }
        }
    }

    @discardableResult
    static func expectReply(_ c: MailConnection, _ code: String) async throws -> [String] {
        let reply = try await readReply(c)
        guard reply.code == code else { throw LoadError.refused("expected \(code), got \(reply.code) \(reply.lines.joined(separator: " / "))") }
        return reply.lines
    }
}

/// One logged-in IMAP connection per recipient, opened before the run (logging in is not part of
/// the timed work), polling STATUS INBOX (MESSAGES) once the last 250 has come.
final class StatusWatchers: Sendable {
    private let gate: Gate
    private let result: Task<UInt64, any Error>

    private init(gate: Gate, result: Task<UInt64, any Error>) { self.gate = gate; self.result = result }

    static func open(host: String, port: Int, users: [String], password: String, expected: [Int], timeout: Double,
                     group: any EventLoopGroup) async throws -> StatusWatchers {
        let ready = Barrier(parties: users.count + 1)
        let gate = Gate()
        let result = Task {
            try await withThrowingTaskGroup(of: UInt64.self) { tasks in
                for (i, user) in users.enumerated() {
                    tasks.addTask {
                        do {
                            return try await IMAPClient.session(host: host, port: port, user: user, password: password, group: group) { imap in
                                let baseline = try await imap.statusMessages()
                                await ready.arrive()
                                await gate.wait()
                                let deadline = now() + UInt64(timeout * 1e9)
                                while true {
                                    let count = try await imap.statusMessages()
                                    if count >= baseline + expected[i] { return now() }
                                    guard now() < deadline else {
                                        throw LoadError.protocolError("\(user): \(count - baseline) of \(expected[i]) messages visible after \(timeout) s")
                                    }
                                    try await Task.sleep(for: .milliseconds(20))
                                }
                            }
                        } catch {
                            await ready.leave()
                            throw error
                        }
                    }
                }
                var last: UInt64 = 0
                for try await t in tasks { last = max(last, t) }
                return last
            }
        }
        await ready.arrive()
        return StatusWatchers(gate: gate, result: result)
    }

    /// Starts polling; returns when every recipient has all its messages.
    func waitUntilAllVisible() async throws -> UInt64 {
        await gate.open()
        return try await result.value
    }
}

/// Suspends waiters until it is opened once.
actor Gate {
    private var isOpen = false
    private var waiting: [CheckedContinuation<Void, Never>] = []
    func wait() async {
        if isOpen { return }
        await withCheckedContinuation { waiting.append($0) }
    }
    func open() {
        isOpen = true
        for w in waiting { w.resume() }
        waiting = []
    }
}
