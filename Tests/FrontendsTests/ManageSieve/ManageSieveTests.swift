import NIOCore
import Testing
@testable import Frontends

@Suite struct ManageSieveFrameDecoderTests {
    /// Feeds `input` in pieces of `step` bytes; returns the frames, or the error that ended it.
    private func frames(_ input: [UInt8], step: Int) -> ([ManageSieveFrame], (any Error)?) {
        var decoder = ManageSieveFrameDecoder()
        var buffer = ByteBuffer()
        var out: [ManageSieveFrame] = []
        var offset = 0
        do {
            while offset < input.count {
                let end = min(offset + step, input.count)
                buffer.writeBytes(input[offset..<end])
                offset = end
                while let frame = try decoder.decode(buffer: &buffer) { out.append(frame) }
            }
        } catch {
            return (out, error)
        }
        return (out, nil)
    }

    @Test func linesQuotedStringsAndLiteralsInAnySplit() {
        let input = Array("PUTSCRIPT \"my \\\"s\\\\\" {10+}\r\nkeep;\r\nx;\r\n\r\nLISTSCRIPTS\r\nCHECKSCRIPT {3}\r\nab\n\r\n".utf8)
        for step in [1, 2, 3, 7, input.count] {
            let (got, error) = frames(input, step: step)
            #expect(error == nil)
            #expect(got == [
                ManageSieveFrame(tokens: [.atom("PUTSCRIPT"), .string(Array("my \"s\\".utf8)), .string(Array("keep;\r\nx;\r\n".utf8).prefix(10).map { $0 })]),
                ManageSieveFrame(tokens: []),
                ManageSieveFrame(tokens: [.atom("LISTSCRIPTS")]),
                ManageSieveFrame(tokens: [.atom("CHECKSCRIPT"), .string(Array("ab\n".utf8))]),
            ], "step \(step)")
        }
    }

    @Test func oversizedLiteralIsReadPastAndReported() {
        let size = ManageSieveLimits.literal + 1
        let input = Array("PUTSCRIPT \"big\" {\(size)+}\r\n".utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: size) + Array("\r\nNOOP\r\n".utf8)
        let (got, error) = frames(input, step: 65_536)
        #expect(error == nil)
        #expect(got.count == 2)
        #expect(got.first?.problem == .literalTooLarge)
        #expect(got.last == ManageSieveFrame(tokens: [.atom("NOOP")]))
    }

    @Test func syntaxProblemsStillEndTheirFrame() {
        let (got, error) = frames(Array("NOOP \"open {4+}\r\nabcd\r\nNOOP {x}\r\nNOOP \"a\r\nLOGOUT\r\n".utf8), step: 5)
        #expect(error == nil)
        // The literal after an unclosed quote is still consumed as a literal, never run as a command.
        #expect(got.map { $0.problem != nil } == [true, true, true, false])
        #expect(got.last?.tokens == [.atom("LOGOUT")])
    }

    @Test func overlongLineClosesAndTooManyTokensIsAProblem() {
        let (_, error) = frames([UInt8](repeating: UInt8(ascii: "A"), count: ManageSieveLimits.lineLength + 10), step: 1000)
        #expect(error is ManageSieveFrameDecoder.LineTooLong)
        let (got, _) = frames(Array((String(repeating: "A ", count: 40) + "\r\n").utf8), step: 100)
        #expect(got.first?.problem == .syntax("too many arguments"))
    }
}

@Suite struct ManageSieveCommandParserTests {
    private func parse(_ tokens: [ManageSieveToken]) -> Result<ManageSieveCommand, ManageSieveSyntaxError> {
        ManageSieveCommandParser.parse(ManageSieveFrame(tokens: tokens))
    }
    private func s(_ text: String) -> ManageSieveToken { .string(Array(text.utf8)) }

