import Testing
@testable import Frontends

/// UTF8=ACCEPT (RFC 6855) and LIST-EXTENDED's RECURSIVEMATCH / CHILDINFO (RFC 5258 §3–4):
/// the grammar, the state, and the pure listing, with no I/O.
@Suite struct IMAPExtensionTests {
    func parse(_ text: String, utf8Accept: Bool = false) -> Result<(tag: String, command: IMAPCommand), IMAPParseError> {
        IMAPParser.parse(Array(text.utf8), utf8Accept: utf8Accept)
    }

    func command(_ text: String, utf8Accept: Bool = false) -> IMAPCommand? {
        guard case .success(let parsed) = parse(text, utf8Accept: utf8Accept) else { return nil }
        return parsed.command
    }

    func failure(_ text: String, utf8Accept: Bool = false) -> IMAPParseError? {
        guard case .failure(let failure) = parse(text, utf8Accept: utf8Accept) else { return nil }
        return failure
    }

    // MARK: UTF8=ACCEPT

    @Test func appendTakesTheUTF8DataItemOnlyAfterEnable() {
        let message = "Subject: caf\u{e9}\r\n\r\nhi"
        let bytes = Array(message.utf8)
        let text = "a1 APPEND \"Entw\u{fc}rfe\" (\\Seen) UTF8 (~{\(bytes.count)}\r\n\(message))"
        #expect(command(text, utf8Accept: true) == .append("Entw\u{fc}rfe", flags: ["\\Seen"], date: nil, zoneMinutes: 0, message: bytes))
        // RFC 6855 §4: without ENABLE UTF8=ACCEPT the item is BAD, and the tag is kept for the answer.
        #expect(failure(text)?.tag == "a1")
        #expect(failure(text)?.hint.contains("UTF8=ACCEPT") == true)
        // The item holds a literal8, in parentheses.
        #expect(failure("a1 APPEND INBOX UTF8 ({2}\r\nab)", utf8Accept: true) != nil)
        #expect(failure("a1 APPEND INBOX UTF8 (~{2}\r\nab", utf8Accept: true)?.tag == "a1")
        #expect(failure("a1 APPEND INBOX UTF8 ~{2}\r\nab", utf8Accept: true) != nil)
        #expect(failure("a1 APPEND INBOX UTF8 (~{5}\r\nab)", utf8Accept: true)?.tag == "a1")
        #expect(failure("a1 APPEND INBOX UTF8", utf8Accept: true)?.tag == "a1")
        // A plain literal still works after enabling.
        #expect(command("a1 APPEND INBOX {2}\r\nab", utf8Accept: true) == .append("INBOX", flags: [], date: nil, zoneMinutes: 0, message: [97, 98]))
    }

    @Test func searchCharsetIsRefusedAfterEnable() {
        let text = "a1 SEARCH CHARSET UTF-8 SUBJECT \"caf\u{e9}\""
        #expect(command(text) == .search(.subject("caf\u{e9}"), returns: nil, uid: false))
        // RFC 6855 §3: BAD once UTF8=ACCEPT is on; without CHARSET the same search is fine.
        #expect(failure(text, utf8Accept: true)?.tag == "a1")
        #expect(command("a1 UID SEARCH SUBJECT \"caf\u{e9}\"", utf8Accept: true) == .search(.subject("caf\u{e9}"), returns: nil, uid: true))
        #expect(failure("a1 UID SEARCH RETURN (COUNT) CHARSET US-ASCII ALL", utf8Accept: true)?.tag == "a1")
    }

    @Test func utf8AcceptIsAnnouncedAndSwitchesNames() {
        var state = IMAPState(tlsActive: true, startTLSAvailable: false, plaintextAllowed: false)
        #expect(state.capabilities.contains("UTF8=ACCEPT"))
        #expect(!state.utf8)
        state.utf8Accept = true
        #expect(state.utf8 && !state.rev2, "UTF-8 names without IMAP4rev2's other rules")
        #expect(command("a1 ENABLE UTF8=ACCEPT") == .enable(["UTF8=ACCEPT"]))
        #expect(command("a1 SELECT \"Entw\u{fc}rfe\"", utf8Accept: true) == .select("Entw\u{fc}rfe", readOnly: false))
        // Not valid UTF-8 in a mailbox name: BAD, enabled or not.
        var raw = Array("a1 SELECT \"a".utf8)
        raw += [0xc3, 0x28, 0x22]
        guard case .failure(let bad) = IMAPParser.parse(raw, utf8Accept: true) else {
            Issue.record("invalid UTF-8 parsed")
            return
        }
        #expect(bad.tag == "a1")
    }

