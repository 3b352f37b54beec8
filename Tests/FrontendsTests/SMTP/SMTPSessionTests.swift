import Journal
import NIOCore
import Testing
@testable import Frontends

/// The session state machine with no I/O: dialogues as (client line → expected actions).
@Suite struct SMTPSessionTests {
    static let alice = UserID(rawValue: 1)

    static func session(_ role: SMTPConfiguration.Role, tls: Bool = false, plaintext: Bool = false, size: Int = 1000) -> SMTPSession {
        SMTPSession(environment: .init(configuration: SMTPConfiguration(role: role, hostname: "mx.example.org", maximumMessageSize: size),
                                       tlsActive: tls, startTLSAvailable: !tls, plaintextAllowed: plaintext))
    }

    static func codes(_ actions: [SMTPSession.Action]) -> [Int] {
        actions.compactMap { if case .reply(let r) = $0 { r.code } else if case .beginData(let r) = $0 { r.code } else { nil } }
    }

    static func send(_ s: inout SMTPSession, _ line: String) -> [SMTPSession.Action] {
        s.command(SMTPCommandParser.parse(Array(line.utf8)))
    }

    /// MAIL and RCPT with their lookups answered.
    static func envelope(_ s: inout SMTPSession, to: SMTPSession.RecipientOutcome = .local(users: [alice], forwardTo: [])) {
        #expect(send(&s, "EHLO client.example").count == 1)
        #expect(send(&s, "MAIL FROM:<a@example.com>") == [.checkSender(SMTPMailbox(localPart: "a", domain: "example.com", isQuoted: false, isAddressLiteral: false, hadSourceRoute: false))])
        #expect(codes(s.senderChecked(.accepted)) == [250])
        guard case .checkRecipient = send(&s, "RCPT TO:<alice@example.org>").first else { Issue.record("no lookup"); return }
        #expect(codes(s.recipientChecked(to)) == [250])
    }

    @Test func mxDialogueDeliversAfterTheEndOfData() throws {
        var s = Self.session(.mx)
        #expect(s.greeting == SMTPReply(220, nil, "mx.example.org ESMTP Roost"))
        Self.envelope(&s)
        #expect(Self.codes(Self.send(&s, "DATA")) == [354])
        #expect(s.dataReceived(ByteBuffer(string: "Subject: x\r\n\r\n"), violations: []).isEmpty)
        #expect(s.dataReceived(ByteBuffer(string: "body\r\n"), violations: []).isEmpty)
        guard case .deliver(let message) = s.dataEnded().first else { Issue.record("no delivery"); return }
        #expect(message.bytes == Array("Subject: x\r\n\r\nbody\r\n".utf8))
        #expect(message.recipients.map(\.route) == [.local(users: [Self.alice], forwardTo: [])])
        #expect(message.withProtocol == "ESMTP")
        #expect(message.helo == "client.example")
        // Nothing is acknowledged until the delivery is durable.
        #expect(s.deliveryFinished(.accepted(id: "42")) == [.reply(SMTPReply(250, "2.0.0", "Ok: queued as 42"))])
        // The transaction is over: a new MAIL is needed.
        #expect(Self.codes(Self.send(&s, "RCPT TO:<alice@example.org>")) == [503])
    }

    @Test func aFailedDeliveryIsATemporaryFailure() {
        var s = Self.session(.mx)
        Self.envelope(&s)
        _ = Self.send(&s, "DATA")
        _ = s.dataReceived(ByteBuffer(string: "x\r\n"), violations: [])
        _ = s.dataEnded()
        #expect(Self.codes(s.deliveryFinished(.failed)) == [451])
    }

    @Test func mxNeverRelays() {
        var s = Self.session(.mx)
        _ = Self.send(&s, "EHLO client.example")
        _ = Self.send(&s, "MAIL FROM:<a@example.com>")
        _ = s.senderChecked(.accepted)
        _ = Self.send(&s, "RCPT TO:<victim@elsewhere.example>")
        let refused = s.recipientChecked(.notLocal)
        #expect(refused == [.reply(SMTPReply(550, "5.7.1", "<victim@elsewhere.example>: relay access denied"))])
        _ = Self.send(&s, "RCPT TO:<nobody@example.org>")
        #expect(Self.codes(s.recipientChecked(.unknown)) == [550])
        // Tricks are refused before any lookup.
        for trick in ["<a%b.example@example.org>", "<b.example!a@example.org>", "<\"a@b.example\"@example.org>", "<@x.example:a@b.example>", "<a@[127.0.0.1]>"] {
            let actions = Self.send(&s, "RCPT TO:" + trick)
            #expect(Self.codes(actions) == [550], "\(trick)")
            #expect(!actions.contains { if case .checkRecipient = $0 { true } else { false } }, "\(trick)")
        }
        #expect(Self.codes(Self.send(&s, "DATA")) == [554])
        // No AUTH on the MX.
        #expect(Self.codes(Self.send(&s, "AUTH PLAIN")) == [503])
    }

