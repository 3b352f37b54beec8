import Testing
@testable import MailMessage

@Suite("MIME tree")
struct MIMETreeTests {
    @Test("fixture trees, LF line endings", arguments: MIMEFixtures.all.map(\.name))
    func fixtureLF(name: String) {
        let f = MIMEFixtures.all.first { $0.name == name }!
        let m = Message(f.message)
        #expect(treeShape(m) == f.shape)
        #expect(checkInvariants(m) == [])
    }

    @Test("fixture trees, CRLF line endings", arguments: MIMEFixtures.all.map(\.name))
    func fixtureCRLF(name: String) {
        let f = MIMEFixtures.all.first { $0.name == name }!
        let m = Message(crlf(f.message))
        #expect(treeShape(m) == f.shape)
        #expect(checkInvariants(m) == [])
    }

    @Test("offsets, preamble, epilogue and line counts of every part")
    func offsets() {
        let text = crlf("""
            Content-Type: multipart/mixed; boundary=b

            pre
            --b
            Content-Type: text/plain

            line one
            line two
            --b

            no header
            --b--
            epi
            """)
        let m = Message(text)
        let bytes = Array(text.utf8)
        func at(_ s: String) -> Int {
            let t = Array(s.utf8)
            return (0...(bytes.count - t.count)).first { Array(bytes[$0..<($0 + t.count)]) == t }!
        }
        #expect(m.root.headerRange == 0..<at("pre"))
        #expect(m.root.headerLineCount == 2)
        let mp = m.root.multipart!
        #expect(bodyText(m, m.root).hasPrefix("pre\r\n--b"))
        #expect(String(decoding: m.bytes[mp.preamble], as: UTF8.self) == "pre")
        #expect(String(decoding: m.bytes[mp.epilogue], as: UTF8.self) == "epi")
        #expect(mp.closed)
        let p1 = mp.parts[0]
        #expect(p1.headerRange == at("Content-Type: text/plain")..<at("line one"))
        #expect(p1.headerLineCount == 2)
        // The CRLF before "--b" belongs to the delimiter (RFC 2046 §5.1.1).
        #expect(bodyText(m, p1) == "line one\r\nline two")
        #expect(p1.bodySize == 18)
        #expect(m.bodyLineCount(p1) == 2)
        let p2 = mp.parts[1]
        #expect(p2.headerRange.count == 2)  // just the empty line
        #expect(p2.headerLineCount == 1)
        #expect(bodyText(m, p2) == "no header")
        #expect(m.bodyLineCount(p2) == 1)
        #expect(m.root.bodyRange.upperBound == bytes.count)
    }

    @Test("an empty body line before the delimiter stays in the body")
    func blankLineBeforeDelimiter() {
        let m = Message("Content-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n\n--b--\n")
        let p = m.root.multipart!.parts[0]
        #expect(bodyText(m, p) == "x\n")
        #expect(m.bodyLineCount(p) == 1)
    }

    @Test("message/rfc822: the encapsulated message's ranges point into the outer bytes")
    func encapsulated() {
        let text = """
            Content-Type: message/rfc822

            Subject: inner
            From: Inner <in@example.com>

            inner body
            """
        let m = Message(text)
        let inner = m.root.encapsulatedMessage!
        #expect(m.value(named: "subject", in: inner) == "inner")
        #expect(m.value(named: "subject") == nil)
        #expect(bodyText(m, inner) == "inner body")
        #expect(m.root.bodyRange.upperBound == inner.bodyRange.upperBound)
        #expect(m.addresses(named: "from", in: inner).first?.mailboxes.first?.address == "in@example.com")
    }

    @Test("Content-* fields: disposition, id, description, language, location")
    func contentFields() {
        let text = """
            Content-Type: application/octet-stream; name="x.bin"
            Content-Transfer-Encoding: BASE64
            Content-Disposition: attachment;
             filename*=utf-8''%C3%A4rger.bin; size=3
            Content-ID: <part1@example.com>
            Content-Description: =?iso-8859-1?q?F=FCr_dich?=
            Content-Language: en, de-CH (Swiss)
            Content-Location: http://example.com/
             a.bin

            AAAA
            """
        let m = Message(text)
        let p = m.root
        #expect(p.transferEncoding == .base64)
        #expect(p.disposition?.type == "attachment")
        #expect(p.disposition?.filename == "ärger.bin")
        #expect(p.disposition?.parameters[parameter: "size"] == "3")
        #expect(p.contentID == "part1@example.com")
        #expect(p.contentDescription == "Für dich")
        #expect(p.contentLanguage == ["en", "de-CH"])
        #expect(p.contentLocation == "http://example.com/a.bin")
        #expect(p.isAttachment)
        #expect(p.filename == "ärger.bin")
        #expect(m.decodedBody(of: p).bytes == [0, 0, 0])
    }

    @Test("nesting deeper than the bound becomes an opaque leaf")
    func nestingBound() {
        var text = ""
        let depth = 80
        for i in 0..<depth { text += "Content-Type: multipart/mixed; boundary=b\(i)\n\n--b\(i)\n" }
        text += "Content-Type: text/plain\n\nleaf\n"
        for i in (0..<depth).reversed() { text += "--b\(i)--\n" }
        let m = Message(text, limits: Limits(maxDepth: 10))
        var p = m.root
        var levels = 0
        while let c = p.children.first { p = c; levels += 1 }
        #expect(levels == 10)
        #expect(p.defects.contains(.nestingTooDeep))
        #expect(checkInvariants(m) == [])
    }

    @Test("more parts than the bound: the rest stays unsplit")
    func partBound() {
        var text = "Content-Type: multipart/mixed; boundary=b\n\n"
        for i in 0..<50 { text += "--b\n\npart \(i)\n" }
        text += "--b--\n"
        let m = Message(text, limits: Limits(maxParts: 20))
        #expect(m.root.children.count == 20)
        #expect(m.root.defects.contains(.tooManyParts))
        #expect(checkInvariants(m) == [])
        // The same inside an outer multipart that goes on after the inner one.
        let nested = "Content-Type: multipart/mixed; boundary=outer\n\n--outer\n" + text.replacing("--b--\n", with: "")
            + "--outer\n\nafter\n--outer--\n"
        let n = Message(nested, limits: Limits(maxParts: 20))
        #expect(checkInvariants(n) == [])
        #expect(n.root.children.count == 1)
    }
}
