import Testing
@testable import MailMessage

@Suite("Addresses")
struct AddressTests {
    func list(_ s: String) -> [Address] { AddressParser.parseList(Array(s.utf8)) }

    func mbox(_ name: String?, _ addr: String) -> String { "\(name ?? "-") <\(addr)>" }

    func render(_ a: [Address]) -> [String] {
        a.map { entry in
            switch entry {
            case .mailbox(let m): return mbox(m.displayName, m.address)
            case .group(let n, let ms): return "\(n): " + ms.map { mbox($0.displayName, $0.address) }.joined(separator: ", ") + ";"
            }
        }
    }

    static let cases: [(String, [String])] = [
        ("joe@example.com", ["- <joe@example.com>"]),
        ("Joe Q. Public <john.q.public@example.com>", ["Joe Q. Public <john.q.public@example.com>"]),
        ("\"Joe Q. Public\" <john.q.public@example.com>", ["Joe Q. Public <john.q.public@example.com>"]),
        ("Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>",
         ["Mary Smith <mary@x.test>", "- <jdoe@example.org>", "Who? <one@y.test>"]),
        ("<boss@nil.test>, \"Giant; \\\"Big\\\" Box\" <sysservices@example.net>",
         ["- <boss@nil.test>", "Giant; \"Big\" Box <sysservices@example.net>"]),
        // RFC 5322 §A.1.3 groups.
        ("A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;",
         ["A Group: Ed Jones <c@a.test>, - <joe@where.test>, John <jdoe@one.test>;"]),
        ("Undisclosed recipients:;", ["Undisclosed recipients: ;"]),
        // RFC 5322 §A.5 comments; a comment after a bare address gives the name.
        ("Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>", ["Pete <pete@silly.test>"]),
        ("joe@example.com (Joe Blow)", ["Joe Blow <joe@example.com>"]),
        // §4.4 obsolete: route, empty list elements, spaces around dots.
        ("<@route1.test,@route2.test:joe@example.com>", ["- <joe@example.com>"]),
        ("a@b.test,, ,c@d.test", ["- <a@b.test>", "- <c@d.test>"]),
        ("John . Doe @ example . com", ["- <John.Doe@example.com>"]),
        // Quoted local part, domain literal.
        ("\"john doe\"@example.com", ["- <\"john doe\"@example.com>"]),
        ("x@[192.168.0.1]", ["- <x@[192.168.0.1]>"]),
        // RFC 2047 display names, RFC 6532 UTF-8 names.
        ("=?utf-8?q?J=C3=BCrgen?= <j@example.de>", ["Jürgen <j@example.de>"]),
        ("\"=?iso-8859-1?q?J=FCrgen?=\" <j@example.de>", ["Jürgen <j@example.de>"]),
        ("Jürgen Schmürgen <s@example.de>", ["Jürgen Schmürgen <s@example.de>"]),
        // Breakage.
        ("Joe Blow joe@example.com", ["Joe Blow <joe@example.com>"]),
        ("Name <unterminated@example.com", ["Name <unterminated@example.com>"]),
        // Unquoted '@' in the display name (mimekit issue358 in the corpus).
        ("jang.abcdef@xyzlinu <jang.abcdef@xyzlinux12345678.it>", ["jang.abcdef@xyzlinu <jang.abcdef@xyzlinux12345678.it>"]),
        ("undisclosed-recipients", ["- <undisclosed-recipients>"]),
        ("<>", ["- <>"]),
    ]

    @Test("address lists", arguments: Self.cases)
    func parse(_ input: String, _ expected: [String]) {
        #expect(render(list(input)) == expected)
    }

    @Test("route domains are kept")
    func route() {
        let m = AddressParser.parseMailbox(Array("<@a.test,@b.test:x@c.test>".utf8))!
        #expect(m.route == ["a.test", "b.test"])
        #expect(m.localPart == "x")
        #expect(m.domain == "c.test")
    }

    @Test("From / To / Cc from a message; repeated fields are joined")
    func fromMessage() {
        let m = Message("""
            From: Doug Sauder <doug@example.com>
            To: Joe Blow <jblow@example.com>,
             =?iso-8859-1?Q?J=FCrgen_Schm=FCrgen?= <schmuergen@example.com>
            Cc: a@b.test
            Cc: c@d.test
            Sender: s@e.test
            Reply-To: "List" <list@e.test>
            Bcc: hidden@e.test

            """)
        #expect(render(m.from) == ["Doug Sauder <doug@example.com>"])
        #expect(render(m.to) == ["Joe Blow <jblow@example.com>", "Jürgen Schmürgen <schmuergen@example.com>"])
        #expect(render(m.cc) == ["- <a@b.test>", "- <c@d.test>"])
        #expect(m.sender?.address == "s@e.test")
        #expect(render(m.replyTo) == ["List <list@e.test>"])
        #expect(render(m.bcc) == ["- <hidden@e.test>"])
    }
}