    @Test func submissionNeedsAuthAndTLS() {
        var s = Self.session(.submission)
        guard case .reply(let ehlo) = Self.send(&s, "EHLO laptop").first else { Issue.record("EHLO"); return }
        #expect(ehlo.lines.contains("STARTTLS") && !ehlo.lines.contains { $0.hasPrefix("AUTH") })
        #expect(Self.codes(Self.send(&s, "AUTH PLAIN")) == [538])
        #expect(Self.codes(Self.send(&s, "MAIL FROM:<alice@example.org>")) == [530])
        #expect(Self.send(&s, "STARTTLS") == [.startTLS(SMTPReply(220, "2.0.0", "Ready to start TLS"))])
        #expect(s.tlsStarted().isEmpty)
        // RFC 3207 §4.2: EHLO again.
        #expect(Self.codes(Self.send(&s, "AUTH PLAIN")) == [503])
        guard case .reply(let again) = Self.send(&s, "EHLO laptop").first else { Issue.record("EHLO"); return }
        #expect(again.lines.contains("AUTH PLAIN LOGIN") && !again.lines.contains("STARTTLS"))
        #expect(Self.send(&s, "AUTH PLAIN AGFsaWNlAHB3") == [.authenticate(mechanism: "PLAIN", initialResponse: "AGFsaWNlAHB3")])
        #expect(Self.codes(s.authenticationFinished(.failure)) == [535])
        _ = Self.send(&s, "AUTH LOGIN")
        #expect(Self.codes(s.authenticationFinished(.success(.init(account: "alice@example.org", user: Self.alice, mechanism: "LOGIN")))) == [235])
        #expect(Self.codes(Self.send(&s, "AUTH PLAIN")) == [503])
        _ = Self.send(&s, "MAIL FROM:<alice@example.org>")
        _ = s.senderChecked(.accepted)
        _ = Self.send(&s, "RCPT TO:<friend@elsewhere.example>")
        #expect(Self.codes(s.recipientChecked(.notLocal)) == [250])
        _ = Self.send(&s, "DATA")
        _ = s.dataReceived(ByteBuffer(string: "x\r\n"), violations: [])
        guard case .deliver(let m) = s.dataEnded().first else { Issue.record("deliver"); return }
        #expect(m.recipients.first?.route == .remote)
        #expect(m.withProtocol == "ESMTPSA")
        #expect(m.authentication?.account == "alice@example.org")
    }

    @Test func plaintextAuthInTheDevProfile() {
        var s = Self.session(.submission, plaintext: true)
        _ = Self.send(&s, "EHLO laptop")
        #expect(Self.send(&s, "AUTH PLAIN") == [.authenticate(mechanism: "PLAIN", initialResponse: nil)])
    }

    @Test func badDataIsReadToItsEndThenRefused() {
        for (violations, code) in [(SMTPDataViolations.bareLineFeed, 550), (.bareCarriageReturn, 550), (.lineTooLong, 500)] {
            var s = Self.session(.mx)
            Self.envelope(&s)
            _ = Self.send(&s, "DATA")
            #expect(s.dataReceived(ByteBuffer(string: "a\n"), violations: violations).isEmpty)
            #expect(s.dataReceived(ByteBuffer(string: "b\r\n"), violations: []).isEmpty)
            #expect(Self.codes(s.dataEnded()) == [code])
            #expect(Self.codes(Self.send(&s, "NOOP")) == [250])
        }
        // Too big: the bytes stop being kept, 552 at the end.
        var s = Self.session(.mx, size: 10)
        Self.envelope(&s)
        _ = Self.send(&s, "DATA")
        _ = s.dataReceived(ByteBuffer(string: "0123456789\r\n"), violations: [])
        #expect(s.dataEnded() == [.reply(SMTPReply(552, "5.3.4", "message size exceeds fixed maximum message size"))])
    }

    @Test func bdatChunksThenLast() {
        var s = Self.session(.mx)
        Self.envelope(&s)
        #expect(Self.send(&s, "BDAT 4").isEmpty)
        #expect(s.chunkReceived(ByteBuffer(string: "ab")).isEmpty)
        #expect(Self.codes(s.chunkReceived(ByteBuffer(string: "\r\n"))) == [250])
        #expect(Self.codes(Self.send(&s, "DATA")) == [503])
        #expect(Self.send(&s, "BDAT 3 LAST").isEmpty)
        guard case .deliver(let m) = s.chunkReceived(ByteBuffer(string: ".x\n")).first else { Issue.record("deliver"); return }
        #expect(m.bytes == Array("ab\r\n.x\n".utf8))
        // A BDAT without MAIL: its chunk is read, then 503.
        _ = s.deliveryFinished(.accepted(id: "1"))
        #expect(Self.send(&s, "BDAT 2").isEmpty)
        #expect(Self.codes(s.chunkReceived(ByteBuffer(string: "zz"))) == [503])
        // BDAT 0 LAST with nothing before it is an empty message.
        _ = Self.send(&s, "MAIL FROM:<a@example.com>")
        _ = s.senderChecked(.accepted)
        _ = Self.send(&s, "RCPT TO:<alice@example.org>")
        _ = s.recipientChecked(.local(users: [Self.alice], forwardTo: []))
        guard case .deliver(let empty) = Self.send(&s, "BDAT 0 LAST").first else { Issue.record("empty"); return }
        #expect(empty.bytes.isEmpty)
    }

