import Testing
@testable import Frontends

@Suite struct POP3EncoderTests {
    func text(_ r: POP3Response) -> String { String(decoding: POP3Encoder.encode(r), as: UTF8.self) }

    @Test func singleLines() {
        #expect(text(.ok("2 320")) == "+OK 2 320\r\n")
        #expect(text(.ok("")) == "+OK\r\n")
        #expect(text(.err(nil, "no such message")) == "-ERR no such message\r\n")
        #expect(text(.err(.inUse, "maildrop locked")) == "-ERR [IN-USE] maildrop locked\r\n")
        #expect(text(.err(.sysTemp, "x")) == "-ERR [SYS/TEMP] x\r\n")
        #expect(text(.challenge("")) == "+ \r\n")
    }

    @Test func multiLineTextIsStuffedAndTerminated() {
        #expect(text(.lines("2 messages", ["1 120", ".hidden"])) == "+OK 2 messages\r\n1 120\r\n..hidden\r\n.\r\n")
        #expect(text(.lines("none", [])) == "+OK none\r\n.\r\n")
    }

    /// RFC 1939 §3: every line starting with "." gets another; the terminator stands alone.
    @Test(arguments: [
        ("a\r\n", "a\r\n"),
        (".\r\n", "..\r\n"),
        ("x\r\n.\r\n..y\r\n", "x\r\n..\r\n...y\r\n"),
        (".start\r\nmid.dle\r\n", "..start\r\nmid.dle\r\n"),
        ("no final crlf", "no final crlf\r\n"),
        ("ends.\r\n.", "ends.\r\n..\r\n"),
        ("", ""),
    ])
    func contentStuffing(_ content: String, _ body: String) {
        #expect(text(.content("n octets", Array(content.utf8))) == "+OK n octets\r\n" + body + ".\r\n")
    }

    @Test(arguments: [
        ("a\nb\n", "a\r\nb\r\n"),
        ("a\r\nb\r\n", "a\r\nb\r\n"),
        ("a\rb\n", "a\rb\r\n"),
        ("\n\n", "\r\n\r\n"),
        ("mixed\r\nbare\nend", "mixed\r\nbare\r\nend"),
    ])
    func crlfNormalisation(_ input: String, _ output: String) {
        #expect(POP3Encoder.crlf(Array(input.utf8)) == Array(output.utf8))
    }

    @Test func crlfMatchesTheIMAPSize() {
        // The projection's size is the IMAP CRLF form; RETR must send exactly that many octets.
        let stored = Array("From: a\nSubject: b\r\n\nbody\n.line\r\nlast".utf8)
        #expect(POP3Encoder.crlf(stored).count == stored.count + 3)
    }

    /// RETR's streaming form: the stored bytes in any pieces give what `encode(.content)` gives
    /// for their CRLF form, and `crlfCount` is that form's size.
    @Test(arguments: [
        "", ".", "\n", "\r", "\r\n", "a\nb", ".a\n.b\r\n..c\n.", "x\r", "x\r\n.\r\n", "\n.\n.\n", "mid.dle\rX\n.\r.\n",
        "From: a\nSubject: b\r\n\n.leading\n..two\nlast",
    ])
    func stufferMatchesTheEncoder(_ text: String) {
        let stored = Array(text.utf8)
        let crlf = POP3Encoder.crlf(stored)
        #expect(POP3Encoder.crlfCount(stored) == crlf.count)
        let expected = Array(POP3Encoder.encode(.content("", crlf)).dropFirst(5))  // "+OK\r\n"
        for size in 1...max(1, stored.count + 1) {
            var stuffer = POP3ContentStuffer()
            var out: [UInt8] = []
            var at = 0
            while at < stored.count {
                let end = min(at + size, stored.count)
                stuffer.append(stored[at..<end], into: &out)
                at = end
            }
            stuffer.finish(into: &out)
            #expect(out == expected, "\(text.debugDescription) in pieces of \(size)")
        }
    }

    @Test func stufferOnRandomBytes() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let stored = (0..<Int.random(in: 0...300, using: &rng)).map { _ in [0x2E, 0x0A, 0x0D, 0x61][Int.random(in: 0...3, using: &rng)] as UInt8 }
            var stuffer = POP3ContentStuffer()
            var out: [UInt8] = []
            var at = 0
            while at < stored.count {
                let end = min(at + Int.random(in: 1...20, using: &rng), stored.count)
                stuffer.append(stored[at..<end], into: &out)
                at = end
            }
            stuffer.finish(into: &out)
            #expect(out == Array(POP3Encoder.encode(.content("", POP3Encoder.crlf(stored))).dropFirst(5)), "\(stored)")
        }
    }

    @Test(arguments: [
        (0, "H: 1\r\nI: 2\r\n\r\n"),
        (1, "H: 1\r\nI: 2\r\n\r\nl1\r\n"),
        (2, "H: 1\r\nI: 2\r\n\r\nl1\r\nl2\r\n"),
        (99, "H: 1\r\nI: 2\r\n\r\nl1\r\nl2\r\nl3"),
    ])
    func top(_ lines: Int, _ expected: String) {
        let message = Array("H: 1\r\nI: 2\r\n\r\nl1\r\nl2\r\nl3".utf8)
        #expect(POP3Encoder.top(message, lines: lines) == Array(expected.utf8))
    }

    @Test func topOfAMessageWithoutBodyOrHeader() {
        #expect(POP3Encoder.top(Array("H: 1\r\nI: 2\r\n".utf8), lines: 5) == Array("H: 1\r\nI: 2\r\n".utf8))
        #expect(POP3Encoder.top(Array("\r\nbody\r\nmore\r\n".utf8), lines: 1) == Array("\r\nbody\r\n".utf8))
    }
}
