import Testing
@testable import Journal

/// One sample of every event type, with every field set, so round trips cover all fields.
func sampleEvents() -> [any EventBody] {
    let user = UserID(rawValue: 0x1234_5678_9ABC)
    let domain = DomainID(rawValue: 77)
    let inbox = MailboxID(rawValue: 0xFFFF_FFFF_FFFF_FFFF)
    let junk = MailboxID(rawValue: 5)
    let imap = EventContext(actor: .user(user), proto: "imap", clientAddress: "[2001:db8::1]:50123")
    let admin = EventContext.system("admin")
    let refs = [MessageRef(event: 10), MessageRef(event: 11, ordinal: 3)]
    let transfer = MessagesTransferred(context: imap, source: inbox, messages: refs, destination: junk)
    let subscription = MailboxSubscription(context: imap, user: user, name: "Archive/2026")
    return [
        DomainAdded(context: admin, domain: domain, name: "example.org"),
        DomainRemoved(context: admin, domain: domain),
        UserCreated(context: admin, user: user, domain: domain, localPart: "alice", passwordHash: "$y$j9T$abc$def", displayName: "Alice Ä"),
        UserDeleted(context: admin, user: user),
        PasswordChanged(context: EventContext(actor: .user(user), proto: "managesieve"), user: user, passwordHash: "$6$salt$hash"),
        AliasAdded(context: admin, address: "@example.org", kind: .catchAll, users: [user, UserID(rawValue: 2)], forwardTo: ["bob@elsewhere.net"]),
        AliasRemoved(context: admin, address: "postmaster@example.org"),
        MessageReceived(
            context: EventContext(actor: .system("smtp"), proto: "smtp", clientAddress: "192.0.2.7:25001"),
            envelope: Envelope(
                mailFrom: "", mailParameters: [.init(keyword: "SIZE", value: "1234"), .init(keyword: "SMTPUTF8")],
                recipients: [.init(address: "alice@example.org", notify: "SUCCESS,FAILURE", originalRecipient: "rfc822;alice@example.org",
                                   parameters: [.init(keyword: "X-FOO", value: "bar")]),
                             .init(address: "bob@example.org")],
                clientIP: "192.0.2.7", clientPort: 25001, clientName: "mx.sender.example", helo: "mx.sender.example",
                withProtocol: "ESMTPSA", tlsVersion: "TLSv1.3", tlsCipher: "TLS_AES_256_GCM_SHA384",
                authenticatedUser: user, authenticationMechanism: "PLAIN", receivedAt: -5, listener: "submission"),
            message: Array("Subject: hi\r\n\r\nbody \u{0}\u{FF}\r\n".utf8) + [0x00, 0xFF, 0x80]),
        MessageDelivered(context: .system("pipeline"), received: 8, recipient: "alice@example.org", user: user, mailbox: inbox,
                         addedHeader: Array("Return-Path: <>\r\n".utf8), flags: ["$Junk", "\\Seen"]),
        MessageAppended(context: imap, mailbox: junk, flags: ["\\Draft"], internalDate: 1_796_108_000_000_000,
                        zoneOffsetMinutes: -330, message: Array("From: a@b\r\n\r\nx".utf8)),
        FlagsChanged(context: imap, mailbox: inbox, messages: refs, operation: .replace, flags: ["\\Answered", "work"]),
        FlagsChanged(context: imap, mailbox: inbox, messages: refs, operation: .add, flags: ["$MDNSent"], unchangedSince: 1 << 62),
        MessagesCopied(transfer),
        MessagesMoved(transfer),
        MessagesExpunged(context: imap, mailbox: inbox, messages: refs),
        MailboxCreated(context: admin, mailbox: junk, user: user, name: "Junk", uidValidity: UInt32.max, specialUse: ["\\Junk"]),
        MailboxRenamed(context: imap, mailbox: junk, newName: "Spam/Old"),
        MailboxDeleted(context: imap, mailbox: junk),
        MailboxSubscribed(subscription),
        MailboxUnsubscribed(subscription),
        FilterDecision(context: .system("pipeline"), received: 8, stage: "spam", verdict: "junk", scoreMilli: 7250,
                       rules: [RuleResult(name: "BAYES_99", contributionMilli: 5000, evidence: "p=0.999"),
                               RuleResult(name: "RCVD_IN_DNSBL", contributionMilli: -250, evidence: "127.0.0.2 in zen.example")]),
        FilterDecision(context: EventContext(actor: .system("smtp"), proto: "smtp", clientAddress: "192.0.2.9:40000"), received: 0,
                       stage: "spf", verdict: "reject", scoreMilli: 0,
                       rules: [RuleResult(name: "SPF_FAIL", contributionMilli: 0, evidence: "-all")], result: "fail",
                       mailFrom: "a@example.com", helo: "mx.example.com", recipients: ["b@example.org", "c@example.org"]),
        SieveScriptStored(context: imap, user: user, name: "vacation ☀", script: Array("require \"fileinto\";\r\nkeep;\r\n".utf8)),
        SieveScriptRenamed(context: imap, user: user, name: "vacation ☀", newName: "main"),
        SieveScriptActivated(context: imap, user: user, name: "main"),
        SieveScriptActivated(context: imap, user: user, name: ""),
        SieveScriptDeleted(context: imap, user: user, name: "old"),
        OutboundQueued(context: EventContext(actor: .user(user), proto: "submission", clientAddress: "192.0.2.9:40000"), received: 8,
                       mailFrom: "alice@example.org",
                       recipients: [.init(address: "carol@elsewhere.net", notify: "NEVER", originalRecipient: "rfc822;carol@elsewhere.net")],
                       addedHeader: Array("Received: from x\r\n".utf8)),
    ]
}

