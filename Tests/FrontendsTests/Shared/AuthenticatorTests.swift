import Logging
import Testing
@testable import Frontends

@Suite struct AuthenticatorTests {
    static let hash = try! PasswordHash.make("secret")
    static let client = ClientKey(ipAddress: "192.0.2.10")!

    func make(throttle: AuthenticationThrottle? = nil, metrics: RoostMetrics? = nil,
              lookup: Authenticator.Lookup? = nil) -> Authenticator {
        let logger = Logger(label: "test")
        let hash = Self.hash
        return Authenticator(
            lookup: lookup ?? { $0.lowercased() == "demo@roost.test" ? StoredCredential(account: "demo@roost.test", passwordHash: hash) : nil },
            throttle: throttle ?? AuthenticationThrottle(logger: logger), metrics: metrics, logger: logger
        )
    }

    @Test func verifiesAgainstTheStoredHash() async {
        let authenticator = make()
        #expect(await authenticator.authenticate(username: "Demo@roost.test", password: "secret", client: Self.client, protocol: "imap") == .success(account: "demo@roost.test"))
        #expect(await authenticator.authenticate(username: "demo@roost.test", password: "Secret", client: Self.client, protocol: "imap") == .failure)
        #expect(await authenticator.authenticate(username: "nobody@roost.test", password: "secret", client: Self.client, protocol: "imap") == .failure)
    }

    @Test func saslCredentials() async {
        let authenticator = make()
        let credentials = SASLExchange.Credentials(mechanism: .plain, authenticationID: "demo@roost.test", password: "secret", authorizationID: nil)
        #expect(await authenticator.authenticate(credentials, client: Self.client, protocol: "smtp") == .success(account: "demo@roost.test"))
    }

    @Test func lookupErrorsAreTemporaryFailures() async {
        struct StoreDown: Error {}
        let authenticator = make(lookup: { _ in throw StoreDown() })
        #expect(await authenticator.authenticate(username: "demo@roost.test", password: "secret", client: Self.client, protocol: "pop3") == .unavailable)
    }

    @Test func failuresFeedTheThrottleUntilRefused() async {
        let clock = ManualClock()
        let throttle = AuthenticationThrottle(
            configuration: .init(freeFailures: 1, baseDelay: .milliseconds(20), maximumDelay: .milliseconds(40), clientFailureLimit: 3),
            clock: clock.throttleClock, logger: Logger(label: "test"))
        let metrics = RoostMetrics()
        let authenticator = make(throttle: throttle, metrics: metrics)
        for _ in 0..<3 {
            #expect(await authenticator.authenticate(username: "demo@roost.test", password: "wrong", client: Self.client, protocol: "imap") == .failure)
        }
        // Refused even with the right password: nothing is checked during the cooldown.
        guard case .refused = await authenticator.authenticate(username: "demo@roost.test", password: "secret", client: Self.client, protocol: "imap") else {
            Issue.record("not refused")
            return
        }
        // Another address logs in.
        let other = ClientKey(ipAddress: "192.0.2.11")!
        #expect(await authenticator.authenticate(username: "demo@roost.test", password: "secret", client: other, protocol: "imap") == .success(account: "demo@roost.test"))
        let text = String(decoding: metrics.exposition(), as: UTF8.self)
        #expect(text.contains(#"roost_auth_failures_total{protocol="imap",reason="invalid_credentials"} 3"#))
        #expect(text.contains(#"roost_auth_failures_total{protocol="imap",reason="throttled"} 1"#))
        #expect(text.contains(#"roost_auth_successes_total{protocol="imap"} 1"#))
    }

    @Test func delayIsApplied() async {
        let throttle = AuthenticationThrottle(
            configuration: .init(freeFailures: 0, baseDelay: .milliseconds(300), maximumDelay: .milliseconds(300), clientFailureLimit: 100),
            logger: Logger(label: "test"))
        let authenticator = make(throttle: throttle)
        _ = await authenticator.authenticate(username: "demo@roost.test", password: "wrong", client: Self.client, protocol: "imap")
        let start = ContinuousClock.now
        _ = await authenticator.authenticate(username: "demo@roost.test", password: "wrong", client: Self.client, protocol: "imap")
        #expect(ContinuousClock.now - start >= .milliseconds(300))
    }

    @Test func plaintextPolicy() {
        #expect(!AuthenticationPolicy().permitsAuthentication(isTLS: false))
        #expect(AuthenticationPolicy().permitsAuthentication(isTLS: true))
        #expect(AuthenticationPolicy(allowPlaintextWithoutTLS: true).permitsAuthentication(isTLS: false))
    }
}

@Suite struct ConnectionLimiterTests {
    @Test func perClientAndTotal() throws {
        let limiter = ConnectionLimiter(configuration: .init(perClient: 2, total: 3))
        let a = ClientKey(ipAddress: "192.0.2.1")!, b = ClientKey(ipAddress: "192.0.2.2")!
        let t1 = try limiter.acquire(for: a).get()
        let t2 = try limiter.acquire(for: a).get()
        #expect(throws: ConnectionLimiter.Refusal.tooManyFromClient) { try limiter.acquire(for: a).get() }
        let t3 = try limiter.acquire(for: b).get()
        #expect(throws: ConnectionLimiter.Refusal.tooManyInTotal) { try limiter.acquire(for: b).get() }
        t1.release()
        t1.release()  // twice is harmless
        #expect(limiter.current(for: a) == (2, 1))
        _ = try limiter.acquire(for: a).get()  // dropped at once: releases
        #expect(limiter.current(for: a) == (2, 1))
        withExtendedLifetime((t2, t3)) {}
    }

    @Test func droppedTokensRelease() throws {
        let limiter = ConnectionLimiter(configuration: .init(perClient: 1, total: 1))
        let a = ClientKey(ipAddress: "192.0.2.1")!
        do { _ = try limiter.acquire(for: a).get() }
        #expect(limiter.current(for: a) == (0, 0))
        #expect((try? limiter.acquire(for: a).get()) != nil)
    }
}
