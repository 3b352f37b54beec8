import Testing
@testable import MailMessage

@Suite struct SectionTests {
    static let message = IMAPMessageView(Message(
        "Subject: s\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\none\r\n"
            + "--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\nX: y\r\n\r\ninner\r\n--b\r\n"
            + "Content-Type: application/x\r\nContent-Transfer-Encoding: x-unknown\r\n\r\nzz\r\n--b--\r\n"))

    static func section(_ s: String, _ partial: Partial? = nil) throws -> String {
        let data = message.section(try SectionSpec.parse(s))
        return String(decoding: partial.map { $0.apply(data) } ?? data, as: UTF8.self)
    }

    @Test func partsAndSpecifiers() throws {
        #expect(try Self.section("1") == "one")
        #expect(try Self.section("1.MIME") == "Content-Type: text/plain\r\n\r\n")
        #expect(try Self.section("2.HEADER") == "Subject: inner\r\nX: y\r\n\r\n")
        #expect(try Self.section("2.TEXT") == "inner")
        #expect(try Self.section("2.1") == "inner")
        #expect(try Self.section("2.1.MIME") == "Subject: inner\r\nX: y\r\n\r\n")
        #expect(try Self.section("2.HEADER.FIELDS (x)") == "X: y\r\n\r\n")
        #expect(try Self.section("2.HEADER.FIELDS.NOT (x)") == "Subject: inner\r\n\r\n")
        #expect(try Self.section("HEADER.FIELDS (NOPE)") == "\r\n")
        // Nothing there: empty, as Dovecot answers.
        #expect(try Self.section("9") == "")
        #expect(try Self.section("1.HEADER") == "")
        #expect(try Self.section("1.1") == "")
    }

    @Test func partials() throws {
        // RFC 9051 §6.4.5: past the end -> empty; truncated at the end.
        #expect(try Self.section("1", Partial(origin: 1, count: 10)) == "ne")
        #expect(try Self.section("1", Partial(origin: 3, count: 10)) == "")
        #expect(try Self.section("1", Partial(origin: 99, count: 1)) == "")
        #expect(try Self.section("", Partial(origin: 0, count: 7)) == "Subject")
    }

    @Test func unknownTransferEncodingIsUnknownCTE() {
        #expect(throws: BinaryError.self) { try Self.message.binary([3]) }
        #expect(throws: BinaryError.self) { try Self.message.binarySize([3]) }
        #expect((try? Self.message.binary([1])) == Array("one".utf8))
        #expect((try? Self.message.binarySize([1])) == 3)
        do {
            _ = try Self.message.fetchResponse(sequenceNumber: 1, items: [.binary(part: [3], partial: nil, peek: true)])
            Issue.record("expected UNKNOWN-CTE")
        } catch {
            #expect(error.responseCode == "UNKNOWN-CTE")
            #expect(error.encoding == "x-unknown")
        }
    }

    @Test func binaryUsesCRLFForTextAndLiteral8ForNUL() throws {
        let v = IMAPMessageView(Message("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Transfer-Encoding: base64\r\n\r\nYQpiCg==\r\n"
            + "--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEK\r\n--b--\r\n"))
        #expect(try v.binary([1]) == Array("a\r\nb\r\n".utf8))
        #expect(try v.binarySize([1]) == 6)
        #expect(try v.binary([2]) == [0, 1, 10])  // not text: bytes as decoded
        let r = try v.fetchResponse(sequenceNumber: 4, items: [.binary(part: [2], partial: nil, peek: true)])
        #expect(r == Array("* 4 FETCH (BINARY[2] ~{3}\r\n".utf8) + [0, 1, 10] + Array(")\r\n".utf8))
    }

    @Test func bareLFIsServedAsCRLF() {
        let v = IMAPMessageView(Message("Subject: x\nFrom: a@b\n\nl1\nl2\n"))
        #expect(v.message.bytes == Array("Subject: x\r\nFrom: a@b\r\n\r\nl1\r\nl2\r\n".utf8))
        #expect(v.rfc822Size == 33)
        let crlf = Message("Subject: x\r\n\r\nb\r\n")
        #expect(!crlf.hasBareLineFeeds)
        #expect(Message("a\r\nb\nc").hasBareLineFeeds)
    }

    @Test func noBlankLineNoBody() throws {
        // RFC 9051 §6.4.5.1: the blank line is in every header fetch "except in the case of a
        // message that has no body and no blank line".
        let v = IMAPMessageView(Message("From: a@b\r\nSubject: s"))
        #expect(v.section(try SectionSpec.parse("HEADER")) == Array("From: a@b\r\nSubject: s".utf8)[...])
        #expect(Array(v.section(try SectionSpec.parse("HEADER.FIELDS (FROM)"))) == Array("From: a@b\r\n".utf8))
        #expect(v.section(try SectionSpec.parse("TEXT")).isEmpty)
    }
}
