import Journal
import MailMessage
import Testing
@testable import Pipeline

@Suite struct AuthenticationResultsTests {
    @Test func buildsTheFieldFromRecordedDecisions() {
        let dkim = DKIMStage.decision([
            DKIMResult(status: .pass, domain: "example.com", selector: "s1", algorithm: "rsa-sha256", identity: "@example.com", signaturePrefix: "abcdefgh"),
            DKIMResult(status: .fail, reason: "body hash mismatch", domain: "lists.example", selector: "k", algorithm: "ed25519-sha256",
                       identity: "@lists.example", signaturePrefix: "Zz+/Zz+/"),
        ])
        var dmarc = DMARCResult(status: .pass, fromDomain: "example.com")
        dmarc.policy = .reject
        let decisions = [StageDecision(stage: "spf", result: "softfail"), dkim, DMARCStage.decision(dmarc),
                         StageDecision(stage: "rdns", result: "pass")]
        let field = String(decoding: AuthenticationResults.field(authservID: "mx.roost.test", decisions: decisions,
                                                                 mailFrom: "bounce@example.com", helo: "out.example.com"), as: UTF8.self)
        #expect(field == """
            Authentication-Results: mx.roost.test;\r
            \tspf=softfail smtp.mailfrom=bounce@example.com;\r
            \tdkim=pass header.d=example.com header.i=@example.com header.s=s1 header.a=rsa-sha256 header.b="abcdefgh";\r
            \tdkim=fail reason="body hash mismatch" header.d=lists.example header.i=@lists.example header.s=k header.a=ed25519-sha256 header.b="Zz+/Zz+/";\r
            \tdmarc=pass (p=reject dis=none) header.from=example.com\r

            """)
        // What we write is read back as ours.
        let parsed = Message(bytes: Array((field + "\r\nbody\r\n").utf8))
        #expect(AuthenticationResults.forgedFields(in: parsed, authservID: "MX.roost.test").count == 1)
    }

    @Test func nothingCheckedIsNone() {
        let none = AuthenticationResults.field(authservID: "mx.roost.test", decisions: [StageDecision(stage: "spf", result: "skipped")],
                                               mailFrom: "", helo: "h")
        #expect(String(decoding: none, as: UTF8.self) == "Authentication-Results: mx.roost.test; none\r\n")
        let helo = AuthenticationResults.field(authservID: "mx", decisions: [StageDecision(stage: "spf", result: "pass"), DKIMStage.decision([])],
                                               mailFrom: "", helo: "out.example.com")
        #expect(String(decoding: helo, as: UTF8.self) == "Authentication-Results: mx;\r\n\tspf=pass smtp.helo=out.example.com;\r\n\tdkim=none\r\n")
    }

    @Test func valuesCannotBreakOutOfTheField() {
        let dkim = DKIMStage.decision([DKIMResult(status: .permerror, reason: "bad \"x\"\r\nInjected: yes", domain: "a;b")])
        let text = String(decoding: AuthenticationResults.field(authservID: "mx", decisions: [dkim], mailFrom: "x@y\r\nz", helo: ""), as: UTF8.self)
        #expect(!text.contains("\r\nInjected"))
        #expect(text.contains("reason=\"bad \\\"x\\\"??Injected: yes\""))
        #expect(text.contains("header.d=a_b"))
    }

    @Test(arguments: [
        ("mx.roost.test; spf=pass", "mx.roost.test"),
        (" (comment (nested)) \"mx.roost.test\" 1; none", "mx.roost.test"),
        ("\r\n\tMX.Roost.Test;dkim=pass", "MX.Roost.Test"),
        ("mx.roost.test(c); none", "mx.roost.test"),
    ])
    func readsTheAuthservID(_ value: String, _ id: String) {
        #expect(AuthenticationResults.authservID(of: Array(value.utf8)) == id)
    }

    @Test(arguments: ["", "   ", "(unclosed", ";none", "\"unterminated", String(repeating: "(", count: 20) + "x" + String(repeating: ")", count: 20)])
    func refusesUnreadableAuthservIDs(_ value: String) {
        #expect(AuthenticationResults.authservID(of: Array(value.utf8)) == nil)
    }

    @Test func renamesOnlyForgedFields() throws {
        let message = Array("""
            Authentication-Results: mx.roost.test; dkim=pass header.d=bank.example\r
            Authentication-Results: mx.other.example; spf=pass\r
            authentication-results : (x) MX.ROOST.TEST;\r
             dmarc=pass\r
            Subject: hi\r
            \r
            Authentication-Results: mx.roost.test; body text is not a field\r

            """.utf8)
        let renamed = try #require(AuthenticationResults.renamingForged(message, authservID: "mx.roost.test"))
        let text = String(decoding: renamed, as: UTF8.self)
        #expect(text.hasPrefix("X-Roost-Untrusted-Authentication-Results: mx.roost.test; dkim=pass"))
        #expect(text.contains("\r\nAuthentication-Results: mx.other.example; spf=pass\r\n"))
        #expect(text.contains("\r\nX-Roost-Untrusted-Authentication-Results : (x) MX.ROOST.TEST;\r\n dmarc=pass"))
        #expect(text.hasSuffix("\r\n\r\nAuthentication-Results: mx.roost.test; body text is not a field\r\n"))
        #expect(AuthenticationResults.forgedFields(in: Message(bytes: renamed), authservID: "mx.roost.test").isEmpty)
        #expect(AuthenticationResults.renamingForged(Array("Subject: x\r\n\r\n".utf8), authservID: "mx.roost.test") == nil)
    }

    /// The quick look that saves parsing: it must find every field the parser would.
    @Test func prefilterFindsFieldsAnywhereInTheHeaderOnly() {
        func may(_ text: String) -> Bool { AuthenticationResults.mayHaveField(Array(text.utf8)) }
        #expect(may("AUTHENTICATION-RESULTS: x; none\r\n\r\n"))
        #expect(may("Subject: a\r\nauthentication-results : x; none\r\n\r\nbody"))
        #expect(may("Subject: a\nAuthentication-Results: x; none\n\nbody"))
        #expect(may("Subject: a\r\nAuthentication-Results: x"))
        #expect(!may("Subject: a\r\n\r\nAuthentication-Results: mx.roost.test; none\r\n"))
        #expect(!may("Subject: a\n\nAuthentication-Results: mx.roost.test; none\n"))
        #expect(!may("Subject: Authentication-Results\r\n X-Authentication-Results: y\r\n\r\n"))
        #expect(!may("Authentication-Result: short\r\n"))
        #expect(!may(""))
        // Where the quick look says no, the parser agrees.
        for text in ["Subject: a\r\n\r\nAuthentication-Results: mx.roost.test; none\r\n", "Authentication-Result: mx.roost.test\r\n\r\n"] {
            #expect(AuthenticationResults.forgedFields(in: Message(bytes: Array(text.utf8)), authservID: "mx.roost.test").isEmpty)
        }
    }
}
