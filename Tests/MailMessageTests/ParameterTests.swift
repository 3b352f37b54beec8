import Testing
@testable import MailMessage

@Suite("Content-Type and RFC 2231 parameters")
struct ParameterTests {
    func ct(_ s: String) -> ContentType? { ContentType.parse(Array(s.utf8)) }

    @Test("type, subtype and plain parameters")
    func basic() {
        let t = ct("text/plain; charset=\"UTF-8\"; format=flowed")!
        #expect(t.mimeType == "text/plain")
        #expect(t.charset == "UTF-8")
        #expect(t.parameters[parameter: "format"] == "flowed")
    }

    @Test("quoted-pair inside quoted value, ';' inside quotes")
    func quoted() {
        let t = ct(#"application/x; name="a \"b\"; c.txt""#)!
        #expect(t.name == #"a "b"; c.txt"#)
    }

    @Test("RFC 2231 §3 continuations")
    func continuations() {
        let t = ct("message/external-body; access-type=URL;\n URL*0=\"ftp://\";\n URL*1=\"cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar\"")!
        #expect(t.parameters[parameter: "url"] == "ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar")
    }

    @Test("RFC 2231 §4 charset and language; §4.1 mixed sections")
    func charsetLanguage() {
        let t = ct("application/x-stuff; title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A")!
        #expect(t.parameters[parameter: "title"] == "This is ***fun***")
        #expect(t.parameters.first { $0.name == "title" }?.language == "en-us")
        let u = ct("application/x-stuff; title*0*=us-ascii'en'This%20is%20even%20more%20; title*1*=%2A%2A%2Afun%2A%2A%2A%20; title*2=\"isn't it!\"")!
        #expect(u.parameters[parameter: "title"] == "This is even more ***fun*** isn't it!")
    }

    @Test("RFC 2231 sections out of order, and an ISO-8859-1 filename")
    func outOfOrder() {
        let t = ct("application/pdf; name*1=\"b.pdf\"; name*0=\"a\"")!
        #expect(t.name == "ab.pdf")
        let d = ContentDisposition.parse(Array("attachment; filename*=iso-8859-1''M%FCller.pdf".utf8))!
        #expect(d.filename == "Müller.pdf")
    }

    @Test("RFC 2231 form wins over the plain one")
    func extendedWins() {
        let d = ContentDisposition.parse(Array("attachment; filename=\"fallback.txt\"; filename*=utf-8''%E2%82%AC.txt".utf8))!
        #expect(d.filename == "€.txt")
    }

    @Test("broken variants: encoded word in a quoted value, unquoted spaces, missing ';'")
    func broken() {
        #expect(ct("application/pdf; name=\"=?utf-8?B?w6Qu?= pdf\"")?.name == "ä. pdf")
        #expect(ct("application/pdf; name=my file.pdf")?.name == "my file.pdf")
        let t = ct("text/plain charset=utf-8 format=flowed")!
        #expect(t.charset == "utf-8")
        #expect(t.parameters[parameter: "format"] == "flowed")
        #expect(ct("text/plain; name=\"unterminated")?.name == "unterminated")
        #expect(ct("text; charset=x")?.mimeType == "text/plain")
        #expect(ct("garbage") == nil)
        #expect(ct("") == nil)
    }
}