    @Test func unframeableBDATClosesTheConnection() {
        var s = Self.session(.mx)
        #expect(Self.send(&s, "BDAT many").last == .close)
    }

    @Test func invalidHeloIsRefusedAndRecorded() {
        var s = Self.session(.mx)
        let actions = Self.send(&s, "EHLO bad_name!")
        #expect(Self.codes(actions) == [501])
        #expect(actions.contains { if case .recordRefusal(stage: "smtp-helo", _, _, _) = $0 { true } else { false } })
        #expect(Self.codes(Self.send(&s, "MAIL FROM:<a@example.com>")) == [503])
        // Submission does not judge HELO names.
        var sub = Self.session(.submission)
        #expect(Self.codes(Self.send(&sub, "EHLO bad_name!")) == [250])
    }

    @Test func smtputf8AndLimits() {
        var s = Self.session(.mx)
        Self.envelope(&s)
        #expect(Self.codes(Self.send(&s, "RCPT TO:<jörg@example.org>")) == [553])
        _ = Self.send(&s, "RSET")
        #expect(Self.codes(Self.send(&s, "MAIL FROM:<a@example.com> SIZE=1001")) == [552])
        guard case .checkSender = Self.send(&s, "MAIL FROM:<a@example.com> SMTPUTF8 SIZE=1000").first else { Issue.record("utf8"); return }
        _ = s.senderChecked(.accepted)
        guard case .checkRecipient = Self.send(&s, "RCPT TO:<jörg@example.org>").first else { Issue.record("utf8 rcpt"); return }
        _ = s.recipientChecked(.local(users: [Self.alice], forwardTo: []))
        // HELO clients get no extensions.
        var h = Self.session(.mx)
        #expect(Self.send(&h, "HELO old.example") == [.reply(SMTPReply(250, nil, "mx.example.org"))])
        #expect(Self.codes(Self.send(&h, "MAIL FROM:<a@example.com> BODY=8BITMIME")) == [555])
    }

    @Test func tooManyRecipients() {
        var s = Self.session(.mx)
        Self.envelope(&s)
        for _ in 1..<SMTPLimits.recipients {
            _ = Self.send(&s, "RCPT TO:<alice@example.org>")
            _ = s.recipientChecked(.local(users: [Self.alice], forwardTo: []))
        }
        #expect(Self.codes(Self.send(&s, "RCPT TO:<alice@example.org>")) == [452])
    }

    @Test func tooManyErrorsClose() {
        var s = Self.session(.mx)
        var last: [SMTPSession.Action] = []
        for _ in 0..<SMTPLimits.consecutiveErrors { last = Self.send(&s, "BOGUS") }
        #expect(Self.codes(last) == [500, 421])
        #expect(last.last == .close)
    }

    @Test func quitAndTheSmallCommands() {
        var s = Self.session(.mx)
        #expect(Self.codes(Self.send(&s, "VRFY alice")) == [252])
        #expect(Self.codes(Self.send(&s, "HELP")) == [214])
        #expect(Self.codes(Self.send(&s, "NOOP")) == [250])
        #expect(Self.codes(Self.send(&s, "RSET")) == [250])
        #expect(Self.send(&s, "QUIT") == [.reply(SMTPReply(221, "2.0.0", "Bye")), .close])
    }

    @Test func randomInputNeverBreaksTheMachine() {
        // Any sequence of commands and outcomes yields replies, never a trap.
        let lines = ["EHLO a.example", "HELO b", "MAIL FROM:<a@b.example>", "RCPT TO:<c@d.example>", "DATA", "BDAT 3", "BDAT 0 LAST",
                     "RSET", "NOOP", "STARTTLS", "AUTH PLAIN", "QUIT", "BOGUS", "MAIL FROM:<>"]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            var s = Self.session(Bool.random(using: &generator) ? .mx : .submission, plaintext: true)
            for _ in 0..<30 {
                var actions = Self.send(&s, lines.randomElement(using: &generator)!)
                while let action = actions.first {
                    actions.removeFirst()
                    switch action {
                    case .checkSender: actions += s.senderChecked(Bool.random(using: &generator) ? .accepted : .refused(SMTPReply(550, "5.7.1", "no")))
                    case .checkRecipient: actions += s.recipientChecked(.local(users: [Self.alice], forwardTo: []))
                    case .authenticate: actions += s.authenticationFinished(.success(.init(account: "a", user: Self.alice, mechanism: "PLAIN")))
                    case .startTLS: actions += s.tlsStarted()
                    case .deliver: actions += s.deliveryFinished(.accepted(id: "1"))
                    case .beginData:
                        actions += s.dataReceived(ByteBuffer(string: "x\r\n"), violations: [])
                        actions += s.dataEnded()
                    case .reply, .recordRefusal, .close: break
                    }
                }
                while case .chunk(let remaining, _, _) = s.receiving {
                    _ = s.chunkReceived(ByteBuffer(repeating: 0x41, count: remaining))
                }
            }
        }
    }
}
