import ArgumentParser
import Foundation
import Journal
import Projections

/// `roost audit`: why a message went where it went, or why a transaction was refused, from
/// the journal alone (read-only, with or without a running server).
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Show a message's story from the journal: envelope, client, every decision with its evidence, delivery, later changes.",
        discussion: """
            Find the message by --message-id, by --sequence (its message-received event), or by \
            --user U --mailbox M --uid N. --rejected lists the transactions refused at SMTP time \
            (they have no message), optionally --since a time (ISO 8601, or an age like 2h, 30m, 7d).
            """)
    @OptionGroup var options: DataDirectoryOption
    @Option(name: .customLong("message-id"), help: "The Message-ID header (angle brackets optional).") var messageID: String?
    @Option(help: "The journal sequence number of the message-received (or appended) event.") var sequence: UInt64?
    @Option(help: "With --mailbox and --uid: the user's address.") var user: String?
    @Option(help: "With --user and --uid: the mailbox name.") var mailbox: String?
    @Option(help: "With --user and --mailbox: the message's UID.") var uid: UInt32?
    @Flag(help: "List transactions refused by the inbound checks.") var rejected = false
    @Option(help: "With --rejected: only from this time on (ISO 8601, or an age: 90s, 30m, 2h, 7d).") var since: String?
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        let ways = [messageID != nil, sequence != nil, user != nil || mailbox != nil || uid != nil, rejected].filter { $0 }.count
        guard ways == 1 else { throw ValidationError("give exactly one of --message-id, --sequence, --user/--mailbox/--uid, --rejected") }
        if user != nil || mailbox != nil || uid != nil, user == nil || mailbox == nil || uid == nil {
            throw ValidationError("--user, --mailbox and --uid go together")
        }
        if since != nil, !rejected { throw ValidationError("--since goes with --rejected") }
        if let since, Self.parseSince(since, now: 0) == nil { throw ValidationError("--since: \"\(since)\" is not an ISO 8601 time or an age like 2h") }
    }

    func run() throws {
        let journal = try Journal(directory: options.journalDirectory, mode: .readOnly)
        var names = AuditNames()
        if rejected {
            let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
            let groups = try Audit.rejected(in: journal, since: since.flatMap { Self.parseSince($0, now: now) } ?? 0, names: &names)
            if json {
                try printJSON(groups.map { ["decisions": $0.map(Audit.json)] })
            } else {
                if groups.isEmpty { print("no refused transactions recorded") }
                print(groups.map { Audit.rejectedText($0, names: names) }.joined(separator: "\n\n"))
            }
            return
        }
        let targets: [UInt64]
        if let messageID {
            targets = try Audit.find(messageID: messageID, in: journal)
            guard !targets.isEmpty else { throw failure("no message with Message-ID \(messageID) in the journal") }
        } else if let sequence {
            targets = [try messageSequence(sequence, journal: journal)]
        } else {
            let store = try ProjectionStore(path: options.projectionsPath, readOnly: true)
            guard let account = try store.user(address: user!) else { throw failure("no user \(user!)") }
            guard let box = try store.mailbox(user: account.id, name: mailbox!) else { throw failure("\(user!) has no mailbox \(mailbox!)") }
            guard let message = try store.message(mailbox: box.id, uid: uid!) else { throw failure("\(user!) \(mailbox!) has no UID \(uid!)") }
            targets = [message.bodySequence]
        }
        let stories = try Audit.stories(Set(targets), in: journal, names: &names)
        if json {
            try printJSON(stories.map { Audit.json($0, names: names) })
        } else {
            print(stories.map { Audit.text($0, names: names) }.joined(separator: "\n\n"))
        }
    }

    /// The message-received or appended event `sequence` names, directly or through a delivery,
    /// decision or outbound-queued event that refers to it.
    private func messageSequence(_ sequence: UInt64, journal: Journal) throws -> UInt64 {
        guard sequence >= 1, sequence <= journal.lastSequence else { throw failure("no event \(sequence) (the journal ends at \(journal.lastSequence))") }
        let record = try journal.record(sequence)
        guard let event = try Event.decode(record) else { throw failure("event \(sequence) is of a type this version does not know") }
        switch event.body {
        case is MessageReceived, is MessageAppended: return sequence
        case let e as MessageDelivered: return e.received
        case let e as FilterDecision where e.received != 0: return e.received
        case is FilterDecision: throw failure("event \(sequence) is a decision about a refused transaction: see roost audit --rejected")
        case let e as OutboundQueued: return e.received
        default: throw failure("event \(sequence) is a \(event.type), not a message")
        }
    }

    private func failure(_ message: String) -> any Error {
        FileHandle.standardError.write(Data("roost audit: \(message)\n".utf8))
        return ExitCode(1)
    }

    private func printJSON(_ value: Any) throws {
        let data = try JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        print(String(decoding: data, as: UTF8.self))
    }

    /// Microseconds since the epoch for an ISO 8601 time or an age before `now`.
    static func parseSince(_ s: String, now: Int64) -> Int64? {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        if let unit = s.last.flatMap({ units[$0] }), let n = Int64(s.dropLast()), n >= 0 {
            return now - n * unit * 1_000_000
        }
        let formatter = ISO8601DateFormatter()
        for options: ISO8601DateFormatter.Options in [[.withInternetDateTime, .withFractionalSeconds], [.withInternetDateTime], [.withFullDate]] {
            formatter.formatOptions = options
            if let date = formatter.date(from: s) { return Int64(date.timeIntervalSince1970 * 1_000_000) }
        }
        return nil
    }
}
