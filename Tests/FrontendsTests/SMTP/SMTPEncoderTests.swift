import MailMessage
import Testing
@testable import Frontends

/// Replies on the wire (RFC 5321 §4.2.1 multiline, RFC 2034 enhanced codes) and the header
/// fields Roost adds.
@Suite struct SMTPEncoderTests {
    @Test func singleAndMultilineReplies() {
        #expect(SMTPReplyEncoder.encode(SMTPReply(250, "2.0.0", "Ok")) == Array("250 2.0.0 Ok\r\n".utf8))
        #expect(SMTPReplyEncoder.encode(SMTPReply(220, nil, "mx ESMTP")) == Array("220 mx ESMTP\r\n".utf8))
        #expect(SMTPReplyEncoder.encode(SMTPReply(250, nil, ["mx greets x", "PIPELINING", "SIZE 10"]))
                == Array("250-mx greets x\r\n250-PIPELINING\r\n250 SIZE 10\r\n".utf8))
        #expect(SMTPReplyEncoder.encode(SMTPReply(550, "5.1.1", ["a", "b"])) == Array("550-5.1.1 a\r\n550 5.1.1 b\r\n".utf8))
        #expect(SMTPReplyEncoder.encode(SMTPReply(334, nil, "")) == Array("334 \r\n".utf8))
        // Nothing from a client can break a reply's framing.
        #expect(SMTPReplyEncoder.encode(SMTPReply(501, "5.5.4", "x\r\n250 ok")) == Array("501 5.5.4 x??250 ok\r\n".utf8))
    }

    @Test func receivedInThePostfixLayout() {
        let date = MailDate(secondsSince1970: 1_796_119_200)
        let c = SMTPAddedHeaders.Connection(helo: "laptop.example", clientIP: "192.0.2.7", tlsVersion: "TLSv1.3",
                                            authenticatedAccount: "alice@example.org", withProtocol: "ESMTPSA")
        let text = String(decoding: SMTPAddedHeaders.received(c, by: "mx.example.org", id: "42", recipient: "bob@example.org", date: date), as: UTF8.self)
        #expect(text == """
            Received: from laptop.example (unknown [192.0.2.7])\r
            \t(using TLSv1.3)\r
            \t(Authenticated sender: alice@example.org)\r
            \tby mx.example.org (Roost) with ESMTPSA id 42\r
            \tfor <bob@example.org>; \(date.rfc5322)\r

            """)
        let plain = SMTPAddedHeaders.Connection(helo: "a\r\nInjected: x", clientIP: "192.0.2.8", withProtocol: "ESMTP")
        let p = String(decoding: SMTPAddedHeaders.received(plain, by: "mx", id: "7", recipient: nil, date: date), as: UTF8.self)
        #expect(p == "Received: from a??Injected: x (unknown [192.0.2.8])\r\n\tby mx (Roost) with ESMTP id 7; \(date.rfc5322)\r\n")
        #expect(SMTPAddedHeaders.returnPath("") == Array("Return-Path: <>\r\n".utf8))
        #expect(SMTPAddedHeaders.returnPath("a@b.example") == Array("Return-Path: <a@b.example>\r\n".utf8))
    }

    @Test func submissionGetsMessageIDAndDateOnlyWhenMissing() throws {
        let date = MailDate(secondsSince1970: 0)
        let both = Array("Date: x\r\nmessage-id: <y@z>\r\n\r\nbody\r\n".utf8)
        #expect(SMTPAddedHeaders.completingSubmission(both, hostname: "mx", uniqueID: "u", date: date) == nil)
        let none = Array("Subject: s\r\n\r\nDate: in the body\r\n".utf8)
        let completed = try #require(SMTPAddedHeaders.completingSubmission(none, hostname: "mx", uniqueID: "u", date: date))
        #expect(completed == Array("Message-ID: <u@mx>\r\nDate: \(date.rfc5322)\r\n".utf8) + none)
        let onlyDate = Array("DATE : x\r\n\r\n".utf8)
        #expect(SMTPAddedHeaders.completingSubmission(onlyDate, hostname: "mx", uniqueID: "u", date: date)
                == Array("Message-ID: <u@mx>\r\n".utf8) + onlyDate)
    }
}
