import Journal
import Testing
@testable import Frontends
@testable import Projections

/// The session state machine with no I/O: inputs in, actions out.
@Suite struct POP3SessionTests {
    static let user = UserID(rawValue: 7)
    static let inbox = MailboxID(rawValue: 9)

    static func info(uid: UInt32, size: Int) -> MessageInfo {
        MessageInfo(mailbox: inbox, uid: uid, ref: MessageRef(event: UInt64(uid) * 10), modseq: 1, flags: [],
                    internalDate: 0, size: size, bodySequence: UInt64(uid) * 10, headerSequence: nil)
    }

    static let maildrop = POP3Maildrop(user: user, mailbox: inbox, uidValidity: 1234,
                                       messages: [info(uid: 3, size: 100), info(uid: 5, size: 200), info(uid: 8, size: 50)])

    static let tls = POP3Session.Environment(tlsActive: true, startTLSAvailable: false, plaintextAllowed: false)
    static let plaintext = POP3Session.Environment(tlsActive: false, startTLSAvailable: true, plaintextAllowed: false)

    /// Runs a command line through parser and session.
    func send(_ s: inout POP3Session, _ line: String) -> [POP3Session.Action] {
        s.command(POP3CommandParser.parse(Array(line.utf8)))
    }

    func loggedIn(_ maildrop: POP3Maildrop = maildrop) -> POP3Session {
        var s = POP3Session(environment: Self.tls)
        _ = send(&s, "USER alice")
        #expect(send(&s, "PASS secret") == [.authenticate(username: "alice", password: "secret")])
        #expect(s.authenticationFinished(.success(account: "alice@example.org")) == [.openMaildrop(account: "alice@example.org")])
        let size = maildrop.messages.reduce(0) { $0 + $1.size }
        #expect(s.maildropOpened(.opened(maildrop)) == [.reply(.ok("maildrop has \(maildrop.messages.count) messages (\(size) octets)"))])
        #expect(s.isInTransaction)
        return s
    }

    func reply(_ actions: [POP3Session.Action]) -> POP3Response? {
        guard actions.count == 1, case .reply(let r) = actions[0] else { return nil }
        return r
    }

    @Test func userPassOpensTheMaildrop() {
        _ = loggedIn()
    }

    @Test func passWithoutUserAndFailedLoginsStayInAuthorization() {
        var s = POP3Session(environment: Self.tls)
        #expect(reply(send(&s, "PASS x")) == .err(nil, "send USER first"))
        #expect(reply(send(&s, "USER alice")) == .ok("send PASS"))
        #expect(send(&s, "PASS wrong") == [.authenticate(username: "alice", password: "wrong")])
        #expect(reply(s.authenticationFinished(.failure)) == .err(.auth, "invalid user name or password"))
        // The USER name is forgotten after a failure (RFC 1939 §7).
        #expect(reply(send(&s, "PASS again")) == .err(nil, "send USER first"))
    }

    @Test func authenticationOutcomesMapToResponseCodes() {
        for (outcome, expected) in [
            (POP3Session.AuthenticationOutcome.failure, POP3Response.err(.auth, "invalid user name or password")),
            (.refused, .err(.sysTemp, "too many failed logins, try again later")),
            (.unavailable, .err(.sysTemp, "temporary authentication failure")),
            (.exchangeFailed(.cancelled), .err(nil, "authentication cancelled")),
            (.exchangeFailed(.unsupportedMechanism), .err(nil, "unsupported authentication mechanism")),
            (.exchangeFailed(.authorizationDenied), .err(.auth, "authorization identity not allowed")),
            (.exchangeFailed(.invalidBase64), .err(nil, "cannot decode response")),
        ] {
            var s = POP3Session(environment: Self.tls)
            #expect(send(&s, "AUTH PLAIN AGEAYg==") == [.authenticateSASL(mechanism: "PLAIN", initialResponse: "AGEAYg==")])
            #expect(reply(s.authenticationFinished(outcome)) == expected)
            #expect(!s.isInTransaction)
        }
    }

    @Test func maildropInUseAndUnavailable() {
        for (outcome, expected) in [
            (POP3Session.MaildropOutcome.inUse, POP3Response.err(.inUse, "maildrop in use by another session")),
            (.unavailable, .err(.sysTemp, "cannot open maildrop, try again later")),
        ] {
            var s = POP3Session(environment: Self.tls)
            _ = send(&s, "USER a")
            _ = send(&s, "PASS b")
            _ = s.authenticationFinished(.success(account: "a"))
            #expect(reply(s.maildropOpened(outcome)) == expected)
            #expect(!s.isInTransaction)
            #expect(reply(send(&s, "USER a")) == .ok("send PASS"), "back in AUTHORIZATION")
        }
    }

