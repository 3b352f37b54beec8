import Testing
@testable import MailMessage

@Suite struct EnvelopeTests {
    static func envelope(_ header: String) -> String {
        let view = IMAPMessageView(Message(header + "\r\n\r\nbody\r\n"))
        var w = IMAPWriter()
        w.envelope(view.envelope)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    static func to(_ value: String) -> String {
        var w = IMAPWriter()
        w.addressList(IMAPMessageView(Message("To: \(value)\r\n\r\n")).envelope.to)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    static let addressCases: [(String, String)] = [
        ("a@b", "((NIL NIL \"a\" \"b\"))"),
        ("Joe <j@x.y>", "((\"Joe\" NIL \"j\" \"x.y\"))"),
        ("\"Doe, Jane\" <jane@x>", "((\"Doe, Jane\" NIL \"jane\" \"x\"))"),
        ("j@x (Joe Blow)", "((\"Joe Blow\" NIL \"j\" \"x\"))"),
        ("=?utf-8?q?J=C3=B6?= <j@x>", "((\"=?utf-8?q?J=C3=B6?=\" NIL \"j\" \"x\"))"),
        ("\"john doe\"@x", "((NIL NIL \"john doe\" \"x\"))"),
        ("<@r1,@r2:u@h>", "((NIL \"@r1,@r2\" \"u\" \"h\"))"),
        ("u@[192.0.2.1]", "((NIL NIL \"u\" \"[192.0.2.1]\"))"),
        ("undisclosed-recipients:;", "((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL))"),
        ("G: a@b, c@d;, e@f", "((NIL NIL \"G\" NIL)(NIL NIL \"a\" \"b\")(NIL NIL \"c\" \"d\")(NIL NIL NIL NIL)(NIL NIL \"e\" \"f\"))"),
        ("a@b,, c@d", "((NIL NIL \"a\" \"b\")(NIL NIL \"c\" \"d\"))"),
        ("foo", "((NIL NIL \"foo\" \"MISSING_DOMAIN\"))"),
        ("hibody hibody example.org", "((\"hibody hibody example.org\" NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))"),
        ("a@b <c@d>", "((NIL NIL \"a\" \"b\"))"),
        ("G: x: y;", "((NIL NIL \"G\" NIL)(NIL NIL \"x\" \"MISSING_DOMAIN\")(NIL NIL NIL NIL))"),
        ("", "NIL"),
        ("  ", "NIL"),
    ]

    @Test(arguments: addressCases.indices)
    func addressLists(_ k: Int) {
        let (value, expected) = Self.addressCases[k]
        #expect(Self.to(value) == expected, "To: \(value)")
    }

    @Test func defaultsAndEmptyFields() {
        // RFC 9051 §7.5.2: absent -> NIL, present but empty -> "" for date/subject/ids; empty
        // address lists -> NIL; Sender and Reply-To default to From.
        #expect(Self.envelope("From: a@b\r\nSubject:\r\nMessage-ID:\r\nSender:\r\nTo:")
            == "(NIL \"\" ((NIL NIL \"a\" \"b\")) ((NIL NIL \"a\" \"b\")) ((NIL NIL \"a\" \"b\")) NIL NIL NIL NIL \"\")")
        #expect(Self.envelope("X: y") == "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)")
    }

    @Test func rawValuesUnfoldedNotDecoded() {
        #expect(Self.envelope("Subject: =?utf-8?q?a?=\r\n\tb  c\r\nIn-Reply-To: <x@y> (comment)")
            == "(NIL \"=?utf-8?q?a?=\tb  c\" NIL NIL NIL NIL NIL NIL \"<x@y> (comment)\" NIL)")
    }

    @Test func repeatedFields() {
        // Address fields are joined; for the others the last one counts (as Dovecot reads them).
        #expect(Self.envelope("Cc: a@b\r\nCC: c@d\r\nDate: one\r\nDate: two")
            == "(\"two\" NIL NIL NIL NIL NIL ((NIL NIL \"a\" \"b\")(NIL NIL \"c\" \"d\")) NIL NIL NIL)")
    }

    // The builders read values in 1 KiB of stack scratch (`ViewScratch`): folded values,
    // token lists and kept strings larger than that go to the heap. These cross each edge.

    @Test func longFoldedAddressListsLeaveTheScratch() {
        // 300 addresses: over 85 tokens (the token scratch) and, folded, over 1 KiB unfolded.
        for count in [1, 20, 21, 22, 84, 85, 86, 300] {
            let value = (0..<count).map { "u\($0)@h\($0).example" }.joined(separator: ",\r\n ")
            let expected = "(" + (0..<count).map { "(NIL NIL \"u\($0)\" \"h\($0).example\")" }.joined() + ")"
            #expect(Self.to(value) == expected, "\(count) addresses")
        }
    }

    @Test func longStringsLeaveTheTextScratch() {
        // A display name, local part and domain around 512 bytes (half the text scratch, where
        // `<local@domain>` assembles both at once) and 1 KiB (all of it), one line and folded.
        for n in [511, 512, 513, 1023, 1024, 1025, 3000] {
            let name = String(repeating: "n", count: n), local = String(repeating: "l", count: n)
            let domain = String(repeating: "d", count: n)
            let expected = "((\"\(name)\" NIL \"\(local)\" \"\(domain)\"))"
            #expect(Self.to("\"\(name)\" <\(local)@\(domain)>") == expected, "\(n) bytes")
            #expect(Self.to("\"\(name)\"\r\n <\(local)@\(domain)>") == expected, "\(n) bytes, folded")
            #expect(Self.to("\(local)@\(domain) (\(name))") == expected, "\(n) bytes, addr-spec")
            let words = Array(repeating: "w", count: n).joined(separator: " ")
            #expect(Self.to("\(words) <a@b>") == "((\"\(words)\" NIL \"a\" \"b\"))", "\(n) words")
            #expect(Self.to("<@\(domain),@r:a@b>") == "((NIL \"@\(domain),@r\" \"a\" \"b\"))", "\(n)-byte route")
        }
    }

    @Test func quotedAndCommentTextsAcrossTheScratchEdge() {
        // Escapes removed and folding dropped inside quoted strings, over the 1 KiB edge.
        let half = String(repeating: "q", count: 600)
        #expect(Self.to("\"\(half)\\\"\r\n \(half)\" <a@b>") == "((\"\(half)\\\" \(half)\" NIL \"a\" \"b\"))")
        #expect(Self.to("a@b (\(half) \\) \(half))") == "((\"\(half) ) \(half)\" NIL \"a\" \"b\"))")
    }
}
