import Testing
@testable import MailMessage

@Suite("Transfer decoding and charsets")
struct DecodingTests {
    func b64(_ s: String) -> TransferDecoding.Result { TransferDecoding.base64(Array(s.utf8)) }
    func qp(_ s: String) -> TransferDecoding.Result { TransferDecoding.quotedPrintable(Array(s.utf8)) }
    func str(_ r: TransferDecoding.Result) -> String { String(decoding: r.bytes, as: UTF8.self) }

    @Test("base64: standard, line-wrapped, unpadded, junk, data after padding")
    func base64() {
        #expect(str(b64("SGVsbG8sIHdvcmxkIQ==")) == "Hello, world!")
        #expect(!b64("SGVsbG8sIHdvcmxkIQ==").hadErrors)
        #expect(str(b64("SGVs\r\nbG8s\r\nIHdv\r\ncmxk\r\nIQ==\r\n")) == "Hello, world!")
        #expect(str(b64("SGVsbG8")) == "Hello")
        let junk = b64("SGV*sbG8!")
        #expect(str(junk) == "Hello")
        #expect(junk.hadErrors)
        #expect(str(b64("SGk=\nSGk=")) == "HiHi")  // a second block on a new line
        #expect(str(b64("ecO2dMOkIHZhYW4uCg== ignored\n")) == "yötä vaan.\n")  // RFC 2045 §6.8: '=' ends the data
        #expect(str(b64("")) == "")
        #expect(b64("S").bytes.isEmpty)
    }

    @Test("quoted-printable: escapes, soft breaks, trailing space, bad escapes")
    func quotedPrintable() {
        #expect(str(qp("caf=C3=A9")) == "café")
        #expect(str(qp("caf=c3=a9")) == "café")  // lowercase hex, tolerated
        #expect(str(qp("long=\r\nline")) == "longline")
        #expect(str(qp("long=  \nline")) == "longline")  // whitespace after the soft break
        #expect(str(qp("trailing   \r\nnext")) == "trailing\r\nnext")  // rule 3
        let bad = qp("100% =ZZ sure=")
        #expect(str(bad) == "100% =ZZ sure")
        #expect(bad.hadErrors)
        #expect(str(TransferDecoding.quotedPrintable(Array("a_b".utf8), underscoreIsSpace: true)) == "a b")
    }

    static let charsets: [(String, [UInt8], String)] = [
        ("iso-8859-1", [0x63, 0x61, 0x66, 0xE9], "café"),
        ("ISO-8859-1", [0x93, 0x71, 0x94], "\u{201C}q\u{201D}"),  // 1252 punctuation in latin-1 mail
        ("windows-1252", [0x80], "€"),
        ("iso-8859-2", [0xB1], "ą"),
        ("iso-8859-15", [0xA4], "€"),
        ("windows-1251", [0xCF, 0xF0, 0xE8], "При"),
        ("koi8-r", [0xF0, 0xD2, 0xC9], "При"),
        ("iso-2022-jp", [0x1B, 0x24, 0x42, 0x46, 0x7C, 0x1B, 0x28, 0x42], "日"),
        ("gb2312", [0xD6, 0xD0], "中"),
        ("gbk", [0xD6, 0xD0], "中"),
        ("gb18030", [0xD6, 0xD0], "中"),
        ("big5", [0xA4, 0xA4], "中"),
        ("shift_jis", [0x93, 0xFA], "日"),
        ("euc-jp", [0xC6, 0xFC], "日"),
        ("euc-kr", [0xC7, 0xD1], "한"),
        ("ks_c_5601-1987", [0xC7, 0xD1], "한"),
        ("utf-7", Array("+ZeU-".utf8), "日"),
        ("\"UTF-8\"", [0xE2, 0x82, 0xAC], "€"),
        ("us-ascii", Array("plain".utf8), "plain"),
    ]

    @Test("charset conversion to UTF-8", arguments: Self.charsets)
    func charset(_ name: String, _ bytes: [UInt8], _ expected: String) {
        let d = Charset.decode(bytes, charset: name)
        #expect(d.text == expected)
        #expect(d.outcome == .exact)
    }

    @Test("invalid bytes are replaced and reported, never a crash")
    func invalid() {
        let u = Charset.decode([0x61, 0xFF, 0x62], charset: "utf-8")
        #expect(u.text == "a\u{FFFD}b")
        #expect(u.outcome == .repaired)
        let s = Charset.decode([0x93], charset: "shift_jis")  // truncated double-byte
        #expect(s.text == "\u{FFFD}")
        #expect(s.outcome == .repaired)
        let a = Charset.decode([0x63, 0x61, 0x66, 0xC3, 0xA9], charset: "us-ascii")
        #expect(a.text == "café")
        #expect(a.outcome == .repaired)
    }

    @Test("unknown charset: UTF-8 or windows-1252 fallback, reported")
    func unknown() {
        let d = Charset.decode([0x63, 0x61, 0x66, 0xE9], charset: "x-unknown-thing")
        #expect(d.text == "café")
        #expect(d.outcome == .unknownCharset("x-unknown-thing"))
        #expect(!Charset.isKnown("x-unknown-thing"))
        #expect(Charset.isKnown("KOI8-R"))
    }

    @Test("Message.text: transfer decoding then charset")
    func bodyText() {
        let m = Message("""
            Content-Type: text/plain; charset=iso-8859-1
            Content-Transfer-Encoding: quoted-printable

            Gr=FC=DFe=
             aus K=F6ln
            """)
        #expect(m.text(of: m.root).text == "Grüße aus Köln")
    }
}