    @Test func transactionCommandsBeforeLoginAreRefused() {
        var s = POP3Session(environment: Self.tls)
        for line in ["STAT", "LIST", "LIST 1", "RETR 1", "DELE 1", "NOOP", "RSET", "TOP 1 1", "UIDL"] {
            let verb = line.split(separator: " ")[0]
            #expect(reply(send(&s, line)) == .err(nil, "\(verb) is not valid before authentication"))
        }
    }

    @Test func authorizationCommandsAfterLoginAreRefused() {
        var s = loggedIn()
        #expect(reply(send(&s, "USER a")) == .err(nil, "already authenticated"))
        #expect(reply(send(&s, "PASS a")) == .err(nil, "already authenticated"))
        #expect(reply(send(&s, "AUTH PLAIN")) == .err(nil, "already authenticated"))
        #expect(reply(send(&s, "STLS")) == .err(nil, "STLS is only valid before authentication"))
    }

    @Test func statListUidl() {
        var s = loggedIn()
        #expect(reply(send(&s, "STAT")) == .ok("3 350"))
        #expect(reply(send(&s, "LIST")) == .lines("3 messages (350 octets)", ["1 100", "2 200", "3 50"]))
        #expect(reply(send(&s, "LIST 2")) == .ok("2 200"))
        #expect(reply(send(&s, "UIDL")) == .lines("unique-id listing follows", ["1 1234.3", "2 1234.5", "3 1234.8"]))
        #expect(reply(send(&s, "UIDL 3")) == .ok("3 1234.8"))
        for line in ["LIST 0", "LIST 4", "UIDL 4", "RETR 0", "TOP 9 1", "DELE 4", "LIST 99999999999999"] {
            #expect(reply(send(&s, line)) == .err(nil, "no such message, only 3 messages in maildrop"), "\(line)")
        }
    }

    @Test func retrAndTopAskTheHandlerForContent() {
        var s = loggedIn()
        #expect(send(&s, "RETR 2") == [.retrieve(Self.maildrop.messages[1], number: 2, lines: nil)])
        #expect(send(&s, "TOP 1 5") == [.retrieve(Self.maildrop.messages[0], number: 1, lines: 5)])
    }

    @Test func deleMarksAndHidesAndRsetUnmarks() {
        var s = loggedIn()
        #expect(reply(send(&s, "DELE 2")) == .ok("message 2 deleted"))
        #expect(reply(send(&s, "DELE 2")) == .err(nil, "message 2 already deleted"))
        for line in ["RETR 2", "LIST 2", "UIDL 2", "TOP 2 0"] {
            #expect(reply(send(&s, line)) == .err(nil, "message 2 already deleted"), "\(line)")
        }
        #expect(reply(send(&s, "STAT")) == .ok("2 150"))
        #expect(reply(send(&s, "LIST")) == .lines("2 messages (150 octets)", ["1 100", "3 50"]))
        #expect(reply(send(&s, "UIDL")) == .lines("unique-id listing follows", ["1 1234.3", "3 1234.8"]))
        #expect(reply(send(&s, "RSET")) == .ok("maildrop has 3 messages (350 octets)"))
        #expect(reply(send(&s, "STAT")) == .ok("3 350"))
        #expect(reply(send(&s, "NOOP")) == .ok(""))
    }

    /// RFC 1939 §6: the deletions happen in the UPDATE state, and +OK only after they did.
    @Test func quitExpungesMarkedMessagesThenSaysOK() {
        var s = loggedIn()
        _ = send(&s, "DELE 3")
        _ = send(&s, "DELE 1")
        #expect(send(&s, "QUIT") == [.expunge(mailbox: Self.inbox, messages: [MessageRef(event: 30), MessageRef(event: 80)])])
        #expect(s.deletionsCommitted(true, count: 2) == [.releaseMaildrop, .reply(.ok("Roost POP3 server signing off (2 messages deleted)")), .close])
    }

    @Test func quitWhenTheExpungeFails() {
        var s = loggedIn()
        _ = send(&s, "DELE 1")
        _ = send(&s, "QUIT")
        #expect(s.deletionsCommitted(false, count: 1) == [.releaseMaildrop, .reply(.err(.sysTemp, "some deleted messages not removed")), .close])
    }

    @Test func quitWithoutDeletionsWritesNothing() {
        var s = loggedIn()
        _ = send(&s, "DELE 1")
        _ = send(&s, "RSET")
        #expect(send(&s, "QUIT") == [.releaseMaildrop, .reply(.ok("Roost POP3 server signing off")), .close])
        var a = POP3Session(environment: Self.tls)
        #expect(send(&a, "QUIT") == [.reply(.ok("Roost POP3 server signing off")), .close])
    }