func equal(_ a: any EventBody, _ b: any EventBody) -> Bool {
    func open<T: EventBody>(_ x: T) -> Bool { (b as? T) == x }
    return open(a)
}

@Suite struct EventSchemaTests {
    @Test func samplesCoverEveryEventType() {
        #expect(Set(sampleEvents().map { type(of: $0).type }) == Set(EventType.allCases))
    }

    @Test func everyEventRoundTrips() throws {
        for event in sampleEvents() {
            let record = event.record()
            #expect(record.type == type(of: event).type.rawValue)
            let decoded = try #require(try record.payload.withUnsafeBytes { try Event.decode(type: record.type, payload: $0) })
            #expect(equal(decoded.body, event), "\(type(of: event).type)")
        }
    }

    @Test func everyEventRoundTripsThroughTheJournal() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let journal = try Journal(directory: dir.path, options: JournalOptions(segmentSize: 8192))
        let events = sampleEvents()
        let seqs = try await journal.append(events: events)
        journal.close()
        let reopened = try Journal(directory: dir.path, mode: .readOnly)
        for (seq, event) in zip(seqs, events) {
            let decoded = try #require(try Event.decode(try reopened.record(seq)))
            #expect(equal(decoded.body, event))
        }
    }

    @Test func unknownFieldsAreSkipped() throws {
        for event in sampleEvents() {
            var writer = FieldWriter()
            // Fields a later version might add, before and after the known ones.
            writer.uint(900, 12345)
            writer.string(901, "from the future")
            event.encode(to: &writer)
            writer.fixed64(902, 0xDEAD_BEEF)
            writer.data(903, [1, 2, 3])
            let decoded = try #require(try writer.bytes.withUnsafeBytes { try Event.decode(type: type(of: event).type.rawValue, payload: $0) })
            #expect(equal(decoded.body, event), "\(type(of: event).type)")
        }
    }

    /// `Event.messageOctets` finds the same bytes decoding does, for every event type (nil for
    /// those without a message), with unknown fields around them.
    @Test func messageOctetsWithoutDecoding() throws {
        for event in sampleEvents() + [MessageAppended(context: .system("t"), mailbox: MailboxID(rawValue: 1), internalDate: 0, message: [])] {
            var writer = FieldWriter()
            writer.data(903, [1, 2, 3])
            event.encode(to: &writer)
            writer.uint(900, 7)
            let type = type(of: event).type.rawValue
            let octets = try writer.bytes.withUnsafeBytes { try Event.messageOctets(type: type, payload: $0).map { Array($0) } }
            switch event {
            case let received as MessageReceived: #expect(octets == received.message)
            case let appended as MessageAppended: #expect(octets == appended.message)
            default: #expect(octets == nil, "\(type)")
            }
        }
        // A message field that is not bytes is a malformed payload, as for `decode`.
        var bad = FieldWriter()
        bad.uint(3, 5)
        #expect(throws: FieldDecodingError.self) {
            try bad.bytes.withUnsafeBytes { try Event.messageOctets(type: EventType.messageReceived.rawValue, payload: $0) }
        }
    }

    /// `MessageReceived.receivedAtAndOctets` reads the date and the bytes decoding gives: with
    /// unknown fields around them, with the envelope or the message repeated (the last counts),
    /// with either missing, and it rejects the wire-type errors decoding rejects.
    @Test func receivedAtAndOctetsAsDecoded() throws {
        let sample = try #require(sampleEvents().lazy.compactMap { $0 as? MessageReceived }.first)
        var later = sample.envelope
        later.receivedAt = 1_700_000_000_000_042
        var noDate = sample.envelope
        noDate.receivedAt = 0
        var payloads: [[UInt8]] = []
        var w = FieldWriter()
        w.data(903, [1, 2, 3])
        sample.encode(to: &w)
        w.uint(900, 7)
        payloads.append(w.bytes)
        // Envelope and message repeated: the second of each counts.
        w = FieldWriter()
        sample.encode(to: &w)
        w.message(2, later)
        w.data(3, Array("second".utf8))
        payloads.append(w.bytes)
        // A later envelope without a date resets it, as decoding a whole new envelope does.
        w = FieldWriter()
        sample.encode(to: &w)
        w.message(2, noDate)
        payloads.append(w.bytes)
        // Only a context: date 0, empty message.
        w = FieldWriter()
        w.message(1, sample.context)
        payloads.append(w.bytes)
        payloads.append([])
        for payload in payloads {
            let decoded = try MessageReceived.decode(payload)
            let (at, octets) = try payload.withUnsafeBytes { p in
                let r = try MessageReceived.receivedAtAndOctets(payload: p)
                return (r.receivedAt, Array(r.octets))
            }
            #expect(at == decoded.envelope.receivedAt)
            #expect(octets == decoded.message)
        }
        for bad in [{ (w: inout FieldWriter) in w.uint(2, 5) }, { (w: inout FieldWriter) in w.uint(3, 5) }] {
            var b = FieldWriter()
            bad(&b)
            #expect(throws: FieldDecodingError.self) { try MessageReceived.decode(b.bytes) }
            #expect(throws: FieldDecodingError.self) {
                try b.bytes.withUnsafeBytes { try MessageReceived.receivedAtAndOctets(payload: $0) }
            }
        }
    }

    @Test func unknownEventTypesAreSkippedByReaders() async throws {
        #expect(try [UInt8]([1, 2]).withUnsafeBytes { try Event.decode(type: 4242, payload: $0) } == nil)
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let journal = try Journal(directory: dir.path, options: JournalOptions(segmentSize: 8192))
        defer { journal.close() }
        let known = DomainAdded(context: .system("t"), domain: DomainID(rawValue: 1), name: "a.example")
        _ = try await journal.append([RecordInput(type: 4242, payload: [0xFF, 0xFF]), known.record()])
        var decoded: [EventType] = []
        try journal.forEach { view in
            if let event = try Event.decode(type: view.type, payload: view.payload) { decoded.append(event.type) }
        }
        #expect(decoded == [.domainAdded])
    }

    @Test func truncatedAndGarbagePayloadsNeverCrash() throws {
        var generator = SystemRandomNumberGenerator()
        for event in sampleEvents() {
            let bytes = event.record().payload
            let tag = type(of: event).type.rawValue
            for cut in 0..<bytes.count {
                // Either an error or some best-effort value; never a crash or a hang.
                _ = try? Array(bytes[0..<cut]).withUnsafeBytes { try Event.decode(type: tag, payload: $0) }
            }
            for _ in 0..<50 {
                var mutated = bytes
                for _ in 0..<3 { mutated[Int.random(in: 0..<mutated.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator) }
                _ = try? mutated.withUnsafeBytes { try Event.decode(type: tag, payload: $0) }
            }
        }
    }

    @Test func malformedPayloadsGiveClearErrors() {
        func decode(_ bytes: [UInt8]) throws { _ = try bytes.withUnsafeBytes { try Event.decode(type: EventType.domainAdded.rawValue, payload: $0) } }
        #expect(throws: FieldDecodingError.self) { try decode([0x80]) }                        // truncated varint
        #expect(throws: FieldDecodingError.self) { try decode([0x1A, 0x05, 0x41]) }            // length past the end
        #expect(throws: FieldDecodingError.self) { try decode([0x1B]) }                        // wire type 3
        #expect(throws: FieldDecodingError.self) { try decode([0x10] + [UInt8](repeating: 0xFF, count: 11)) }  // varint too long
        #expect(throws: FieldDecodingError.self) { try decode([0x12, 0x01, 0x41]) }            // bytes where an integer belongs
        // Nesting is bounded (the schema nests at most a few levels; the bound is a backstop).
        #expect(throws: FieldDecodingError.self) {
            try [UInt8]([0x08, 0x01]).withUnsafeBytes { _ = try FieldReader($0, depth: FieldReader.maximumDepth + 1) }
        }
    }

    @Test func zigzagAndVarintEdges() throws {
        var w = FieldWriter()
        let values: [Int64] = [0, -1, 1, Int64.min, Int64.max, -300, 300]
        for v in values { w.int(1, v) }
        w.uint(2, UInt64.max)
        try w.bytes.withUnsafeBytes { buffer in
            var r = try FieldReader(buffer)
            var ints: [Int64] = []
            var last: UInt64 = 0
            while let (n, v) = try r.next() {
                if n == 1 { ints.append(try v.int()) } else { last = try v.uint() }
            }
            #expect(ints == values)
            #expect(last == UInt64.max)
        }
    }

    @Test func dumpDescriptionsShowFieldsAndAbbreviateBodies() throws {
        let received = sampleEvents().first { $0 is MessageReceived }!
        let text = EventDescription.describe(Event(received))
        #expect(text.contains("mailFrom=\"\""))
        #expect(text.contains("<"), "body abbreviated")
        #expect(text.contains("\"Subject: hi\""))
        #expect(!text.contains("body "))
        #expect(EventDescription.describe(Event(received), bodies: true).contains("body "))
        let moved = EventDescription.describe(Event(sampleEvents().first { $0 is MessagesMoved }!))
        #expect(moved.contains("messages=[#10, #11.3]"))
    }
}
