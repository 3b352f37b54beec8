import Testing
@testable import MailMessage

@Suite("Header writer")
struct HeaderWriterTests {
    func lines(_ b: [UInt8]) -> [String] {
        String(decoding: b, as: UTF8.self).split(separator: "\r\n", omittingEmptySubsequences: false).dropLast().map { String($0) }
    }

    /// Every line within 998 octets, and within 78 unless a single word forces it.
    func checkLengths(_ b: [UInt8], soft: Bool = true) {
        for l in lines(b) {
            #expect(l.utf8.count <= 998)
            if soft { #expect(l.utf8.count <= 78, "\(l)") }
        }
        #expect(b.suffix(2) == [13, 10])
    }

    @Test("short field stays on one line")
    func short() {
        #expect(HeaderWriter.field("X-Test", "hello world") == Array("X-Test: hello world\r\n".utf8))
        #expect(HeaderWriter.field("X-Test", "v", lineEnding: .lf) == Array("X-Test: v\n".utf8))
    }

    @Test("long value folds at spaces under 78 and unfolds back to the value")
    func folding() {
        let value = (0..<40).map { "word\($0)" }.joined(separator: " ")
        let b = HeaderWriter.field("X-Long", value)
        checkLengths(b)
        #expect(lines(b).count > 1)
        let m = Message(bytes: b + Array("\r\nbody".utf8))
        #expect(m.value(named: "x-long") == value)
    }

    @Test("a word longer than 998 octets is split so no line passes 998")
    func hardLimit() {
        let word = String(repeating: "x", count: 2500)
        let b = HeaderWriter.field("X-Huge", "a " + word)
        checkLengths(b, soft: false)
        #expect(lines(b).count >= 3)
    }

    @Test("CR and LF in values cannot inject fields")
    func injection() {
        let b = HeaderWriter.field("X-Test", "a\r\nBcc: victim@example.com")
        let m = Message(bytes: b + Array("\r\n".utf8))
        #expect(m.fields.count == 1)
        #expect(m.fields(named: "bcc").isEmpty)
    }

    @Test("Received (RFC 5321 §4.4) folds between clauses")
    func received() {
        let date = MailDate(secondsSince1970: 1_057_049_557, zoneOffsetMinutes: 120)
        let b = HeaderWriter.received(HeaderWriter.Received(
            from: "client.example.org", fromInfo: "client.example.org [192.0.2.25]", by: "mx.roost.test",
            with: "ESMTPS", id: "4f2a9c", recipient: "demo@roost.test", date: date))
        checkLengths(b)
        let m = Message(bytes: b + Array("\r\n".utf8))
        #expect(m.value(named: "received") == "from client.example.org (client.example.org [192.0.2.25]) by mx.roost.test with ESMTPS id 4f2a9c for <demo@roost.test>; Tue, 1 Jul 2003 10:52:37 +0200")
        // The date after ';' parses back to the same instant.
        let v = m.value(named: "received")!
        let datePart = v.split(separator: ";").last!
        #expect(DateParser.parse(Array(datePart.utf8))?.secondsSince1970 == 1_057_049_557)
    }

    @Test("Return-Path, including the null path")
    func returnPath() {
        #expect(HeaderWriter.returnPath("a@b.test") == Array("Return-Path: <a@b.test>\r\n".utf8))
        #expect(HeaderWriter.returnPath(nil) == Array("Return-Path: <>\r\n".utf8))
    }

    @Test("Authentication-Results (RFC 8601 §2.2)")
    func authResults() {
        let b = HeaderWriter.authenticationResults(authservID: "mx.roost.test", [
            .init(method: "spf", result: "pass", properties: [.init("smtp.mailfrom", "example.com")]),
            .init(method: "dkim", result: "pass", properties: [.init("header.d", "example.com"), .init("header.s", "sel1")]),
            .init(method: "dmarc", result: "fail", reason: "policy says so", properties: [.init("header.from", "example.com")]),
        ])
        checkLengths(b)
        let m = Message(bytes: b + Array("\r\n".utf8))
        #expect(m.value(named: "authentication-results") == "mx.roost.test; spf=pass smtp.mailfrom=example.com; dkim=pass header.d=example.com header.s=sel1; dmarc=fail reason=\"policy says so\" header.from=example.com")
        #expect(HeaderWriter.authenticationResults(authservID: "mx.roost.test", []) == Array("Authentication-Results: mx.roost.test; none\r\n".utf8))
    }

    @Test("X-Spam-* fields; a long tests list folds after commas")
    func spam() {
        let tests = (0..<30).map { "RULE_NUMBER_\($0)" }
        let b = HeaderWriter.spamHeaders(isSpam: true, score: 7.06, required: 5, tests: tests)
        checkLengths(b)
        let m = Message(bytes: b + Array("\r\n".utf8))
        #expect(m.value(named: "x-spam-flag") == "YES")
        #expect(m.value(named: "x-spam-score") == "7.1")
        let status = m.value(named: "x-spam-status")!
        #expect(status.hasPrefix("Yes, score=7.1 required=5.0 tests=RULE_NUMBER_0,"))
        let listed = status.split(separator: "=").last!.split(separator: ",").map { $0.trimmingPrefix(" ") }.map(String.init)
        #expect(listed == tests)
        #expect(HeaderWriter.format(-0.25) == "-0.3" || HeaderWriter.format(-0.25) == "-0.2")
    }

    @Test("prepending leaves the stored message's bytes and structure untouched")
    func prepend() {
        let stored = Array("From: a@b.test\nSubject: s\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n--b--\n".utf8)
        let eol = HeaderWriter.LineEnding.of(stored)
        #expect(eol == .lf)
        let added = [HeaderWriter.returnPath("a@b.test", lineEnding: eol), HeaderWriter.field("X-Spam-Flag", "NO", lineEnding: eol)]
        let full = HeaderWriter.prepend(added, to: stored)
        #expect(Array(full.suffix(stored.count)) == stored)
        let before = Message(bytes: stored)
        let after = Message(bytes: full)
        let shift = full.count - stored.count
        #expect(after.fields.count == before.fields.count + 2)
        #expect(after.root.children.map { $0.bodyRange.lowerBound - shift } == before.root.children.map(\.bodyRange.lowerBound))
        #expect(after.subject == "s")
    }
}