    /// RFC 6855 §3: mailbox names are Net-Unicode (RFC 5198 §2) without controls or separators.
    @Test func mailboxNamesFollowNetUnicode() {
        #expect(MailboxNames.validated("Entw\u{fc}rfe/\u{65e5}\u{672c}") == "Entw\u{fc}rfe/\u{65e5}\u{672c}")
        for bad in ["a\u{85}b", "a\u{9f}", "a\u{2028}b", "a\u{2029}", "a\u{7f}", "a\u{1}", "a*", "a%b"] {
            #expect(MailboxNames.validated(bad) == nil, "\(bad.unicodeScalars.map { String($0.value, radix: 16) })")
        }
    }

    // MARK: LIST-EXTENDED

    func list(_ text: String) -> (subscribed: Bool, specialUse: Bool, recursive: Bool)? {
        guard case .list(_, _, let subscribed, let specialUse, _, _, _, _, let recursive)? = command(text) else { return nil }
        return (subscribed, specialUse, recursive)
    }

    @Test func recursiveMatchNeedsABaseOption() {
        #expect(list("a1 LIST (SUBSCRIBED RECURSIVEMATCH) \"\" %")! == (true, false, true))
        #expect(list("a1 LIST (RECURSIVEMATCH SUBSCRIBED) \"\" %")! == (true, false, true))
        #expect(list("a1 LIST (SUBSCRIBED) \"\" %")! == (true, false, false))
        #expect(list("a1 LIST (REMOTE) \"\" %")! == (false, false, false))
        #expect(list("a1 LIST () \"\" %")! == (false, false, false))
        // RFC 5258 §3, RFC 9051 §6.3.9: RECURSIVEMATCH alone, or only with REMOTE, is BAD.
        for text in ["a1 LIST (RECURSIVEMATCH) \"\" %", "a1 LIST (RECURSIVEMATCH REMOTE) \"\" %",
                     "a1 LIST (FROB) \"\" *",
                     "a1 LIST (" + String(repeating: "REMOTE ", count: 40) + "SUBSCRIBED) \"\" *"] {
            #expect(failure(text)?.tag == "a1", "\(text)")
        }
    }

    /// RFC 5258 §5 example 9, adapted: Foo2, Baz2 and eps2 exist with inferiors; qux2 does not.
    let example = ListedMailboxes(
        mailboxes: ["Foo2", "Foo2/Bar1", "Foo2/Bar2", "Baz2", "Baz2/Bar2", "Baz2/Bar22", "Baz2/Bar222", "eps2", "eps2/mamba", "qux2/bar2"]
            .map { .init(name: $0, specialUse: []) },
        subscribed: ["Foo2/Bar1", "Foo2/Bar2", "Baz2/Bar2", "Baz2/Bar22", "Baz2/Bar222", "eps2", "eps2/mamba", "qux2/bar2"])

    func lines(_ entries: [ListedMailboxes.Entry]) -> [String] {
        entries.map { "(\($0.attributes.joined(separator: " "))) \($0.name)\($0.childInfo ? " CHILDINFO" : "")" }
    }