    @Test func everyCommand() throws {
        let cases: [([ManageSieveToken], ManageSieveCommand)] = [
            ([.atom("authenticate"), s("PLAIN"), s("AGEAYg==")], .authenticate(mechanism: "PLAIN", initialResponse: "AGEAYg==")),
            ([.atom("AUTHENTICATE"), s("PLAIN")], .authenticate(mechanism: "PLAIN", initialResponse: nil)),
            ([.atom("StartTLS")], .startTLS), ([.atom("LOGOUT")], .logout), ([.atom("CAPABILITY")], .capability),
            ([.atom("NOOP")], .noop(tag: nil)), ([.atom("NOOP"), s("t1")], .noop(tag: Array("t1".utf8))),
            ([.atom("HAVESPACE"), s("a"), .atom("1000")], .haveSpace(name: "a", size: 1000)),
            ([.atom("PUTSCRIPT"), s("a"), s("keep;")], .putScript(name: "a", script: Array("keep;".utf8))),
            ([.atom("LISTSCRIPTS")], .listScripts), ([.atom("SETACTIVE"), s("")], .setActive(name: "")),
            ([.atom("GETSCRIPT"), s("ü")], .getScript(name: "ü")), ([.atom("DELETESCRIPT"), s("a")], .deleteScript(name: "a")),
            ([.atom("RENAMESCRIPT"), s("a"), s("b")], .renameScript(name: "a", newName: "b")),
            ([.atom("CHECKSCRIPT"), s("keep;")], .checkScript(Array("keep;".utf8))), ([.atom("UNAUTHENTICATE")], .unauthenticate),
        ]
        for (tokens, command) in cases { #expect(try parse(tokens).get() == command) }
    }

    @Test func refusals() {
        let bad: [[ManageSieveToken]] = [
            [], [s("NOOP")], [.atom("FROB")], [.atom("LOGOUT"), s("x")], [.atom("GETSCRIPT")], [.atom("GETSCRIPT"), s("")],
            [.atom("GETSCRIPT"), s("a\u{7}b")], [.atom("GETSCRIPT"), s("a\u{2028}")], [.atom("GETSCRIPT"), .atom("a")],
            [.atom("HAVESPACE"), s("a"), .atom("01")], [.atom("HAVESPACE"), s("a"), .atom("4294967296")],
            [.atom("HAVESPACE"), s("a"), s("10")], [.atom("GETSCRIPT"), .string([0xFF])],
            [.atom("GETSCRIPT"), s(String(repeating: "n", count: 257))], [.atom("RENAMESCRIPT"), s("a")],
        ]
        for tokens in bad {
            if case .success(let c) = parse(tokens) { Issue.record("\(tokens) parsed as \(c)") }
        }
        #expect(throws: ManageSieveSyntaxError.self) {
            try ManageSieveCommandParser.parse(ManageSieveFrame(tokens: [.atom("NOOP")], problem: .literalTooLarge)).get()
        }
    }
}

@Suite struct ManageSieveEncoderTests {
    private func text(_ r: ManageSieveResponse) -> String { String(decoding: ManageSieveEncoder.encode(r), as: UTF8.self) }

    @Test func statusLinesCodesAndStrings() {
        #expect(text(.ok()) == "OK\r\n")
        #expect(text(.no("there is no script \"x\"", code: .nonexistent)) == "NO (NONEXISTENT) \"there is no script \\\"x\\\"\"\r\n")
        #expect(text(.ok("done", code: .tag(Array("t1".utf8)))) == "OK (TAG \"t1\") \"done\"\r\n")
        #expect(text(.bye("bye", code: .tryLater)) == "BYE (TRYLATER) \"bye\"\r\n")
        #expect(text(.no("x", code: .quotaMaxSize)) == "NO (QUOTA/MAXSIZE) \"x\"\r\n")
        #expect(text(.capabilities([("SASL", "PLAIN"), ("STARTTLS", nil)])) == "\"SASL\" \"PLAIN\"\r\n\"STARTTLS\"\r\n")
        #expect(text(.scripts([(name: "a", active: false), (name: "b", active: true)])) == "\"a\"\r\n\"b\" ACTIVE\r\n")
        #expect(text(.script(Array("keep;\r\n".utf8))) == "{7}\r\nkeep;\r\n\r\n")
        // A string with a line break, or longer than 1024 octets, goes as a literal.
        #expect(text(.no("line 1: x\r\nline 2: y")) == "NO {20}\r\nline 1: x\r\nline 2: y\r\n")
        #expect(text(.challenge("")) == "\"\"\r\n")
    }
}

@Suite struct ManageSieveSessionTests {
    private func session(tls: Bool = false, plaintext: Bool = false) -> ManageSieveSession {
        ManageSieveSession(environment: .init(tlsActive: tls, startTLSAvailable: true, plaintextAllowed: plaintext))
    }

    private func capabilityNames(_ s: ManageSieveSession) -> [String: String?] {
        guard case .capabilities(let lines) = s.capabilities else { return [:] }
        return Dictionary(lines.map { ($0.0, $0.1) }, uniquingKeysWith: { a, _ in a })
    }

