import Testing
@testable import Frontends

@Suite struct POP3CommandParserTests {
    static let valid: [(String, POP3Command)] = [
        ("USER alice@example.org", .user("alice@example.org")),
        ("user alice", .user("alice")),
        ("PASS secret", .pass("secret")),
        ("PASS two words  here", .pass("two words  here")),
        ("QUIT", .quit),
        ("quit", .quit),
        ("STAT", .stat),
        ("LIST", .list(nil)),
        ("LIST 2", .list(2)),
        ("LIST 007", .list(7)),
        ("LIST 0", .list(0)),
        ("LIST 99999999999999999999", .list(Int.max)),
        ("RETR 1", .retr(1)),
        ("DELE 3", .dele(3)),
        ("NOOP", .noop),
        ("RSET", .rset),
        ("TOP 1 0", .top(1, lines: 0)),
        ("TOP 2 10", .top(2, lines: 10)),
        ("UIDL", .uidl(nil)),
        ("UIDL 4", .uidl(4)),
        ("CAPA", .capa),
        ("STLS", .stls),
        ("AUTH PLAIN", .auth(mechanism: "PLAIN", initialResponse: nil)),
        ("auth plain AGFsaWNlAHNlY3JldA==", .auth(mechanism: "PLAIN", initialResponse: "AGFsaWNlAHNlY3JldA==")),
        ("AUTH PLAIN =", .auth(mechanism: "PLAIN", initialResponse: "=")),
        ("RETR  1", .retr(1)),
    ]

    @Test(arguments: valid)
    func parses(_ line: String, _ expected: POP3Command) {
        #expect(POP3CommandParser.parse(Array(line.utf8)) == .success(expected))
    }

    static let invalid: [(String, POP3ParseError.Kind)] = [
        ("", .malformed),
        ("APOP mrose c4c9334bac560ecc979e58001b3e22fb", .unknownCommand),
        ("XYZZY", .unknownCommand),
        ("USER", .badArguments(verb: "USER")),
        ("USER a b", .badArguments(verb: "USER")),
        ("PASS", .badArguments(verb: "PASS")),
        ("QUIT now", .badArguments(verb: "QUIT")),
        ("STAT 1", .badArguments(verb: "STAT")),
        ("LIST 1 2", .badArguments(verb: "LIST")),
        ("LIST x", .badArguments(verb: "LIST")),
        ("LIST -1", .badArguments(verb: "LIST")),
        ("LIST +1", .badArguments(verb: "LIST")),
        ("RETR", .badArguments(verb: "RETR")),
        ("RETR 1x", .badArguments(verb: "RETR")),
        ("DELE", .badArguments(verb: "DELE")),
        ("TOP 1", .badArguments(verb: "TOP")),
        ("TOP 1 -2", .badArguments(verb: "TOP")),
        ("TOP 1 2 3", .badArguments(verb: "TOP")),
        ("UIDL a", .badArguments(verb: "UIDL")),
        ("AUTH", .badArguments(verb: "AUTH")),
        ("AUTH PLAIN a b", .badArguments(verb: "AUTH")),
        ("STLS now", .badArguments(verb: "STLS")),
        ("USER \u{7F}", .malformed),
        ("USER caf\u{E9}", .malformed),
        ("NOOP\t", .malformed),
    ]

    @Test(arguments: invalid)
    func rejects(_ line: String, _ kind: POP3ParseError.Kind) {
        #expect(POP3CommandParser.parse(Array(line.utf8)) == .failure(POP3ParseError(kind: kind)))
    }

    @Test func controlBytesAndNULAreMalformed() {
        #expect(POP3CommandParser.parse([0x55, 0x53, 0x45, 0x52, 0x20, 0x00]) == .failure(.init(kind: .malformed)))
        #expect(POP3CommandParser.parse([0x0D]) == .failure(.init(kind: .malformed)))
    }

    /// RFC 2449 §4: commands up to 255 octets including CRLF are accepted, longer ones are not.
    @Test func commandLengthLimit() {
        let longest = "USER " + String(repeating: "a", count: 253 - 5)
        #expect(POP3CommandParser.parse(Array(longest.utf8)) == .success(.user(String(repeating: "a", count: 248))))
        #expect(POP3CommandParser.parse(Array((longest + "a").utf8)) == .failure(.init(kind: .tooLong)))
        #expect(POP3CommandParser.parse([UInt8](repeating: 0x41, count: 80_000)) == .failure(.init(kind: .tooLong)))
    }

    @Test func randomBytesNeverCrashAndOnlyPrintableASCIIParses() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let bytes = (0..<Int.random(in: 0...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if case .success(let command) = POP3CommandParser.parse(bytes) {
                // Only printable ASCII can parse at all.
                #expect(bytes.allSatisfy { $0 >= 0x20 && $0 < 0x7F }, "\(command)")
            }
        }
    }
}
