import Testing
@testable import MailMessage

/// Hostile input: the parser must return a best-effort tree in bounded time, never crash.
@Suite("Robustness")
struct RobustnessTests {
    let clock = ContinuousClock()

    func parseTimed(_ bytes: [UInt8], limit: Duration = .seconds(30)) -> Message {
        let start = clock.now
        let m = Message(bytes: bytes)
        for p in m.root.allParts { _ = m.fields(named: "content-type", in: p) }
        _ = m.subject
        _ = m.from
        _ = m.date
        let took = clock.now - start
        #expect(took < limit, "took \(took) for \(bytes.count) bytes")
        #expect(checkInvariants(m) == [])
        return m
    }

    /// A deterministic generator, so a failure reproduces.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test("random binary garbage")
    func garbage() {
        var rng = SplitMix(state: 42)
        for size in [0, 1, 2, 3, 10, 100, 1000, 100_000] {
            let bytes = (0..<size).map { _ in UInt8.random(in: 0...255, using: &rng) }
            _ = parseTimed(bytes)
        }
    }

    @Test("garbage made of mail syntax (colons, dashes, boundaries, encoded words)")
    func syntaxSoup() {
        var rng = SplitMix(state: 7)
        let atoms = ["--b", "--b--", "\n", "\r\n", ": ", "Content-Type: multipart/mixed; boundary=b", "Content-Type: message/rfc822",
                     "=?utf-8?q?", "?=", "\"", "(", ")", "<", ">", "@", ",", ";", " ", "\t", "Subject", "From: ", "=", "*0*="]
        for _ in 0..<200 {
            var s = ""
            for _ in 0..<Int.random(in: 0...300, using: &rng) { s += atoms.randomElement(using: &rng)! }
            _ = parseTimed(Array(s.utf8))
        }
    }

    @Test("every truncation of a multipart message")
    func truncations() {
        let full = Array(crlf(MIMEFixtures.all[5].message).utf8)
        for n in 0...full.count {
            _ = parseTimed(Array(full[..<n]))
        }
    }

    @Test("enormous header: one 4 MB line, and 200k fields")
    func enormousHeader() {
        let longLine = Array("Subject: ".utf8) + [UInt8](repeating: 65, count: 4 << 20) + Array("\n\nbody".utf8)
        let m = parseTimed(longLine)
        #expect(m.root.defects.contains(.headerLineTooLong(offset: 0)))
        var many = [UInt8]()
        for _ in 0..<200_000 { many += Array("X-A: b\n".utf8) }
        many += Array("\nbody".utf8)
        let m2 = parseTimed(many)
        #expect(m2.fields.count == Limits.default.maxHeaderFields)
        #expect(bodyText(m2, m2.root) == "body")
        // A huge folded To: field is bounded for structured decoding.
        var to = Array("To: ".utf8)
        for i in 0..<100_000 { to += Array("u\(i)@example.com,\n ".utf8) }
        _ = parseTimed(to + Array("\n\n".utf8))
    }

    @Test("deep nesting: multipart and message/rfc822, 10k levels")
    func deepNesting() {
        var s = ""
        for i in 0..<10_000 { s += "Content-Type: multipart/mixed; boundary=\"b\(i)\"\n\n--b\(i)\n" }
        let m = parseTimed(Array(s.utf8))
        var depth = 0
        var p = m.root
        while let c = p.children.first { p = c; depth += 1 }
        #expect(depth == Limits.default.maxDepth)
        let msgs = String(repeating: "Content-Type: message/rfc822\n\n", count: 10_000)
        _ = parseTimed(Array(msgs.utf8))
    }

    @Test("many delimiter-looking lines under deep nesting stay linear")
    func boundaryScan() {
        var s = ""
        for i in 0..<50 { s += "Content-Type: multipart/mixed; boundary=\"bound\(i)\"\n\n--bound\(i)\n" }
        s += "\n"
        // 50k lines that start like a delimiter of every level but match none: O(depth × lines),
        // where a rescan per level would be quadratic.
        s += String(repeating: "--bound0x\n", count: 50_000)
        _ = parseTimed(Array(s.utf8))
    }

    @Test("many parts: the part bound holds")
    func manyParts() {
        let s = "Content-Type: multipart/mixed; boundary=b\n\n" + String(repeating: "--b\n\nx\n", count: 50_000) + "--b--\n"
        let m = parseTimed(Array(s.utf8))
        #expect(m.root.children.count == Limits.default.maxParts)
    }

    @Test("binary body with NUL, bare CR and no line breaks")
    func binary() {
        var b = Array("Content-Type: application/octet-stream\r\n\r\n".utf8)
        b += [UInt8](repeating: 0, count: 1000) + [13, 13, 0, 10, 255] + [UInt8](repeating: 13, count: 1000)
        let m = parseTimed(b)
        #expect(m.root.bodySize == 2005)
    }

    @Test("parsing is a pure function of the bytes")
    func deterministic() {
        for f in MIMEFixtures.all {
            let a = Message(crlf(f.message))
            let b = Message(crlf(f.message))
            #expect(a.root == b.root)
        }
    }
}
