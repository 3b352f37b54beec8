import Journal
import Testing
@testable import Frontends

/// The command parser, one grammar case per line (RFC 5321 §4.1, RFC 3030, RFC 3461, RFC 4954).
@Suite struct SMTPCommandParserTests {
    static func parse(_ s: String) -> Result<SMTPCommand, SMTPParseError> { SMTPCommandParser.parse(Array(s.utf8)) }
    static func mailbox(_ local: String, _ domain: String, quoted: Bool = false, literal: Bool = false, route: Bool = false) -> SMTPMailbox {
        SMTPMailbox(localPart: local, domain: domain, isQuoted: quoted, isAddressLiteral: literal, hadSourceRoute: route)
    }

    @Test func simpleCommands() throws {
        let cases: [(String, SMTPCommand)] = [
            ("EHLO client.example", .ehlo("client.example")),
            ("ehlo [192.0.2.1]", .ehlo("[192.0.2.1]")),
            ("HELO x", .helo("x")),
            ("DATA", .data), ("data", .data), ("RSET", .rset), ("QUIT", .quit), ("STARTTLS", .startTLS),
            ("NOOP", .noop), ("NOOP anything at all", .noop), ("HELP", .help), ("HELP MAIL", .help),
            ("VRFY alice", .vrfy("alice")),
            ("BDAT 0 LAST", .bdat(size: 0, last: true)), ("BDAT 1000", .bdat(size: 1000, last: false)), ("bdat 5 last", .bdat(size: 5, last: true)),
            ("AUTH PLAIN", .auth(mechanism: "PLAIN", initialResponse: nil)),
            ("AUTH login dXNlcg==", .auth(mechanism: "LOGIN", initialResponse: "dXNlcg==")),
            ("AUTH PLAIN =", .auth(mechanism: "PLAIN", initialResponse: "=")),
        ]
        for (line, expected) in cases {
            #expect(try Self.parse(line).get() == expected, "\(line)")
        }
    }

    @Test func mailWithEveryParameter() throws {
        guard case .mail(let from, let p) = try Self.parse("MAIL FROM:<a.b@example.org> SIZE=123 BODY=8bitmime SMTPUTF8 RET=hdrs ENVID=QQ+2B1 AUTH=<>").get() else {
            Issue.record("not MAIL"); return
        }
        #expect(from == Self.mailbox("a.b", "example.org"))
        #expect(p.size == 123 && p.body == .eightBitMIME && p.smtpUTF8 && p.ret == "HDRS" && p.envelopeID == "QQ+2B1" && p.auth == "<>")
        #expect(p.raw.map(\.keyword) == ["SIZE", "BODY", "SMTPUTF8", "RET", "ENVID", "AUTH"])
        // The null sender, and the space many clients put after the colon.
        guard case .mail(nil, _) = try Self.parse("MAIL FROM:<>").get() else { Issue.record("null sender"); return }
        guard case .mail(let spaced?, _) = try Self.parse("mail from: <x@y.z>").get() else { Issue.record("space"); return }
        #expect(spaced.address == "x@y.z")
    }

    @Test func rcptWithDSN() throws {
        guard case .rcpt(let to, let p) = try Self.parse("RCPT TO:<bob@example.org> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;bob+2Bx@example.org").get() else {
            Issue.record("not RCPT"); return
        }
        #expect(to.address == "bob@example.org")
        #expect(p.notify == "SUCCESS,DELAY" && p.originalRecipient == "rfc822;bob+2Bx@example.org")
    }

    @Test func pathsAndTheirRelayTricks() throws {
        let cases: [(String, SMTPMailbox, String?)] = [
            ("<user@example.org>", Self.mailbox("user", "example.org"), nil),
            ("<user%other.example@example.org>", Self.mailbox("user%other.example", "example.org"), "'%' in local part"),
            ("<other.example!user@example.org>", Self.mailbox("other.example!user", "example.org"), "'!' in local part"),
            ("<\"user@other.example\"@example.org>", Self.mailbox("\"user@other.example\"", "example.org", quoted: true), "'@' in quoted local part"),
            ("<@a.example,@b.example:user@example.org>", Self.mailbox("user", "example.org", route: true), "source route"),
            ("<user@[192.0.2.1]>", Self.mailbox("user", "[192.0.2.1]", literal: true), "address literal"),
            ("<\"a b\\\"c\"@example.org>", Self.mailbox("\"a b\\\"c\"", "example.org", quoted: true), nil),
        ]
        for (path, mailbox, trick) in cases {
            guard case .rcpt(let to, _) = try Self.parse("RCPT TO:" + path).get() else { Issue.record("\(path)"); continue }
            #expect(to == mailbox, "\(path)")
            #expect(to.relayTrick == trick, "\(path)")
        }
    }