    @Test func subscribedWithoutRecursiveMatch() {
        let options = ListedMailboxes.Options(subscribedOnly: true, returnSubscribed: true)
        #expect(lines(example.entries(reference: "", patterns: ["%"], options)) == ["(\\HasChildren \\Subscribed) eps2"])
        #expect(lines(example.entries(reference: "", patterns: ["*"], options)) == [
            "(\\HasNoChildren \\Subscribed) Baz2/Bar2", "(\\HasNoChildren \\Subscribed) Baz2/Bar22",
            "(\\HasNoChildren \\Subscribed) Baz2/Bar222", "(\\HasNoChildren \\Subscribed) Foo2/Bar1",
            "(\\HasNoChildren \\Subscribed) Foo2/Bar2", "(\\HasChildren \\Subscribed) eps2",
            "(\\HasNoChildren \\Subscribed) eps2/mamba", "(\\HasNoChildren \\Subscribed) qux2/bar2",
        ])
    }

    @Test func recursiveMatchReportsParentsWithChildInfo() {
        let options = ListedMailboxes.Options(subscribedOnly: true, recursiveMatch: true, returnSubscribed: true)
        // "%": the parents that are not subscribed come back for their subscribed inferiors;
        // eps2 is subscribed and has one, so it has both; qux2 does not exist.
        let top = example.entries(reference: "", patterns: ["%"], options)
        #expect(lines(top) == [
            "(\\HasChildren) Baz2 CHILDINFO", "(\\HasChildren) Foo2 CHILDINFO",
            "(\\HasChildren \\Subscribed) eps2 CHILDINFO", "(\\NonExistent \\HasChildren) qux2 CHILDINFO",
        ])
        // LIST-STATUS answers only for names that meet the selection and exist.
        #expect(top.map(\.selectable) == [false, false, true, false])
        // "*": everything subscribed, and the parents again.
        let all = lines(example.entries(reference: "", patterns: ["*"], options))
        #expect(all.count == 11)
        #expect(all.contains("(\\HasChildren) Foo2 CHILDINFO") && all.contains("(\\HasNoChildren \\Subscribed) Foo2/Bar1"))
        // A pattern below the parents: no CHILDINFO where no inferior is subscribed.
        #expect(lines(example.entries(reference: "", patterns: ["eps2/%"], options)) == ["(\\HasNoChildren \\Subscribed) eps2/mamba"])
    }

    @Test func subscribedNamesThatDoNotExist() {
        let listing = ListedMailboxes(mailboxes: [.init(name: "INBOX", specialUse: [])], subscribed: ["INBOX", "Gone", "Old/Sub"])
        let options = ListedMailboxes.Options(subscribedOnly: true, recursiveMatch: true, returnSubscribed: true)
        #expect(lines(listing.entries(reference: "", patterns: ["*"], options)) == [
            "(\\NonExistent \\HasNoChildren \\Subscribed) Gone", "(\\HasNoChildren \\Subscribed) INBOX",
            "(\\NonExistent \\HasNoChildren) Old CHILDINFO", "(\\NonExistent \\HasNoChildren \\Subscribed) Old/Sub",
        ])
        // A plain LIST shows what exists, and superiors of mailboxes as \NonExistent (or \Noselect).
        let plain = ListedMailboxes(mailboxes: [.init(name: "a/b", specialUse: ["\\Archive"])], subscribed: [])
        #expect(lines(plain.entries(reference: "", patterns: ["*"], .init(nonExistentAttribute: "\\Noselect"))) == [
            "(\\Noselect \\HasChildren) a", "(\\HasNoChildren \\Archive) a/b",
        ])
        #expect(lines(plain.entries(reference: "", patterns: ["*"], .init(specialUseOnly: true))) == ["(\\HasNoChildren \\Archive) a/b"])
    }

    /// RECURSIVEMATCH with SPECIAL-USE (RFC 9051 §6.3.9 makes it BAD only alone or with REMOTE):
    /// parents of special-use mailboxes come back with CHILDINFO ("SPECIAL-USE").
    @Test func recursiveMatchWithSpecialUse() {
        let listing = ListedMailboxes(mailboxes: [.init(name: "INBOX", specialUse: []), .init(name: "Old", specialUse: []),
                                                  .init(name: "Old/Archive", specialUse: ["\\Archive"])], subscribed: [])
        let options = ListedMailboxes.Options(specialUseOnly: true, recursiveMatch: true)
        #expect(options.childInfoCriteria == ["SPECIAL-USE"])
        #expect(lines(listing.entries(reference: "", patterns: ["%"], options)) == ["(\\HasChildren) Old CHILDINFO"])
        #expect(lines(listing.entries(reference: "", patterns: ["*"], options)) == [
            "(\\HasChildren) Old CHILDINFO", "(\\HasNoChildren \\Archive) Old/Archive",
        ])
        #expect(ListedMailboxes.Options(subscribedOnly: true, specialUseOnly: true).childInfoCriteria == ["SUBSCRIBED", "SPECIAL-USE"])
        #expect(list("a1 LIST (SPECIAL-USE RECURSIVEMATCH) \"\" *")! == (false, true, true))
    }
}
