import Foundation
import Journal
import Testing
@testable import roost

/// `roost audit`'s story over a real journal on disk: decisions, delivery, and the later flag
/// change, move (followed to the new mailbox) and expunge, with actors; refused transactions.
@Suite struct AuditTests {
    @Test func storyFollowsTheMessageThroughMovesAndFlagChanges() async throws {
        let directory = NSTemporaryDirectory() + "roost-audit-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let journal = try Journal(directory: directory)
        let admin = EventContext.system("admin")
        let domain = DomainID.random(), user = UserID.random(), inbox = MailboxID.random(), junk = MailboxID.random()
        _ = try await journal.append(events: [
            DomainAdded(context: admin, domain: domain, name: "example.org"),
            UserCreated(context: admin, user: user, domain: domain, localPart: "alice", passwordHash: "*"),
            MailboxCreated(context: admin, mailbox: inbox, user: user, name: "INBOX", uidValidity: 1),
            MailboxCreated(context: admin, mailbox: junk, user: user, name: "Junk", uidValidity: 2, specialUse: ["\\Junk"]),
        ])
        let smtp = EventContext(actor: .system("smtp"), proto: "smtp", clientAddress: "192.0.2.10:40000")
        let refused = FilterDecision(context: smtp, received: 0, stage: "spf", verdict: "reject", scoreMilli: 0,
                                     rules: [RuleResult(name: "SPF_FAIL", contributionMilli: 0, evidence: "-all")], result: "fail",
                                     mailFrom: "eve@bad.test", helo: "bad.test")
        let refusedPolicy = FilterDecision(context: smtp, received: 0, stage: "policy", verdict: "reject", scoreMilli: 0, rules: [],
                                           result: "reject", mailFrom: "eve@bad.test", helo: "bad.test")
        _ = try await journal.append(events: [refused, refusedPolicy])
        let bytes = Array("Message-ID: <m1@example.net>\r\nSubject: hello\r\n there\r\n\r\nbody\r\n".utf8)
        let envelope = Envelope(mailFrom: "ann@example.net", recipients: [EnvelopeRecipient(address: "alice@example.org")],
                                clientIP: "192.0.2.10", clientPort: 40000, helo: "mail.example.net", withProtocol: "ESMTP",
                                receivedAt: 1, listener: "mx")
        let received = try await journal.append(event: MessageReceived(context: smtp, envelope: envelope, message: bytes))
        let seqs = try await journal.append(events: [
            MessageDelivered(context: smtp, received: received, recipient: "alice@example.org", user: user, mailbox: junk, addedHeader: []),
            FilterDecision(context: smtp, received: received, stage: "rdns", verdict: "accept", scoreMilli: 1500,
                           rules: [RuleResult(name: "RDNS_NONE", contributionMilli: 1500, evidence: "no PTR record for 192.0.2.10")], result: "none"),
            FilterDecision(context: smtp, received: received, stage: "policy", verdict: "junk", scoreMilli: 6000,
                           rules: [RuleResult(name: "POLICY_JUNK", contributionMilli: 6000, evidence: "score 6 ≥ junk_score 5")], result: "junk"),
        ])
        let delivered = seqs[0]
        let imap = EventContext(actor: .user(user), proto: "imap", clientAddress: "192.0.2.50:1234")
        let junkRef = MessageRef(event: delivered)
        _ = try await journal.append(events: [FlagsChanged(context: imap, mailbox: junk, messages: [junkRef], operation: .add, flags: ["\\Seen"])])
        let moved = try await journal.append(events: [MessagesMoved(MessagesTransferred(context: imap, source: junk, messages: [junkRef], destination: inbox))])[0]
        let inboxRef = MessageRef(event: moved, ordinal: 0)
        // A flag change on the old place no longer concerns it; on the new one it does.
        _ = try await journal.append(events: [FlagsChanged(context: imap, mailbox: junk, messages: [junkRef], operation: .add, flags: ["$Stale"])])
        _ = try await journal.append(events: [FlagsChanged(context: imap, mailbox: inbox, messages: [inboxRef], operation: .remove, flags: ["\\Seen"])])
        _ = try await journal.append(events: [MessagesExpunged(context: imap, mailbox: inbox, messages: [inboxRef])])
        journal.close()

        let reader = try Journal(directory: directory, mode: .readOnly)
        #expect(try Audit.find(messageID: "m1@example.net", in: reader) == [received])
        #expect(try Audit.find(messageID: "<m1@example.net>", in: reader) == [received])
        #expect(try Audit.find(messageID: "m2@example.net", in: reader).isEmpty)
        var names = AuditNames()
        let stories = try Audit.stories([received], in: reader, names: &names)
        #expect(stories.count == 1)
        let story = stories[0]
        #expect(story.subject == "hello there")
        #expect(story.decisions.map(\.event.stage) == ["rdns", "policy"])
        #expect(story.happenings.map(\.kind) == ["delivered", "flags", "moved", "flags", "expunged"])
        #expect(story.happenings[0].text == "delivered to alice@example.org Junk for <alice@example.org>")
        #expect(story.happenings[1].text == "flags +\\Seen in alice@example.org Junk")
        #expect(story.happenings[1].actor == "alice@example.org via imap from 192.0.2.50:1234")
        #expect(story.happenings[2].text == "moved from alice@example.org Junk to alice@example.org INBOX")
        #expect(story.happenings[3].text == "flags -\\Seen in alice@example.org INBOX")
        #expect(story.happenings[4].text == "expunged from alice@example.org INBOX")
        let text = Audit.text(story, names: names)
        #expect(text.contains("envelope: MAIL FROM:<ann@example.net>"))
        #expect(text.contains("client: 192.0.2.10 port 40000, HELO mail.example.net, listener mx, ESMTP"))
        #expect(text.contains("rdns: accept (none), score 1.5"))
        #expect(text.contains("RDNS_NONE 1.5: no PTR record for 192.0.2.10"))
        #expect(text.contains("policy: junk, score 6"))
        let json = try JSONSerialization.data(withJSONObject: Audit.json(story, names: names))
        let parsed = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect((parsed["decisions"] as? [[String: Any]])?.map { $0["stage"] as? String } == ["rdns", "policy"])

        let groups = try Audit.rejected(in: reader, since: 0, names: &names)
        #expect(groups.count == 1)
        #expect(groups[0].map(\.event.stage) == ["spf", "policy"])
        #expect(Audit.rejectedText(groups[0], names: names).hasPrefix("refused "))
        #expect(Audit.rejectedText(groups[0], names: names).contains("client 192.0.2.10:40000, HELO bad.test, MAIL FROM:<eve@bad.test>"))
        #expect(try Audit.rejected(in: reader, since: Int64.max, names: &names).isEmpty)
        #expect(AuditCommand.parseSince("2h", now: 10_000_000_000) == Int64(2_800_000_000))
        #expect(AuditCommand.parseSince("2026-12-01T12:00:00Z", now: 0) == 1_796_126_400_000_000)
        #expect(AuditCommand.parseSince("yesterday", now: 0) == nil)
        reader.close()
    }
}