    @Test func emptyMaildropWithoutInbox() {
        var s = POP3Session(environment: Self.tls)
        _ = send(&s, "USER a")
        _ = send(&s, "PASS b")
        _ = s.authenticationFinished(.success(account: "a"))
        let empty = POP3Maildrop(user: Self.user, mailbox: nil, uidValidity: 0, messages: [])
        #expect(reply(s.maildropOpened(.opened(empty))) == .ok("maildrop has 0 messages (0 octets)"))
        #expect(reply(send(&s, "LIST")) == .lines("0 messages (0 octets)", []))
        #expect(reply(send(&s, "RETR 1")) == .err(nil, "no such message, only 0 messages in maildrop"))
        #expect(send(&s, "QUIT") == [.releaseMaildrop, .reply(.ok("Roost POP3 server signing off")), .close])
    }

    @Test func capabilitiesFollowTLSAndState() {
        var plain = POP3Session(environment: Self.plaintext)
        #expect(reply(send(&plain, "CAPA")) == .lines("capability list follows",
            ["CAPA", "TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "STLS", "IMPLEMENTATION Roost"]))
        var secure = POP3Session(environment: Self.tls)
        let full = ["CAPA", "TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "USER", "SASL PLAIN LOGIN", "IMPLEMENTATION Roost"]
        #expect(reply(send(&secure, "CAPA")) == .lines("capability list follows", full))
        var s = loggedIn()
        #expect(reply(send(&s, "CAPA")) == .lines("capability list follows", full))
    }

    @Test func passwordsAreRefusedWithoutTLS() {
        var s = POP3Session(environment: Self.plaintext)
        let refusal = POP3Response.err(.auth, "plaintext authentication disallowed without TLS; use STLS")
        #expect(reply(send(&s, "USER a")) == refusal)
        #expect(reply(send(&s, "PASS a")) == refusal)
        #expect(reply(send(&s, "AUTH PLAIN AGEAYg==")) == refusal)
        var dev = POP3Session(environment: .init(tlsActive: false, startTLSAvailable: false, plaintextAllowed: true))
        #expect(reply(send(&dev, "USER a")) == .ok("send PASS"))
    }

    /// RFC 2595 §4: STLS, then the session forgets the USER name and offers no STLS again.
    @Test func stlsResetsTheSession() {
        var s = POP3Session(environment: .init(tlsActive: false, startTLSAvailable: true, plaintextAllowed: true))
        _ = send(&s, "USER alice")
        #expect(send(&s, "STLS") == [.startTLS(.ok("begin TLS negotiation"))])
        #expect(s.tlsStarted() == [])
        #expect(s.environment.tlsActive)
        #expect(reply(send(&s, "PASS x")) == .err(nil, "send USER first"))
        #expect(reply(send(&s, "STLS")) == .err(nil, "TLS already active"))
        guard case .lines(_, let caps) = reply(send(&s, "CAPA")) else { Issue.record("no CAPA"); return }
        #expect(!caps.contains("STLS"))
        var noCert = POP3Session(environment: .init(tlsActive: false, startTLSAvailable: false, plaintextAllowed: true))
        #expect(reply(send(&noCert, "STLS")) == .err(nil, "STLS not available"))
    }

    @Test func syntaxErrorsAnswerAndKeepTheSession() {
        var s = loggedIn()
        #expect(reply(send(&s, "XYZZY")) == .err(nil, "unknown command"))
        #expect(reply(send(&s, "RETR x")) == .err(nil, "syntax error in RETR arguments"))
        #expect(reply(s.command(.failure(.init(kind: .tooLong)))) == .err(nil, "command line too long"))
        #expect(reply(send(&s, "STAT")) == .ok("3 350"))
    }

    @Test func tooManyConsecutiveErrorsClose() {
        var s = POP3Session(environment: Self.tls)
        for _ in 1..<POP3Limits.consecutiveErrors {
            #expect(reply(send(&s, "BOGUS")) == .err(nil, "unknown command"))
        }
        #expect(send(&s, "BOGUS") == [.reply(.err(nil, "unknown command; too many errors, closing")), .close])
    }

    @Test func resultsOutOfSequenceCloseWithATemporaryError() {
        var s = POP3Session(environment: Self.tls)
        #expect(s.maildropOpened(.inUse) == [.reply(.err(.sysTemp, "internal error")), .close])
        var t = loggedIn()
        #expect(t.deletionsCommitted(true, count: 0) == [.reply(.err(.sysTemp, "internal error")), .close])
    }
}
