import Testing
@testable import Frontends

@Suite struct SASLExchangeTests {
    typealias Step = SASLExchange.Step

    static func b64(_ text: String) -> String { Base64.encode(Array(text.utf8)) }
    static func plain(_ authzid: String, _ authcid: String, _ password: String) -> String {
        b64("\(authzid)\u{0}\(authcid)\u{0}\(password)")
    }
    static func credentials(_ mechanism: SASLExchange.Mechanism, _ user: String, _ password: String, authzid: String? = nil) -> Step {
        .credentials(.init(mechanism: mechanism, authenticationID: user, password: password, authorizationID: authzid))
    }

    @Test func plainWithInitialResponse() throws {
        var exchange = try SASLExchange(mechanism: "PLAIN")
        #expect(exchange.start(initialResponse: Self.plain("", "demo@roost.test", "secret")) == Self.credentials(.plain, "demo@roost.test", "secret"))
    }

    @Test func plainWithoutInitialResponseSendsEmptyChallenge() throws {
        var exchange = try SASLExchange(mechanism: "plain")
        #expect(exchange.start(initialResponse: nil) == .challenge(""))
        #expect(exchange.respond(Self.plain("", "u", "p")) == Self.credentials(.plain, "u", "p"))
        #expect(exchange.respond(Self.plain("", "u", "p")) == .failure(.outOfSequence))
    }

    /// RFC 4616 §2 with the authorization identity: allowed only when it names the same user.
    @Test(arguments: [
        ("demo@roost.test", "demo@roost.test", true),
        ("Demo@Roost.Test", "demo@roost.test", true),
        ("other@roost.test", "demo@roost.test", false),
        ("admin", "demo@roost.test", false),
    ])
    func authorizationIdentity(authzid: String, authcid: String, allowed: Bool) throws {
        var exchange = SASLExchange(mechanism: .plain)
        let step = exchange.start(initialResponse: Self.plain(authzid, authcid, "pw"))
        #expect(step == (allowed ? Self.credentials(.plain, authcid, "pw", authzid: authzid) : .failure(.authorizationDenied)))
    }

    @Test(arguments: [
        ("=", SASLExchange.Failure.malformedResponse),          // empty initial response
        ("dXNlcg", .invalidBase64),                             // unpadded
        ("dXNl cg==", .invalidBase64),                          // space
        ("!!!!", .invalidBase64),
        ("dXNlcg=x", .invalidBase64),                           // padding in the middle
        ("dXNlcg==", .malformedResponse),                       // "user": no NULs
        ("AHUA", .malformedResponse),                           // "\0u\0": empty password
        ("AAB4", .malformedResponse),                           // "\0\0x": empty authcid
        ("AHUAcAB4", .malformedResponse),                       // three NULs: NUL in the password
        ("AHUA/w==", .malformedResponse),                       // password 0xFF: not UTF-8
    ])
    func plainRejects(response: String, failure: SASLExchange.Failure) {
        var exchange = SASLExchange(mechanism: .plain)
        #expect(exchange.start(initialResponse: response) == .failure(failure), "\(response)")
    }

    @Test func cancelWithStar() {
        var exchange = SASLExchange(mechanism: .plain)
        #expect(exchange.start(initialResponse: nil) == .challenge(""))
        #expect(exchange.respond("*") == .failure(.cancelled))
        var login = SASLExchange(mechanism: .login)
        _ = login.start(initialResponse: nil)
        #expect(login.respond(Self.b64("user")) == .challenge(Self.b64("Password:")))
        #expect(login.respond("*") == .failure(.cancelled))
    }

    @Test func loginWithoutInitialResponse() {
        var exchange = SASLExchange(mechanism: .login)
        #expect(exchange.start(initialResponse: nil) == .challenge("VXNlcm5hbWU6"))
        #expect(exchange.respond(Self.b64("demo@roost.test")) == .challenge("UGFzc3dvcmQ6"))
        #expect(exchange.respond(Self.b64("sécret")) == Self.credentials(.login, "demo@roost.test", "sécret"))
    }

    @Test func loginWithInitialResponse() {
        var exchange = SASLExchange(mechanism: .login)
        #expect(exchange.start(initialResponse: Self.b64("demo")) == .challenge("UGFzc3dvcmQ6"))
        #expect(exchange.respond(Self.b64("pw")) == Self.credentials(.login, "demo", "pw"))
    }

    @Test func loginRejectsEmptyAndBadInput() {
        var empty = SASLExchange(mechanism: .login)
        #expect(empty.start(initialResponse: "=") == .failure(.malformedResponse))
        var bad = SASLExchange(mechanism: .login)
        _ = bad.start(initialResponse: nil)
        #expect(bad.respond("not base64") == .failure(.invalidBase64))
        var nul = SASLExchange(mechanism: .login)
        _ = nul.start(initialResponse: nil)
        #expect(nul.respond("dQB4") == .failure(.malformedResponse))  // "u\0x"
    }

    @Test func unknownMechanism() {
        #expect(throws: SASLExchange.Failure.unsupportedMechanism) { try SASLExchange(mechanism: "CRAM-MD5") }
        #expect(throws: SASLExchange.Failure.unsupportedMechanism) { try SASLExchange(mechanism: "") }
        #expect((try? SASLExchange(mechanism: "Login"))?.mechanism == .login)
    }

    @Test func boundedSizes() {
        var long = SASLExchange(mechanism: .plain)
        _ = long.start(initialResponse: nil)
        #expect(long.respond(String(repeating: "A", count: SASLExchange.maximumResponseLength + 4)) == .failure(.responseTooLong))
        var field = SASLExchange(mechanism: .plain)
        let password = String(repeating: "p", count: SASLExchange.maximumFieldLength + 1)
        #expect(field.start(initialResponse: Self.plain("", "u", password)) == .failure(.malformedResponse))
        var fits = SASLExchange(mechanism: .plain)
        let maximal = String(repeating: "p", count: SASLExchange.maximumFieldLength)
        #expect(fits.start(initialResponse: Self.plain("", "u", maximal)) == Self.credentials(.plain, "u", maximal))
    }

    @Test func credentialsNeverPrintThePassword() {
        let credentials = SASLExchange.Credentials(mechanism: .plain, authenticationID: "demo", password: "hunter2", authorizationID: nil)
        #expect(!"\(credentials)".contains("hunter2"))
    }

    /// RFC 4648 §10 test vectors, and decode(encode(x)) == x.
    @Test func base64() {
        let vectors = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=", "foobar": "Zm9vYmFy"]
        for (plain, encoded) in vectors {
            #expect(Base64.encode(Array(plain.utf8)) == encoded)
            #expect(Base64.decode(encoded) == Array(plain.utf8))
        }
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 37 + 11) }
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
        }
        for bad in ["Zg=", "Zg", "Z===", "Zh==", "Zm9=", "====", "Zg==Zg=="] {
            #expect(Base64.decode(bad) == nil, "\(bad)")
        }
    }
}
