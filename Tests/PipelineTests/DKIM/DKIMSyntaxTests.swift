import Testing
@testable import Pipeline

@Suite struct DKIMSyntaxTests {
    @Test(arguments: [
        ("v=1; a=rsa-sha256", ["v": "1", "a": "rsa-sha256"]),
        ("  v = 1 ;a=x;", ["v": "1", "a": "x"]),
        ("h=from : to :\r\n subject", ["h": "from : to :\r\n subject"]),
        ("p=", ["p": ""]),
        ("b=abc\r\n\tdef ; bh=xyz", ["b": "abc\r\n\tdef", "bh": "xyz"]),
        ("x_1=y", ["x_1": "y"]),
    ])
    func parsesTagLists(_ input: String, _ expected: [String: String]) throws {
        let list = try DKIMTagList.parse(Array(input.utf8)).get()
        #expect(list.tags.count == expected.count)
        for (name, value) in expected { #expect(list[name] == value, "\(name)") }
    }

    @Test(arguments: ["", ";", "v=1;;a=2", "=1", "1a=2", "v", "v=1; v=2", "a=b;c", "a=\u{1}", "a=é", "a-b=1", "a=b;c=d;e"])
    func refusesMalformedTagLists(_ input: String) {
        #expect(throws: DKIMTagList.SyntaxError.self) { try DKIMTagList.parse(Array(input.utf8)).get() }
    }

    @Test func tagListsAreBounded() {
        let many = (0..<65).map { "t\($0)=1" }.joined(separator: ";")
        #expect(throws: DKIMTagList.SyntaxError(description: "more than 64 tags")) { try DKIMTagList.parse(Array(many.utf8)).get() }
        let long = "a=" + String(repeating: "x", count: DKIMTagList.maxLength)
        #expect(throws: DKIMTagList.SyntaxError.self) { try DKIMTagList.parse(Array(long.utf8)).get() }
    }

    static let good = "v=1; a=rsa-sha256; d=Example.COM; s=Sel; h=From:To; bh=\(DKIMBase64.encode([UInt8](repeating: 1, count: 32))); b=AAAA"

    @Test func readsASignature() throws {
        let s = try DKIMSignature.parse(Array((Self.good + "; c=relaxed; i=joe@sub.example.com; l=10; t=5; x=6; q=dns/txt").utf8)).get()
        #expect(s.domain == "example.com")
        #expect(s.selector == "sel")
        #expect(s.signedHeaders == ["from", "to"])
        #expect(s.headerCanonicalization == .relaxed)
        #expect(s.bodyCanonicalization == .simple, "c=relaxed alone means relaxed/simple (RFC 6376 §3.5)")
        #expect(s.identityDomain == "sub.example.com")
        #expect(s.bodyLength == 10)
        #expect(s.timestamp == 5 && s.expiration == 6)
        let defaults = try DKIMSignature.parse(Array(Self.good.utf8)).get()
        #expect(defaults.identity == "@example.com")
        #expect(defaults.headerCanonicalization == .simple)
    }

    @Test(arguments: [
        ("; v=2", "signature syntax: duplicate tag v="),
        ("; i=joe@example.org", "i= domain example.org is not within d=example.com"),
        ("; i=joe@notexample.com", "i= domain notexample.com is not within d=example.com"),
        ("; c=fancy/simple", "unknown canonicalization c=fancy/simple"),
        ("; l=-1", "bad body length l=-1"),
        ("; q=http", "no supported query method in q=http"),
        ("; t=12a", "bad timestamp t=12a"),
        ("; t=10; x=9", "x= is before t="),
    ])
    func refusesBadSignatures(_ extra: String, _ reason: String) {
        #expect(throws: DKIMSignatureError(description: reason)) { try DKIMSignature.parse(Array((Self.good + extra).utf8)).get() }
    }

    @Test func refusesWhatRFC8301Retired() {
        let sha1 = Self.good.replacingOccurrences(of: "rsa-sha256", with: "rsa-sha1")
        #expect(throws: DKIMSignatureError(description: "rsa-sha1 is not accepted (RFC 8301)")) { try DKIMSignature.parse(Array(sha1.utf8)).get() }
        let missing = "v=1; a=rsa-sha256; d=example.com; s=s; h=from; b=AAAA"
        #expect(throws: DKIMSignatureError(description: "signature has no bh= tag")) { try DKIMSignature.parse(Array(missing.utf8)).get() }
        let badDomain = Self.good.replacingOccurrences(of: "d=Example.COM", with: "d=exa mple..com")
        #expect(throws: DKIMSignatureError.self) { try DKIMSignature.parse(Array(badDomain.utf8)).get() }
    }

    @Test func readsKeyRecords() throws {
        let key = try DKIMKeyRecord.parse(Array("v=DKIM1; k=ed25519; h=sha256:sha1; s=email; t=y:s; p=AAAA".utf8)).get()
        #expect(key.keyType == "ed25519")
        #expect(key.hashAlgorithms == ["sha256", "sha1"])
        #expect(key.testing && key.strictIdentity)
        #expect(key.publicKey == [0, 0, 0])
        let revoked = try DKIMKeyRecord.parse(Array("p=".utf8)).get()
        #expect(revoked.isRevoked && revoked.keyType == "rsa")
        #expect(throws: DKIMSignatureError(description: "key record has no p= tag")) { try DKIMKeyRecord.parse(Array("v=DKIM1; k=rsa".utf8)).get() }
    }

    @Test func base64IgnoresFoldingOnly() {
        #expect(DKIMBase64.decode("aGVs\r\n bG8=") == Array("hello".utf8))
        #expect(DKIMBase64.decode("aGVsbG8") == nil, "bad length")
        #expect(DKIMBase64.decode("aGV*bG8=") == nil)
        #expect(DKIMBase64.decode("aG=sbG8=") == nil, "data after padding")
        for n in 0..<8 {
            let bytes = (0..<n).map { UInt8($0 * 37 & 0xff) }
            #expect(DKIMBase64.decode(DKIMBase64.encode(bytes)) == bytes)
        }
    }

    /// RFC 6376 §3.4.5's examples.
    @Test func canonicalisesAsTheRFCExample() {
        let a = Array("A: X\r\n".utf8)[...], b = Array("B : Y\t\r\n\tZ  \r\n".utf8)[...]
        #expect(DKIMCanonicalization.header(a, .relaxed) == Array("a:X\r\n".utf8))
        #expect(DKIMCanonicalization.header(b, .relaxed) == Array("b:Y Z\r\n".utf8))
        #expect(DKIMCanonicalization.header(b, .simple) == Array(b))
        let body = Array(" C \r\nD \t E\r\n\r\n\r\n".utf8)[...]
        #expect(DKIMCanonicalization.body(body, .relaxed) == Array(" C\r\nD E\r\n".utf8))
        #expect(DKIMCanonicalization.body(body, .simple) == Array(" C \r\nD \t E\r\n".utf8))
        // Empty bodies (RFC 6376 §3.4.3, §3.4.4 and erratum 3192).
        #expect(DKIMCanonicalization.body([][...], .simple) == Array("\r\n".utf8))
        #expect(DKIMCanonicalization.body(Array("\r\n\r\n".utf8)[...], .relaxed) == [])
        #expect(DKIMCanonicalization.body(Array("no newline".utf8)[...], .simple) == Array("no newline\r\n".utf8))
        #expect(DKIMCanonicalization.body(Array("no newline  ".utf8)[...], .relaxed) == Array("no newline\r\n".utf8))
    }
}
