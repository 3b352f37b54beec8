import Foundation
import Testing
@testable import MailMessage

@Suite("Header fields")
struct HeaderParsingTests {
    @Test("fields keep their order, exact bytes and duplicates")
    func orderAndBytes() {
        let text = "Received: from a\r\n\tby b; Tue, 1 Jul 2003 10:52:37 +0200\r\nReceived: from c\r\nSubject: x\r\n\r\nbody"
        let m = Message(text)
        #expect(m.fields.map { m.name(of: $0) } == ["Received", "Received", "Subject"])
        #expect(String(decoding: m.rawBytes(of: m.fields[0]), as: UTF8.self) == "Received: from a\r\n\tby b; Tue, 1 Jul 2003 10:52:37 +0200\r\n")
        #expect(String(decoding: m.rawValue(of: m.fields[0]), as: UTF8.self) == " from a\r\n\tby b; Tue, 1 Jul 2003 10:52:37 +0200")
        #expect(String(decoding: m.unfoldedValue(of: m.fields[0]), as: UTF8.self) == "from a\tby b; Tue, 1 Jul 2003 10:52:37 +0200")
        #expect(m.fields(named: "RECEIVED").count == 2)
        // Concatenating every field's raw bytes and the empty line gives the header back.
        let joined = m.fields.flatMap { m.rawBytes(of: $0) } + Array("\r\n".utf8)
        #expect(joined == Array(m.bytes[m.root.headerRange]))
    }

    @Test("obsolete syntax: WSP before the colon, empty value (RFC 5322 §4.5)")
    func obsoleteSyntax() {
        let m = Message("Subject  : spaced\nX-Empty:\nX-Tab:\tv\n\nb")
        #expect(m.name(of: m.fields[0]) == "Subject")
        #expect(m.subject == "spaced")
        #expect(m.value(named: "x-empty") == "")
        #expect(m.value(named: "x-tab") == "v")
    }

    @Test("bare LF and CRLF give the same values")
    func lineEndings() {
        let lf = Message("Subject: a\n b\nTo: x@y\n\nbody\n")
        let cr = Message("Subject: a\r\n b\r\nTo: x@y\r\n\r\nbody\r\n")
        #expect(lf.subject == "a b")
        #expect(cr.subject == "a b")
        #expect(String(decoding: lf.rawBody(of: lf.root), as: UTF8.self) == "body\n")
        #expect(String(decoding: cr.rawBody(of: cr.root), as: UTF8.self) == "body\r\n")
        #expect(lf.root.headerLineCount == 4)
        #expect(cr.root.headerLineCount == 4)
    }

    @Test("raw UTF-8 and 8-bit values (RFC 6532), and undeclared latin-1")
    func eightBit() {
        let utf8 = Message("Subject: Grüße aus Köln\n\n")
        #expect(utf8.subject == "Grüße aus Köln")
        let latin1 = Message(bytes: Array("Subject: Gr".utf8) + [0xFC] + Array("n\n\n".utf8))
        #expect(latin1.subject == "Grün")
    }

    @Test("a line without colon between fields joins the field before; one before a blank line starts the body")
    func lineWithoutColon() {
        let m = Message("DKIM-Signature: b=abc\ndef\nSubject: s\n\nbody")
        #expect(m.fields.count == 2)
        #expect(String(decoding: m.unfoldedValue(of: m.fields[0]), as: UTF8.self) == "b=abcdef")
        #expect(m.subject == "s")
        #expect(m.root.defects == [.headerLineWithoutColon(offset: 22)])
        let b = Message("Subject: s\nbody text\n\nmore")
        #expect(bodyText(b, b.root) == "body text\n\nmore")
    }

    @Test("an mbox From_ line at the top is skipped, not a field")
    func mboxFromLine() {
        let m = Message("From someone@example.com Tue Jul  1 10:52:37 2003\nSubject: s\n\nb")
        #expect(m.fields.count == 1)
        #expect(m.subject == "s")
        #expect(m.root.defects.isEmpty)
    }

    @Test("continuation line before any field is kept in the header, ignored")
    func leadingContinuation() {
        let m = Message("  stray\nSubject: s\n\nb")
        #expect(m.fields.count == 1)
        #expect(m.subject == "s")
    }

    @Test("field count bound: extra fields skipped, body still found")
    func fieldBound() {
        var text = ""
        for i in 0..<100 { text += "X-\(i): v\n" }
        text += "Subject: last\n\nthe body"
        let m = Message(text, limits: Limits(maxHeaderFields: 10))
        #expect(m.fields.count == 10)
        #expect(m.root.defects.contains(.tooManyHeaderFields))
        #expect(bodyText(m, m.root) == "the body")
    }

    @Test("a header line over 998 octets is reported and kept")
    func longLine() {
        let long = String(repeating: "a", count: 2000)
        let m = Message("Subject: \(long)\n\nb")
        #expect(m.subject == long)
        #expect(m.root.defects.contains(.headerLineTooLong(offset: 0)))
    }

    @Test("Message-ID, In-Reply-To, References")
    func messageIDs() {
        let m = Message("""
            Message-ID: <abc@example.com> (comment)
            In-Reply-To: "Joe's message" <x@y>
            References: <a@b>
             <c@d> <e@f>
            Content-ID: bare@id

            """)
        #expect(m.messageID == "abc@example.com")
        #expect(m.inReplyTo == ["x@y"])
        #expect(m.references == ["a@b", "c@d", "e@f"])
        #expect(m.root.contentID == "bare@id")
    }
    @Test("unfolding removes every CR and LF, wherever they fall against the 8-byte steps")
    func unfoldAtEveryOffset() {
        for n in 0...24 {
            for at in 0...n {
                for brk in ["\r\n ", "\n\t", " \r\n\t"] {
                    var v = Array(repeating: UInt8(0x78), count: n)
                    v.insert(contentsOf: Array(brk.utf8), at: at)
                    let line = Array("Subject: ".utf8) + v + Array("\r\n\r\n".utf8)
                    let m = Message(bytes: line)
                    let expected = Array(String(decoding: v, as: UTF8.self)
                        .replacingOccurrences(of: "\r", with: "").replacingOccurrences(of: "\n", with: "")
                        .trimmingCharacters(in: .whitespaces).utf8)
                    guard let f = m.fields.first else {
                        Issue.record("no field for \(v)")
                        continue
                    }
                    #expect(m.unfoldedValue(of: f) == expected, "\(v)")
                }
            }
        }
    }
}

