import Foundation
import Journal
import Logging
import NIOCore
@testable import Frontends
@testable import Projections

/// A real journal and projection database in a temporary directory, seeded with alice and three
/// INBOX messages, and the POP3 handler served on two ephemeral ports: STLS (110-style) and
/// implicit TLS (995-style). Drives real clients (scripts/test-pop3.py, fetchmail) against it.
final class POP3TestServer: MailStoreFixture, @unchecked Sendable {
    static let account = "alice@example.org"
    static let password = "secret"
    static let uidValidity: UInt32 = 4242
    /// The messages as stored: a delivery with bare LFs and dot lines, an APPEND, and an APPEND
    /// without a final line ending.
    static let delivered = "From: Ann <ann@example.net>\nSubject: dots\n\n.leading dot\n..two dots\n.\nnot a dot.\n"
    static let addedHeader = "Return-Path: <ann@example.net>\r\n"
    static let appended = "Subject: two\r\n\r\nline1\r\nline2\r\nline3\r\n"
    static let unterminated = "Subject: three\r\n\r\nshort"

    let user = UserID.random()
    let inbox = MailboxID.random()
    var refs: [MessageRef] = []
    /// The listeners' idle timeout, for the autologout scenario.
    var idleTimeout: Duration = POP3Handler.timeouts.idle

    init() throws {
        try super.init(prefix: "roost-pop3", segmentSize: 256 * 1024, batchSize: 16, certificate: TestCertificates.first)
    }

    func seed() async throws {
        let ctx = EventContext.system("test")
        let domain = DomainID.random()
        _ = try await journal.append(events: [
            DomainAdded(context: ctx, domain: domain, name: "example.org"),
            UserCreated(context: ctx, user: user, domain: domain, localPart: "alice", passwordHash: try PasswordHash.make(Self.password)),
            MailboxCreated(context: ctx, mailbox: inbox, user: user, name: "INBOX", uidValidity: Self.uidValidity),
        ], applyingWith: projector)
        let envelope = Envelope(mailFrom: "ann@example.net", recipients: [.init(address: Self.account)],
                                clientIP: "192.0.2.1", helo: "x", receivedAt: 1_700_000_000_000_000)
        let received = try await journal.append(events: [MessageReceived(context: ctx, envelope: envelope, message: Array(Self.delivered.utf8))],
                                                applyingWith: projector)[0]
        let delivery = try await journal.append(events: [MessageDelivered(context: ctx, received: received, recipient: Self.account,
                                                                          user: user, mailbox: inbox, addedHeader: Array(Self.addedHeader.utf8))],
                                                applyingWith: projector)[0]
        let a = try await journal.append(events: [MessageAppended(context: ctx, mailbox: inbox, internalDate: 1, message: Array(Self.appended.utf8))],
                                         applyingWith: projector)[0]
        let b = try await journal.append(events: [MessageAppended(context: ctx, mailbox: inbox, internalDate: 2, message: Array(Self.unterminated.utf8))],
                                         applyingWith: projector)[0]
        refs = [MessageRef(event: delivery), MessageRef(event: a), MessageRef(event: b)]
    }

    /// What RETR must send for each message, before stuffing.
    var served: [String] {
        [Self.addedHeader + Self.delivered.replacingOccurrences(of: "\n", with: "\r\n"), Self.appended, Self.unterminated]
    }

    /// The fixture the Python script reads.
    func writeFixture() throws -> String {
        let messages = try store.messages(mailbox: inbox)
        let fixture: [String: Any] = [
            "starttls_port": startTLSPort, "implicit_port": implicitPort, "cafile": certificateFile,
            "idle_timeout": Double(idleTimeout.components.seconds) + Double(idleTimeout.components.attoseconds) / 1e18,
            "user": Self.account, "password": Self.password,
            "messages": zip(messages, served).map { info, text in
                ["uidl": "\(Self.uidValidity).\(info.uid)", "size": info.size, "content": Data(text.utf8).base64EncodedString()]
            },
        ]
        let path = directory + "/fixture.json"
        try JSONSerialization.data(withJSONObject: fixture).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Seeds, serves both listeners for the duration of `body`, then shuts down.
    static func run(
        timeouts: ConnectionTimeouts = POP3Handler.timeouts,
        _ body: (POP3TestServer) async throws -> Void
    ) async throws {
        let s = try POP3TestServer()
        s.idleTimeout = timeouts.idle
        try await s.seed()
        var logger = Logger(label: "pop3-test")
        logger.logLevel = .warning
        let (tls, authenticator) = try s.tlsAndAuthenticator(logger: logger)
        let handler = POP3Handler(journal: s.journal, projector: s.projector, authenticator: authenticator,
                                  locks: MaildropLocks(), logger: logger)
        try await s.serve(handler, names: ("pop3", "pop3s"), timeouts: timeouts, tls: tls, logger: logger) {
            try await body(s)
        }
    }

    /// Runs one scenario of scripts/test-pop3.py; returns its exit status and output.
    func python(_ scenario: String) async throws -> (status: Int32, output: String) {
        let fixture = try writeFixture()
        return try await Self.runProcess("/usr/bin/env", ["python3", Self.repository + "/scripts/test-pop3.py", scenario, fixture])
    }

    static let repository: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()

    static func runProcess(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) async throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        let output = OutputCollector()
        pipe.fileHandleForReading.readabilityHandler = { handle in output.append(handle.availableData) }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            process.terminationHandler = { _ in continuation.resume() }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        pipe.fileHandleForReading.readabilityHandler = nil
        output.append(pipe.fileHandleForReading.readDataToEndOfFile())
        return (process.terminationStatus, output.text)
    }

    /// The expunge events in the journal, in order.
    func expungeEvents() throws -> [MessagesExpunged] {
        try journal.records().collect().compactMap { try Event.decode($0)?.body as? MessagesExpunged }
    }
}

final class OutputCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func append(_ more: Data) { lock.lock(); data.append(more); lock.unlock() }
    var text: String { lock.lock(); defer { lock.unlock() }; return String(decoding: data, as: UTF8.self) }
}
