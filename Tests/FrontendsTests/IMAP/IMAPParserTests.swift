import MailMessage
import Testing
@testable import Frontends

/// The command parser: one fixture per grammar case, and failures that keep the tag.
@Suite struct IMAPParserTests {
    func parse(_ text: String) -> Result<(tag: String, command: IMAPCommand), IMAPParseError> {
        IMAPParser.parse(Array(text.utf8))
    }

    func command(_ text: String) -> IMAPCommand? {
        guard case .success(let parsed) = parse(text) else { return nil }
        return parsed.command
    }

    @Test func fixtures() throws {
        let cases: [(String, IMAPCommand)] = [
            ("a1 CAPABILITY", .capability),
            ("a1 noop", .noop),
            ("x LOGIN alice \"pa ss\\\"w\"", .login(user: "alice", password: "pa ss\"w")),
            ("x LOGIN {5}\r\nalice {3+}\r\npwd", .login(user: "alice", password: "pwd")),
            ("x AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==", .authenticate(mechanism: "PLAIN", initialResponse: "AGFsaWNlAHNlY3JldA==")),
            ("x AUTHENTICATE plain", .authenticate(mechanism: "PLAIN", initialResponse: nil)),
            ("x SELECT inbox", .select("INBOX", readOnly: false)),
            ("x EXAMINE \"Archive/2026\" (CONDSTORE)", .select("Archive/2026", readOnly: true, parameters: SelectParameters(condStore: true))),
            ("x ENABLE IMAP4rev2 CONDSTORE", .enable(["IMAP4REV2", "CONDSTORE"])),
            ("x ID NIL", .id(nil)),
            ("x ID (\"name\" \"mutt\")", .id(["name": "mutt"])),
            ("x RENAME a b", .rename("a", to: "b")),
            ("x STATUS INBOX (MESSAGES UIDNEXT)", .status("INBOX", [.messages, .uidNext])),
            ("x LSUB \"\" *", .lsub(reference: "", pattern: "*")),
            ("x LIST \"\" %", .list(reference: "", pattern: ["%"], subscribedOnly: false, specialUseOnly: false,
                                   returnSubscribed: false, returnSpecialUse: false, returnChildren: false, returnStatus: nil)),
            ("x LIST (SUBSCRIBED) \"\" (INBOX Arch*) RETURN (SPECIAL-USE STATUS (MESSAGES))",
             .list(reference: "", pattern: ["INBOX", "Arch*"], subscribedOnly: true, specialUseOnly: false,
                   returnSubscribed: true, returnSpecialUse: true, returnChildren: false, returnStatus: [.messages])),
            ("x APPEND INBOX (\\Seen $Junk) \" 2-Nov-2026 09:31:00 +0100\" {3}\r\nabc",
             .append("INBOX", flags: ["\\Seen", "$Junk"], date: 1_793_608_260_000_000, zoneMinutes: 60, message: Array("abc".utf8))),
            ("x APPEND INBOX ~{2}\r\n\u{0}a", .append("INBOX", flags: [], date: nil, zoneMinutes: 0, message: [0, 97])),
            ("x UID EXPUNGE 3:5", .uidExpunge(SequenceSet(ranges: [.init(.number(3), .number(5))]))),
            ("x STORE 1:* +FLAGS.SILENT (\\Deleted)", .store(SequenceSet(ranges: [.init(.number(1), .last)]),
                                                              StoreOperation(kind: .add, silent: true, flags: ["\\Deleted"]), uid: false)),
            ("x UID STORE 7 FLAGS \\seen", .store(.single(7), StoreOperation(kind: .replace, silent: false, flags: ["\\Seen"]), uid: true)),
            ("x COPY 1,3:4 Trash", .copy(SequenceSet(ranges: [.init(.number(1), .number(1)), .init(.number(3), .number(4))]), "Trash", uid: false)),
            ("x UID MOVE $ Junk", .move(SequenceSet(ranges: [], isSaved: true), "Junk", uid: true)),
            ("x FETCH 1 FAST", .fetch(.single(1), [.flags, .internalDate, .content(.rfc822Size)], uid: false)),
            ("x UID FETCH 1 (FLAGS BODY.PEEK[HEADER.FIELDS (From To)]<0.10>)",
             .fetch(.single(1), [.uid, .flags, .content(try FetchItem.parse("BODY.PEEK[HEADER.FIELDS (From To)]<0.10>"))], uid: true)),
            ("x SEARCH UNSEEN OR FROM ann (SUBJECT \"a b\" SINCE 1-Feb-2026)",
             .search(.and([.unseen, .or(.from("ann"), .and([.subject("a b"), .since(SearchDate(day: 20485))]))]), returns: nil, uid: false)),
            ("x UID SEARCH RETURN (MIN COUNT) CHARSET UTF-8 NOT DELETED 2:*",
             .search(.and([.not(.deleted), .sequence(SequenceSet(ranges: [.init(.number(2), .last)]))]), returns: [.min, .count], uid: true)),
        ]
        for (text, expected) in cases {
            let got = command(text)
            #expect(got == expected, "\(text)")
        }
    }

    @Test func failuresKeepTheTag() {
        let cases: [(String, String?)] = [
            ("", nil), ("\u{1}x NOOP", nil), ("+ NOOP", nil),
            ("a1", "a1"), ("a1 FROBNICATE", "a1"), ("a1 NOOP extra", "a1"), ("a1 LOGIN", "a1"),
            ("a1 LOGIN \"unterminated", "a1"), ("a1 LOGIN {5}\r\nab", "a1"), ("a1 FETCH 0 FLAGS", "a1"),
            ("a1 FETCH 1:x FLAGS", "a1"), ("a1 FETCH 1 (FLAGS", "a1"), ("a1 FETCH 1 BODY[1.MIME", "a1"),
            ("a1 STORE 1 +FLAGS (\\Recent)", "a1"), ("a1 SEARCH BEFORE 30-Foo-2026", "a1"),
            ("a1 SEARCH CHARSET KOI8-R ALL", "a1"), ("a1 APPEND INBOX (\\Seen) \"bad date\" {1}\r\nx", "a1"),
            ("a1 SEARCH " + String(repeating: "(", count: 40) + "ALL" + String(repeating: ")", count: 40), "a1"),
            ("a1 SEARCH " + String(repeating: "NOT ", count: 40) + "ALL", "a1"),
            ("a1 LOGIN \"a\u{0}\" b", "a1"),
            // Found by FuzzIMAPCommand: a backslash ending a quoted field name inside a section.
            ("a1 FETCH 1 BODY[HEADER.FIELDS (\"\\", "a1"),
        ]
        for (text, tag) in cases {
            guard case .failure(let failure) = parse(text) else {
                Issue.record("parsed: \(text.debugDescription)")
                continue
            }
            #expect(failure.tag == tag, "\(text.debugDescription)")
        }
    }

    @Test func garbageNeverCrashes() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("aA1 ()[]{}<>\"\\*%+-.:,$~\r\nUIDFETCHSEARCHBODYPEEK".utf8) + [0, 0xff]
        for _ in 0..<5000 {
            let n = Int.random(in: 0..<80, using: &generator)
            let bytes = (0..<n).map { _ in alphabet.randomElement(using: &generator)! }
            _ = IMAPParser.parse(Array("t ".utf8) + bytes)
        }
    }
}
