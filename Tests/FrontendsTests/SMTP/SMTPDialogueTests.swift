import Foundation
import Testing
@testable import Frontends

/// Framer + parser + session + encoder together: the same replies and messages however the
/// bytes are split into reads.
@Suite struct SMTPDialogueTests {
    static let script = Array("""
        EHLO a.example\r
        MAIL FROM:<a@b.example>\r
        RCPT TO:<x@test>\r
        RCPT TO:<y@elsewhere.example>\r
        DATA\r
        Subject: one\r
        \r
        ..stuffed\r
        .\r
        MAIL FROM:<a@b.example>\r
        RCPT TO:<x@test>\r
        BDAT 9\r
        chunk\r
        .\rBDAT 3 LAST\r
        endVRFY x\r
        QUIT\r

        """.utf8)

    /// The script in the parts a real client sends (it waits for 354 after DATA), each part
    /// split by `split`.
    static func run(_ split: ([UInt8]) -> [[UInt8]]) -> SMTPDialogue {
        let text = String(decoding: script, as: UTF8.self)
        let parts = text.components(separatedBy: "DATA\r\n")
        var d = SMTPDialogue(role: .mx)
        for (i, part) in parts.enumerated() {
            for c in split(Array((part + (i < parts.count - 1 ? "DATA\r\n" : "")).utf8)) { d.receive(c) }
        }
        return d
    }

    @Test func wholeAndByteByByteAgree() {
        let whole = Self.run { [$0] }
        #expect(String(decoding: whole.replies, as: UTF8.self) == """
            220 mx.test ESMTP Roost\r
            250-mx.test greets a.example\r
            250-PIPELINING\r
            250-SIZE 100000\r
            250-8BITMIME\r
            250-SMTPUTF8\r
            250-ENHANCEDSTATUSCODES\r
            250-CHUNKING\r
            250-DSN\r
            250 STARTTLS\r
            250 2.1.0 Ok\r
            250 2.1.5 Ok\r
            550 5.7.1 <y@elsewhere.example>: relay access denied\r
            354 End data with <CR><LF>.<CR><LF>\r
            250 2.0.0 Ok: queued as 1\r
            250 2.1.0 Ok\r
            250 2.1.5 Ok\r
            250 2.0.0 9 octets received\r
            250 2.0.0 Ok: queued as 2\r
            252 2.0.0 Cannot VRFY user, but will accept message and attempt delivery\r
            221 2.0.0 Bye\r

            """)
        #expect(whole.delivered == [Array("Subject: one\r\n\r\n.stuffed\r\n".utf8), Array("chunk\r\n.\rend".utf8)])
        let single = Self.run { $0.map { [$0] } }
        #expect(single.replies == whole.replies)
        #expect(single.delivered == whole.delivered)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            let random = Self.run { bytes in
                var chunks: [[UInt8]] = []
                var i = 0
                while i < bytes.count {
                    let n = Int.random(in: 1...40, using: &generator)
                    chunks.append(Array(bytes[i..<min(i + n, bytes.count)]))
                    i += n
                }
                return chunks
            }
            #expect(random.replies == whole.replies)
            #expect(random.delivered == whole.delivered)
        }
    }
}