    @Test func passwordsOnlyAfterTLSOutsideDev() {
        var s = session()
        #expect(capabilityNames(s)["SASL"] == "")
        #expect(capabilityNames(s).keys.contains("STARTTLS"))
        #expect(s.command(.success(.authenticate(mechanism: "PLAIN", initialResponse: "x"))) ==
                [.reply(.no("authentication needs TLS first: use STARTTLS", code: .encryptNeeded))])
        #expect(s.command(.success(.startTLS)) == [.startTLS(.ok("begin TLS negotiation now"))])
        let after = s.tlsStarted()
        #expect(after.count == 2)
        #expect(capabilityNames(s)["SASL"] == "PLAIN LOGIN")
        #expect(!capabilityNames(s).keys.contains("STARTTLS"))
        #expect(s.command(.success(.startTLS)) == [.reply(.no("STARTTLS is not available here"))])
        #expect(s.command(.success(.authenticate(mechanism: "PLAIN", initialResponse: nil))) == [.authenticate(mechanism: "PLAIN", initialResponse: nil)])
    }

    @Test func stateRules() {
        var s = session(plaintext: true)
        #expect(s.command(.success(.listScripts)) == [.reply(.no("authenticate first"))])
        #expect(s.command(.success(.putScript(name: "a", script: Array("keep;".utf8)))) == [.reply(.no("authenticate first"))])
        #expect(s.authenticationFinished(.failure) == [.reply(.no("authentication failed"))])
        #expect(s.authenticationFinished(.refused) == [.reply(.no("too many failed logins; try again later", code: .tryLater))])
        _ = s.authenticationFinished(.success(account: "alice@example.org"))
        #expect(capabilityNames(s)["OWNER"] == "alice@example.org")
        #expect(s.command(.success(.listScripts)) == [.scripts(.list, account: "alice@example.org")])
        #expect(s.command(.success(.authenticate(mechanism: "PLAIN", initialResponse: nil))) == [.reply(.no("already authenticated"))])
        // Scripts are checked before anything is stored.
        let bad = s.command(.success(.putScript(name: "a", script: Array("fileinto \"x\";".utf8))))
        #expect(bad == [.reply(.no("line 1: fileinto needs require \"fileinto\""))])
        #expect(s.command(.success(.checkScript(Array("keep;".utf8)))) == [.reply(.ok("script is valid"))])
        #expect(s.command(.success(.putScript(name: "a", script: Array("keep;".utf8)))) ==
                [.scripts(.put(name: "a", script: Array("keep;".utf8)), account: "alice@example.org")])
        #expect(s.command(.failure(.init("literal too large", kind: .tooLarge))) == [.reply(.no("script or string too large", code: .quotaMaxSize))])
        #expect(s.command(.success(.unauthenticate)) == [.reply(.ok("unauthenticate completed"))])
        #expect(s.state == .notAuthenticated)
        #expect(s.command(.success(.logout)) == [.reply(.ok("logout completed")), .close])
        #expect(s.command(.success(.capability)).isEmpty)
    }
}

@Suite struct ManageSieveScriptRulesTests {
    typealias Rules = ManageSieveScriptRules
    let scripts: [(name: String, active: Bool)] = [(name: "main", active: true), (name: "spare", active: false)]

    @Test func rfc5804Rules() {
        #expect(Rules.decide(.delete(name: "main"), scripts: scripts) == .reply(.no("the active script cannot be deleted", code: .active)))
        #expect(Rules.decide(.delete(name: "nope"), scripts: scripts) == .reply(.no("there is no script nope", code: .nonexistent)))
        #expect(Rules.decide(.delete(name: "spare"), scripts: scripts) == .change(.delete(name: "spare"), then: .ok("script deleted")))
        #expect(Rules.decide(.rename(name: "spare", newName: "main"), scripts: scripts) == .reply(.no("a script main exists already", code: .alreadyExists)))
        #expect(Rules.decide(.rename(name: "spare", newName: "x"), scripts: scripts) == .change(.rename(name: "spare", newName: "x"), then: .ok("script renamed")))
        #expect(Rules.decide(.setActive(name: "x"), scripts: scripts) == .reply(.no("there is no script x", code: .nonexistent)))
        #expect(Rules.decide(.setActive(name: "spare"), scripts: scripts) == .change(.activate(name: "spare"), then: .ok("script activated")))
        #expect(Rules.decide(.setActive(name: ""), scripts: scripts) == .change(.activate(name: ""), then: .ok("script deactivated")))
        #expect(Rules.decide(.setActive(name: ""), scripts: []) == .reply(.ok("no script was active")))
        #expect(Rules.decide(.haveSpace(name: "x", size: 2 << 20), scripts: scripts) == .reply(.no("script too large", code: .quotaMaxSize)))
        #expect(Rules.decide(.haveSpace(name: "x", size: 100), scripts: scripts) == .reply(.ok("putscript would succeed")))
        let full = (0..<ManageSieveLimits.scripts).map { (name: "s\($0)", active: false) }
        #expect(Rules.decide(.put(name: "new", script: []), scripts: full) == .reply(.no("too many scripts", code: .quotaMaxScripts)))
        #expect(Rules.decide(.put(name: "s1", script: []), scripts: full) == .change(.store(name: "s1", script: []), then: .ok("script stored")))
    }
}
