import Journal

/// Sample events for `make run` until `roost serve` exists: what a first delivery looks like.
enum DemoEvents {
    static func append(to journal: Journal) async throws -> [UInt64] {
        let admin = EventContext.system("cli")
        let domain = DomainID.random()
        let user = UserID.random()
        let inbox = MailboxID.random()
        let junk = MailboxID.random()
        var events: [any EventBody] = [
            DomainAdded(context: admin, domain: domain, name: "roost.test"),
            UserCreated(context: admin, user: user, domain: domain, localPart: "demo",
                        passwordHash: "$y$j9T$demo$notarealhashjustasample0000000000000"),
            MailboxCreated(context: admin, mailbox: inbox, user: user, name: "INBOX", uidValidity: UInt32.random(in: 1...UInt32.max)),
            MailboxCreated(context: admin, mailbox: junk, user: user, name: "Junk", uidValidity: UInt32.random(in: 1...UInt32.max), specialUse: ["\\Junk"]),
        ]
        let first = try await journal.append(events: events)
        let message = Array("""
            Return-Path: <alice@example.org>\r
            From: Alice <alice@example.org>\r
            To: demo@roost.test\r
            Subject: Welcome to Roost\r
            Date: Tue, 01 Dec 2026 07:00:00 +0000\r
            Message-ID: <demo-\(first[0])@example.org>\r
            \r
            Every change to this mailbox is an event in the journal.\r

            """.utf8)
        let smtp = EventContext(actor: .system("smtp"), proto: "smtp", clientAddress: "127.0.0.1:40000")
        let received = try await journal.append(event: MessageReceived(
            context: smtp,
            envelope: Envelope(mailFrom: "alice@example.org", mailParameters: [.init(keyword: "BODY", value: "8BITMIME")],
                               recipients: [.init(address: "demo@roost.test", notify: "FAILURE")],
                               clientIP: "127.0.0.1", clientPort: 40000, helo: "mail.example.org",
                               receivedAt: Int64(first[0]), listener: "mx"),
            message: message))
        events = [
            FilterDecision(context: .system("pipeline"), received: received, stage: "spam", verdict: "accept", scoreMilli: -1200,
                           rules: [RuleResult(name: "BAYES_00", contributionMilli: -1500, evidence: "token probability 0.01"),
                                   RuleResult(name: "MISSING_LIST_ID", contributionMilli: 300, evidence: "no List-Id header")]),
            MessageDelivered(context: .system("pipeline"), received: received, recipient: "demo@roost.test", user: user,
                             mailbox: inbox, addedHeader: Array("Received: from mail.example.org\r\n".utf8)),
        ]
        let rest = try await journal.append(events: events)
        let seen = try await journal.append(event: FlagsChanged(
            context: EventContext(actor: .user(user), proto: "imap", clientAddress: "127.0.0.1:40001"),
            mailbox: inbox, messages: [MessageRef(event: rest[1])], operation: .add, flags: ["\\Seen"]))
        return first + [received] + rest + [seen]
    }
}