    @Test func utf8AddressesNeedSMTPUTF8OnMail() throws {
        #expect(throws: SMTPParseError.self) { try Self.parse("MAIL FROM:<jörg@bücher.example>").get() }
        guard case .mail(let from?, _) = try Self.parse("MAIL FROM:<jörg@bücher.example> SMTPUTF8").get() else { Issue.record("utf8"); return }
        #expect(!from.isASCII)
    }

    @Test func errors() {
        let cases: [(String, SMTPParseError.Kind)] = [
            ("EXPN list", .unknownCommand), ("TURN", .unknownCommand), ("", .malformed), ("NOOP \u{1}", .malformed),
            ("EHLO", .syntax(verb: "EHLO", enhanced: "5.5.4", message: "EHLO needs a domain or address literal")),
            ("DATA now", .syntax(verb: "DATA", enhanced: "5.5.4", message: "DATA takes no arguments")),
            ("MAIL TO:<a@b.c>", .syntax(verb: "MAIL", enhanced: "5.5.4", message: "use MAIL FROM:<address>")),
            ("MAIL FROM:a@b.c", .syntax(verb: "MAIL", enhanced: "5.5.4", message: "use MAIL FROM:<address>")),
            ("MAIL FROM:<a@b.c> FOO=1", .unsupportedParameter(verb: "MAIL", keyword: "FOO")),
            ("MAIL FROM:<a@b.c> BODY=BINARYMIME", .unsupportedParameter(verb: "MAIL", keyword: "BODY=BINARYMIME")),
            ("MAIL FROM:<a@b.c> SIZE=x", .syntax(verb: "MAIL", enhanced: "5.5.4", message: "bad SIZE parameter")),
            ("MAIL FROM:<a@b.c> SIZE=1 SIZE=2", .syntax(verb: "MAIL", enhanced: "5.5.4", message: "bad SIZE parameter")),
            ("MAIL FROM:<a..b@c.d>", .syntax(verb: "MAIL", enhanced: "5.1.7", message: "bad sender address syntax")),
            ("MAIL FROM:<a@-c.d>", .syntax(verb: "MAIL", enhanced: "5.1.7", message: "bad sender address syntax")),
            ("RCPT TO:<>", .syntax(verb: "RCPT", enhanced: "5.1.3", message: "bad recipient address syntax")),
            ("RCPT TO:<a@b.c.>", .syntax(verb: "RCPT", enhanced: "5.1.3", message: "bad recipient address syntax")),
            ("RCPT TO:<a@b.c> NOTIFY=NEVER,SUCCESS", .syntax(verb: "RCPT", enhanced: "5.5.4", message: "NOTIFY must be NEVER or SUCCESS, FAILURE, DELAY")),
            ("BDAT", .unframeableBDAT), ("BDAT x", .unframeableBDAT), ("BDAT 1 FIRST", .unframeableBDAT),
            ("BDAT 9999999999999999", .unframeableBDAT),
            ("NOOP " + String(repeating: "x", count: SMTPLimits.commandLength), .tooLong),
        ]
        for (line, kind) in cases {
            switch Self.parse(line) {
            case .success(let command): Issue.record("\(line.prefix(40)) parsed as \(command)")
            case .failure(let error): #expect(error.kind == kind, "\(line.prefix(40))")
            }
        }
        // Long local parts and paths are bounded.
        let long = String(repeating: "a", count: SMTPLimits.localPartLength + 1)
        #expect(throws: SMTPParseError.self) { try Self.parse("RCPT TO:<\(long)@example.org>").get() }
    }

    @Test func garbageNeverCrashes() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            let verbs = ["MAIL FROM:", "RCPT TO:", "BDAT ", "EHLO ", "AUTH ", ""]
            var bytes = Array(verbs.randomElement(using: &generator)!.utf8)
            bytes += (0..<Int.random(in: 0..<80, using: &generator)).map { _ in
                [UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "@"), UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: " "),
                 UInt8(ascii: "="), UInt8(ascii: ":"), 0xC3, 0xA9, 0xFF, UInt8.random(in: 0...255, using: &generator)].randomElement(using: &generator)!
            }
            _ = SMTPCommandParser.parse(bytes)
        }
    }
}
