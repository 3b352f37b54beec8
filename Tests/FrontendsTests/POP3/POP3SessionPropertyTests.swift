import Journal
import RoostTesting
import Testing
@testable import Frontends
@testable import Projections

/// Random command sequences through parser, session and encoder (the same driver as the
/// FuzzPOP3Session target): effects succeed with a canned maildrop, and every reply must encode
/// to CRLF lines, one line of at most 512 octets for single-line replies (RFC 2449 §4), and a
/// terminated multi-line body without a bare "." line inside.
@Suite struct POP3SessionPropertyTests {
    static let words = ["USER", "PASS", "QUIT", "STAT", "LIST", "RETR", "DELE", "NOOP", "RSET", "TOP", "UIDL",
                        "CAPA", "STLS", "AUTH", "APOP", "list", "x", ""]
    static let arguments = ["1", "2", "3", "4", "0", "99999999999999", "-1", "a", "PLAIN", "AGEAYg==", "=", ".", "..", " "]

    func check(_ response: POP3Response) {
        let bytes = POP3Encoder.encode(response)
        let lines = bytes.split(separator: 10, omittingEmptySubsequences: false).dropLast()
        #expect(bytes.last == 10 && lines.allSatisfy { $0.last == 13 })
        switch response {
        case .ok, .err, .challenge:
            #expect(lines.count == 1 && bytes.count <= 512)
        case .lines, .content:
            #expect(Array(lines.last!) == [0x2E, 0x0D])
            #expect(lines.dropLast().dropFirst().allSatisfy { Array($0) != [0x2E, 0x0D] })
        }
    }

    @Test func randomSessionsKeepTheInvariants() {
        let maildrop = POP3SessionTests.maildrop
        let content = Array("Subject: x\r\n\r\n.dot\r\nline\r\n..\r\nend".utf8)
        // Seeded: the same 2000 sessions every run, so the UPDATE-state check below is not luck.
        var rng = SeededGenerator(seed: 1939)
        var expunged = 0
        for _ in 0..<2000 {
            var session = POP3Session(environment: .init(tlsActive: Bool.random(using: &rng), startTLSAvailable: true, plaintextAllowed: false))
            var closed = false
            var marked = Set<Int>()
            for _ in 0..<Int.random(in: 1...30, using: &rng) where !closed {
                var line = Self.words.randomElement(using: &rng)!
                for _ in 0..<Int.random(in: 0...2, using: &rng) { line += " " + Self.arguments.randomElement(using: &rng)! }
                if case .success(.dele(let n)) = POP3CommandParser.parse(Array(line.utf8)), session.isInTransaction { marked.insert(n) }
                if case .success(.rset) = POP3CommandParser.parse(Array(line.utf8)), session.isInTransaction { marked.removeAll() }
                var pending = session.command(POP3CommandParser.parse(Array(line.utf8)))
                var steps = 0
                while !pending.isEmpty && !closed {
                    steps += 1
                    #expect(steps < 8, "no action loops")
                    switch pending.removeFirst() {
                    case .reply(let response): check(response)
                    case .startTLS(let response):
                        check(response)
                        pending += session.tlsStarted()
                    case .close: closed = true
                    case .authenticate, .authenticateSASL: pending += session.authenticationFinished(.success(account: "a"))
                    case .openMaildrop: pending += session.maildropOpened(.opened(maildrop))
                    case .retrieve(let info, let number, let lines):
                        #expect(maildrop.messages[number - 1] == info && !marked.contains(number))
                        check(.content("x", lines.map { POP3Encoder.top(content, lines: $0) } ?? content))
                    case .expunge(_, let messages):
                        // Exactly the marked, valid message numbers are expunged.
                        let expected = marked.filter { (1...maildrop.messages.count).contains($0) }.sorted().map { maildrop.messages[$0 - 1].ref }
                        #expect(messages == expected)
                        expunged += 1
                        pending += session.deletionsCommitted(true, count: messages.count)
                    case .releaseMaildrop: break
                    }
                }
            }
        }
        #expect(expunged > 0, "the random sessions reached the UPDATE state")
    }
}
