import Foundation
import Journal
import Logging
import NIOCore
@testable import Frontends
@testable import Projections

/// A real journal and projection database in a temporary directory, seeded with alice, her INBOX
/// (one delivered message) and Junk, and the IMAP handler served on two ephemeral ports:
/// STARTTLS (143-style, passwords only after TLS) and implicit TLS (993-style). Drives
/// scripts/test-imap.py against it.
final class IMAPTestServer: MailStoreFixture, @unchecked Sendable {
    static let account = "alice@example.org"
    static let password = "secret"
    static let delivered = "From: Ann <ann@example.net>\nSubject: welcome\n\nHello Alice.\n"
    static let addedHeader = "Return-Path: <ann@example.net>\r\n"

    let user = UserID.random()
    let inbox = MailboxID.random()

    init() throws {
        try super.init(prefix: "roost-imap", segmentSize: 1024 * 1024, batchSize: 64, certificate: TestCertificates.loopback)
    }

    func seed() async throws {
        let ctx = EventContext.system("test")
        let domain = DomainID.random()
        _ = try await journal.append(events: [
            DomainAdded(context: ctx, domain: domain, name: "example.org"),
            UserCreated(context: ctx, user: user, domain: domain, localPart: "alice", passwordHash: try PasswordHash.make(Self.password)),
            MailboxCreated(context: ctx, mailbox: inbox, user: user, name: "INBOX", uidValidity: 777),
            MailboxCreated(context: ctx, mailbox: .random(), user: user, name: "Junk", uidValidity: 778, specialUse: ["\\Junk"]),
        ], applyingWith: projector)
        try await deliver(Self.delivered)
    }

    /// A delivery as the SMTP side records it: the message once, then its delivery to the INBOX.
    func deliver(_ text: String) async throws {
        let ctx = EventContext.system("test")
        let envelope = Envelope(mailFrom: "ann@example.net", recipients: [.init(address: Self.account)],
                                clientIP: "192.0.2.1", helo: "x", receivedAt: 1_700_000_000_000_000)
        let received = try await journal.append(events: [MessageReceived(context: ctx, envelope: envelope, message: Array(text.utf8))],
                                                applyingWith: projector)[0]
        _ = try await journal.append(events: [MessageDelivered(context: ctx, received: received, recipient: Self.account,
                                                               user: user, mailbox: inbox, addedHeader: Array(Self.addedHeader.utf8))],
                                     applyingWith: projector)
    }

    func writeFixture() throws -> String {
        let fixture: [String: Any] = [
            "starttls_port": startTLSPort, "implicit_port": implicitPort, "cafile": certificateFile,
            "user": Self.account, "password": Self.password, "directory": directory,
        ]
        let path = directory + "/fixture.json"
        try JSONSerialization.data(withJSONObject: fixture).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Seeds, serves both listeners for the duration of `body`, then shuts down.
    static func run(_ body: (IMAPTestServer) async throws -> Void) async throws {
        let s = try IMAPTestServer()
        try await s.seed()
        var logger = Logger(label: "imap-test")
        logger.logLevel = .warning
        let (tls, authenticator) = try s.tlsAndAuthenticator(logger: logger)
        let handler = IMAPHandler(journal: s.journal, projector: s.projector, authenticator: authenticator, logger: logger)
        try await s.serve(handler, names: ("imap", "imap"), timeouts: IMAPHandler.timeouts, tls: tls, logger: logger) {
            try await body(s)
        }
    }

    /// Runs one scenario of scripts/test-imap.py; returns its exit status and output.
    func python(_ scenario: String) async throws -> (status: Int32, output: String) {
        let fixture = try writeFixture()
        return try await POP3TestServer.runProcess("/usr/bin/env", ["python3", POP3TestServer.repository + "/scripts/test-imap.py", scenario, fixture])
    }

    func events<T: EventBody>(_ type: T.Type) throws -> [T] {
        try journal.records().collect().compactMap { try Event.decode($0)?.body as? T }
    }
}
