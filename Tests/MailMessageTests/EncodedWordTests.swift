import Testing
@testable import MailMessage

@Suite("RFC 2047 encoded words")
struct EncodedWordTests {
    static let cases: [(String, String)] = [
        // RFC 2047 §8 examples.
        ("=?ISO-8859-1?Q?a?=", "a"),
        ("=?ISO-8859-1?Q?a?= b", "a b"),
        ("=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=", "ab"),
        ("=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=", "ab"),
        ("=?ISO-8859-1?Q?a_b?=", "a b"),
        ("=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=", "a b"),
        ("(=?ISO-8859-1?Q?a?=)", "(a)"),
        // B encoding, lowercase markers, other charsets.
        ("=?utf-8?b?w6RiYw==?=", "äbc"),
        ("=?UTF-8?B?5pel5pys6Kqe?=", "日本語"),
        ("=?koi8-r?B?8NLJ18XU?=", "Привет"),
        ("=?windows-1251?Q?=CF=F0=E8=E2=E5=F2?=", "Привет"),
        ("=?iso-2022-jp?B?GyRCRnxLXDhsGyhC?=", "日本語"),
        ("=?gb2312?B?1tDOxA==?=", "中文"),
        ("=?big5?B?pKSk5Q==?=", "中文"),
        ("=?shift_jis?B?k/qWe4zq?=", "日本語"),
        ("=?euc-kr?B?x9Gxub7u?=", "한국어"),
        ("=?utf-8?B?w6Q=?= =?utf-8?B?/w==?=", "ä\u{FFFD}"),  // invalid UTF-8 byte replaced
        ("=?utf-7?Q?+ZeVnLIqe-?=", "日本語"),
        // RFC 2231 §5 language suffix.
        ("=?US-ASCII*EN?Q?Keith_Moore?=", "Keith Moore"),
        // Broken variants.
        ("Re:=?utf-8?q?caf=C3=A9?=", "Re:café"),  // glued to text
        ("=?utf-8?q?hello world?=", "hello world"),  // space inside a Q word
        ("=?utf-8?B?w6?= =?utf-8?B?Q=?=", "ä"),  // base64 split mid-quantum
        ("=?utf-8?q?=C3?= =?utf-8?q?=A4?=", "ä"),  // UTF-8 character split across words
        ("=?utf-8?x?abc?=", "=?utf-8?x?abc?="),  // unknown encoding: literal
        ("=?utf-8?q?unterminated", "=?utf-8?q?unterminated"),
        ("plain text", "plain text"),
        ("a =?utf-8?q?x?= b", "a x b"),
        ("50% =? off =?utf-8?q?caf=C3=A9?=", "50% =? off café"),  // a stray "=?" before a real word
    ]

    @Test("decoding", arguments: Self.cases)
    func decode(_ input: String, _ expected: String) {
        #expect(EncodedWords.decode(Array(input.utf8)).text == expected)
    }

    @Test("an unknown charset falls back and is reported")
    func unknownCharset() {
        let d = EncodedWords.decode(Array("=?x-no-such-charset?q?caf=C3=A9?=".utf8))
        #expect(d.text == "café")
        #expect(d.outcome == .unknownCharset("x-no-such-charset"))
    }

    @Test("hostile input stays linear: many '=?' with and without terminators")
    func linear() {
        let clock = ContinuousClock()
        let start = clock.now
        _ = EncodedWords.decode(Array(("?=" + String(repeating: "=?a?q?", count: 20_000)).utf8))
        _ = EncodedWords.decode(Array((String(repeating: "=?", count: 30_000) + "?=").utf8))
        _ = AddressParser.parseList(Array(String(repeating: "<@", count: 30_000).utf8))
        #expect(clock.now - start < .seconds(3))
    }

    @Test("Subject with folded encoded words")
    func folded() {
        let m = Message("Subject: =?utf-8?q?Gr=C3=BC?=\n =?utf-8?q?=C3=9Fe?=\n\n")
        #expect(m.subject == "Grüße")
    }
}
