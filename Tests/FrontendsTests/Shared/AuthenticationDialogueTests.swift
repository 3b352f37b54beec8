import Logging
import Testing
@testable import Frontends
import SharedTestProtocol

/// SASL through the toy protocol over real sockets (RFC 4954-style replies).
@Suite struct AuthenticationDialogueTests {
    static func b64(_ text: String) -> String { Base64.encode(Array(text.utf8)) }
    static let plain = b64("\u{0}demo@roost.test\u{0}secret")

    /// A TLS client that has done EHLO and STARTTLS.
    static func tlsClient(_ server: ToyServer, source: String? = nil) async throws -> TestClient {
        let client = try await TestClient(port: server.port, source: source)
        _ = try await client.readReply()
        #expect(try await client.command("STARTTLS") == "220 2.0.0 Ready to start TLS")
        try await client.startTLS()
        return client
    }

    @Test func plaintextAuthIsRefusedOutsideTheDevProfile() async throws {
        try await ToyServer.run(tls: .startTLS) { server in
            let client = try await TestClient(port: server.port)
            _ = try await client.readReply()
            #expect(try await client.command("AUTH PLAIN \(Self.plain)") == "538 5.7.11 Encryption required for requested authentication mechanism")
            #expect(try await client.command("WHOAMI") == "250 anonymous plaintext")
        }
    }

    @Test func plaintextAuthInTheDevProfile() async throws {
        try await ToyServer.run(tls: .none, policy: .init(allowPlaintextWithoutTLS: true)) { server in
            let client = try await TestClient(port: server.port)
            _ = try await client.readReply()
            #expect(try await client.command("AUTH PLAIN \(Self.plain)") == "235 2.7.0 Authentication successful")
        }
    }

    @Test func plainWithAndWithoutInitialResponse() async throws {
        try await ToyServer.run { server in
            let client = try await Self.tlsClient(server)
            #expect(try await client.command("AUTH PLAIN \(Self.plain)") == "235 2.7.0 Authentication successful")
            #expect(try await client.command("WHOAMI") == "250 demo@roost.test TLSv1.3")

            let second = try await Self.tlsClient(server)
            #expect(try await second.command("AUTH PLAIN") == "334 ")
            #expect(try await second.command(Self.plain) == "235 2.7.0 Authentication successful")
        }
    }

    @Test func loginWithAndWithoutInitialResponse() async throws {
        try await ToyServer.run { server in
            let client = try await Self.tlsClient(server)
            #expect(try await client.command("AUTH LOGIN") == "334 VXNlcm5hbWU6")
            #expect(try await client.command(Self.b64("demo@roost.test")) == "334 UGFzc3dvcmQ6")
            #expect(try await client.command(Self.b64("secret")) == "235 2.7.0 Authentication successful")

            let second = try await Self.tlsClient(server)
            #expect(try await second.command("AUTH LOGIN \(Self.b64("demo@roost.test"))") == "334 UGFzc3dvcmQ6")
            #expect(try await second.command(Self.b64("wrong")) == "535 5.7.8 Authentication credentials invalid")
        }
    }

    @Test func badBase64CancelAndAuthorizationIdentity() async throws {
        try await ToyServer.run { server in
            let client = try await Self.tlsClient(server)
            #expect(try await client.command("AUTH PLAIN not-base64!") == "501 5.5.2 Cannot decode response")
            #expect(try await client.command("AUTH PLAIN") == "334 ")
            #expect(try await client.command("*") == "501 5.0.0 Authentication cancelled")
            #expect(try await client.command("AUTH LOGIN") == "334 VXNlcm5hbWU6")
            #expect(try await client.command("*") == "501 5.0.0 Authentication cancelled")
            let asOther = Self.b64("postmaster@roost.test\u{0}demo@roost.test\u{0}secret")
            #expect(try await client.command("AUTH PLAIN \(asOther)") == "535 5.7.8 Authorization identity not allowed")
            let asSelf = Self.b64("demo@roost.test\u{0}demo@roost.test\u{0}secret")
            #expect(try await client.command("AUTH PLAIN \(asSelf)") == "235 2.7.0 Authentication successful")
            #expect(try await client.command("AUTH CRAM-MD5") == "504 5.5.4 Unrecognized authentication type")
        }
    }

    /// The issue's test: repeated failures from one address are slowed and then refused, while
    /// another address still logs in.
    @Test func bruteForceFromOneAddress() async throws {
        let throttle = AuthenticationThrottle(
            configuration: .init(freeFailures: 2, baseDelay: .milliseconds(150), maximumDelay: .milliseconds(300),
                                 clientFailureLimit: 5, cooldown: .seconds(60), accountMaximumDelay: .milliseconds(300)),
            logger: Logger(label: "test"))
        try await ToyServer.run(throttle: throttle) { server in
            let attacker = try await Self.tlsClient(server, source: "127.0.0.2")
            let wrong = Self.b64("\u{0}demo@roost.test\u{0}guess")
            var durations: [Duration] = []
            for _ in 0..<5 {
                let start = ContinuousClock.now
                #expect(try await attacker.command("AUTH PLAIN \(wrong)") == "535 5.7.8 Authentication credentials invalid")
                durations.append(ContinuousClock.now - start)
            }
            #expect(durations[3] >= .milliseconds(150), "slowed after the free failures: \(durations)")
            #expect(durations[4] >= .milliseconds(300))
            // Refused now, even with the right password.
            #expect(try await attacker.command("AUTH PLAIN \(Self.plain)") == "454 4.7.0 Too many failures, try again later")
            #expect(try await attacker.command("WHOAMI") == "250 anonymous TLSv1.3")

            let owner = try await Self.tlsClient(server, source: "127.0.0.3")
            #expect(try await owner.command("AUTH PLAIN \(Self.plain)") == "235 2.7.0 Authentication successful")
        }
    }
}
