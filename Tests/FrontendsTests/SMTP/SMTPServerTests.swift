import Foundation
import Journal
import Logging
import NIOCore
import Pipeline
import Testing
@testable import Frontends
@testable import Projections

/// The SMTP handler on a real journal, projection database and socket (in process, ephemeral
/// port): the 250 after DATA comes only once the message and its delivery are durable and
/// applied, the events name each other correctly, and a dropped DATA records nothing.
@Suite struct SMTPServerTests {
    final class Fixture: @unchecked Sendable {
        let directory: String
        let journal: Journal
        let store: ProjectionStore
        let projector: Projector
        let user = UserID.random()
        let inbox = MailboxID.random()
        let junk = MailboxID.random()

        init() async throws {
            var template = Array((NSTemporaryDirectory() + "roost-smtp-XXXXXX").utf8CString)
            directory = String(cString: mkdtemp(&template)!)
            journal = try Journal(directory: directory + "/journal", options: JournalOptions(segmentSize: 256 * 1024))
            store = try ProjectionStore(path: directory + "/projections.sqlite")
            projector = try Projector(journal: journal, store: store)
            let ctx = EventContext.system("test")
            let domain = DomainID.random()
            _ = try await journal.append(events: [
                DomainAdded(context: ctx, domain: domain, name: "example.org"),
                UserCreated(context: ctx, user: user, domain: domain, localPart: "alice", passwordHash: "*"),
                MailboxCreated(context: ctx, mailbox: inbox, user: user, name: "INBOX", uidValidity: 1),
                MailboxCreated(context: ctx, mailbox: junk, user: user, name: "Junk", uidValidity: 2, specialUse: ["\\Junk"]),
            ], applyingWith: projector)
        }

        deinit {
            try? store.close()
            journal.close()
            try? FileManager.default.removeItem(atPath: directory)
        }

        func run(pipeline: InboundPipeline? = nil, messagePipeline: InboundPipeline? = nil, _ body: (Int) async throws -> Void) async throws {
            var logger = Logger(label: "smtp-test")
            logger.logLevel = .warning
            let authenticator = Authenticator(lookup: Authenticator.lookup(in: store), throttle: AuthenticationThrottle(logger: logger), logger: logger)
            let handler = SMTPHandler(configuration: SMTPConfiguration(role: .mx, hostname: "mx.example.org"), journal: journal,
                                      projector: projector, authenticator: authenticator, rateLimiter: SMTPRateLimiter(perMinute: 0), pipeline: pipeline,
                                      messagePipeline: messagePipeline, logger: logger)
            let server = Server(configuration: .init(name: "smtp", host: "127.0.0.1", port: 0, tls: .none), handler: handler, logger: logger)
            let port = try await server.bind().port!
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await server.run() }
                do { try await body(port) } catch { group.cancelAll(); throw error }
                group.cancelAll()
            }
        }
    }

    @Test func acknowledgedMeansDurableAndApplied() async throws {
        let f = try await Fixture()
        let message = "Subject: hello\r\n\r\n.dot\r\nbody\r\n"
        try await f.run { port in
            let client = try await TestClient(port: port)
            _ = try await client.readReply()
            #expect(try await client.command("EHLO client.example")?.hasPrefix("250 ") == true)
            #expect(try await client.command("MAIL FROM:<ann@example.net>") == "250 2.1.0 Ok")
            #expect(try await client.command("RCPT TO:<alice+news@example.org>") == "250 2.1.5 Ok")
            #expect(try await client.command("DATA")?.hasPrefix("354") == true)
            let reply = try #require(try await client.command(message.replacingOccurrences(of: "\r\n.dot", with: "\r\n..dot") + "."))
            #expect(reply.hasPrefix("250 2.0.0 Ok: queued as "))
            // Read-your-writes: the projection has it the moment 250 arrives.
            let messages = try f.store.messages(mailbox: f.inbox)
            #expect(messages.count == 1)
            let id = UInt64(reply.split(separator: " ").last!)!
            let received = try #require(try Event.decode(f.journal.record(id))?.body as? MessageReceived)
            #expect(received.message == Array(message.utf8))
            #expect(received.envelope.mailFrom == "ann@example.net" && received.envelope.helo == "client.example")
            #expect(received.envelope.recipients.map(\.address) == ["alice+news@example.org"])
            let delivered = try #require(try Event.decode(f.journal.record(id + 1))?.body as? MessageDelivered)
            #expect(delivered.received == id && delivered.user == f.user && delivered.mailbox == f.inbox)
            let header = String(decoding: delivered.addedHeader, as: UTF8.self)
            #expect(header.hasPrefix("Return-Path: <ann@example.net>\r\nReceived: from client.example (unknown [127.0.0.1])\r\n"))
            #expect(header.contains("by mx.example.org (Roost) with ESMTP id \(id)\r\n\tfor <alice+news@example.org>; "))
            // What POP3 and IMAP serve: the added header, then the stored bytes.
            #expect(try POP3MessageContent.read(messages[0], from: f.journal) == delivered.addedHeader + Array(message.utf8))
            _ = try await client.command("QUIT")
        }
    }

    @Test func aDroppedDataRecordsNothing() async throws {
        let f = try await Fixture()
        let before = f.journal.lastSequence
        try await f.run { port in
            let client = try await TestClient(port: port)
            _ = try await client.readReply()
            _ = try await client.command("EHLO client.example")
            _ = try await client.command("MAIL FROM:<ann@example.net>")
            _ = try await client.command("RCPT TO:<alice@example.org>")
            _ = try await client.command("DATA")
            try await client.send("Subject: never\r\n\r\nhalf a message\r\n")
            try await client.channel.channel.close()
            // Give the server time to see the close (a wrong "deliver at EOF" would show below).
            try await Task.sleep(for: .milliseconds(500))
            // A second session shows the server is fine and the first left nothing behind.
            let second = try await TestClient(port: port)
            _ = try await second.readReply()
            #expect(try await second.command("NOOP") == "250 2.0.0 Ok")
            _ = try await second.command("QUIT")
        }
        #expect(f.journal.lastSequence == before)
        #expect(try f.store.messages(mailbox: f.inbox).isEmpty)
    }
}
