import Logging
import Synchronization
import Testing
@testable import Frontends

/// A clock tests move by hand.
final class ManualClock: Sendable {
    private let time = Mutex<Duration>(.zero)
    func advance(_ by: Duration) { time.withLock { $0 += by } }
    var throttleClock: AuthenticationThrottle.Clock { .init { self.time.withLock { $0 } } }
}

@Suite struct AuthenticationThrottleTests {
    static let attacker = ClientKey(ipAddress: "192.0.2.66")!
    static let owner = ClientKey(ipAddress: "198.51.100.7")!
    static let config = AuthenticationThrottle.Configuration(
        window: .seconds(600), freeFailures: 2, baseDelay: .seconds(1), maximumDelay: .seconds(8),
        clientFailureLimit: 8, cooldown: .seconds(300), accountFreeFailures: 3, accountMaximumDelay: .seconds(2)
    )

    func make() -> (AuthenticationThrottle, ManualClock) {
        let clock = ManualClock()
        return (AuthenticationThrottle(configuration: Self.config, clock: clock.throttleClock, logger: Logger(label: "test")), clock)
    }

    @Test func delaysGrowThenTheClientIsRefused() async {
        let (throttle, _) = make()
        var decisions: [AuthenticationThrottle.Decision] = []
        for attempt in 0..<9 {
            decisions.append(await throttle.check(client: Self.attacker, account: "user\(attempt)@roost.test"))
            await throttle.recordFailure(client: Self.attacker, account: "user\(attempt)@roost.test")
        }
        let seconds: [Int64] = [0, 0, 0, 1, 2, 4, 8, 8]
        #expect(decisions.prefix(8) == seconds.map { .proceed(delay: .seconds($0)) }[...])
        #expect(decisions[8] == .refuse(retryAfter: .seconds(300)))
    }

    @Test func cooldownEndsAndWindowForgets() async {
        let (throttle, clock) = make()
        for _ in 0..<8 { await throttle.recordFailure(client: Self.attacker, account: "demo") }
        #expect(await throttle.check(client: Self.attacker, account: "demo") == .refuse(retryAfter: .seconds(300)))
        clock.advance(.seconds(100))
        #expect(await throttle.check(client: Self.attacker, account: "demo") == .refuse(retryAfter: .seconds(200)))
        clock.advance(.seconds(200))
        // Cooldown over; the failures are still within the 600 s window, so the delay is high.
        #expect(await throttle.check(client: Self.attacker, account: "x") == .proceed(delay: .seconds(8)))
        clock.advance(.seconds(601))
        #expect(await throttle.check(client: Self.attacker, account: "demo") == .proceed(delay: .zero))
        #expect(await throttle.failureCounts(client: Self.attacker, account: "demo") == (0, 0))
    }

    /// The requirement: an attack on an account from one address never locks the owner
    /// out from another; the account delay is capped and trusted pairs skip it.
    @Test func attackerNeverLocksOutTheOwner() async {
        let (throttle, _) = make()
        await throttle.recordSuccess(client: Self.owner, account: "demo@roost.test")
        for _ in 0..<50 {
            await throttle.recordFailure(client: Self.attacker, account: "demo@roost.test")
        }
        #expect(await throttle.check(client: Self.attacker, account: "demo@roost.test") == .refuse(retryAfter: .seconds(300)))
        #expect(await throttle.check(client: Self.owner, account: "DEMO@roost.test") == .proceed(delay: .zero))
        // A new address of the owner's, never seen: slowed by the account cap, not refused.
        let elsewhere = ClientKey(ipAddress: "203.0.113.9")!
        #expect(await throttle.check(client: elsewhere, account: "demo@roost.test") == .proceed(delay: .seconds(2)))
    }

    @Test func successClearsThatClientsFailuresOnThatAccount() async {
        let (throttle, _) = make()
        for _ in 0..<4 { await throttle.recordFailure(client: Self.owner, account: "demo") }
        await throttle.recordFailure(client: Self.owner, account: "other")
        #expect(await throttle.failureCounts(client: Self.owner, account: "demo") == (5, 4))
        await throttle.recordSuccess(client: Self.owner, account: "Demo")
        #expect(await throttle.failureCounts(client: Self.owner, account: "demo") == (1, 0))
    }

    @Test func ipv6CountsPerSlash64() async {
        let (throttle, _) = make()
        for i in 0..<8 {
            await throttle.recordFailure(client: ClientKey(ipAddress: "2001:db8:1:2::\(i + 1)")!, account: "demo")
        }
        #expect(await throttle.check(client: ClientKey(ipAddress: "2001:db8:1:2:ffff::1")!, account: "x") == .refuse(retryAfter: .seconds(300)))
        #expect(await throttle.check(client: ClientKey(ipAddress: "2001:db8:1:3::1")!, account: "x") == .proceed(delay: .zero))
    }

    @Test func clientKeys() {
        #expect(ClientKey(ipAddress: "192.0.2.1")?.description == "192.0.2.1")
        #expect(ClientKey(ipAddress: "2001:db8:a:b:c:d:e:f")?.description == "2001:db8:a:b::/64")
        #expect(ClientKey(ipAddress: "::ffff:192.0.2.1")?.description == "192.0.2.1")
        #expect(ClientKey(ipAddress: "not an address") == nil)
        #expect(ClientKey(nil).description == "unknown")
    }

    @Test func memoryIsBounded() async {
        var config = Self.config
        config.maximumTrackedKeys = 100
        let clock = ManualClock()
        let throttle = AuthenticationThrottle(configuration: config, clock: clock.throttleClock, logger: Logger(label: "test"))
        for i in 0..<1000 {
            clock.advance(.milliseconds(1))
            await throttle.recordFailure(client: ClientKey(ipAddress: "10.0.\(i / 256).\(i % 256)")!, account: "user\(i)")
        }
        // The most recent are kept, the oldest dropped.
        #expect(await throttle.failureCounts(client: ClientKey(ipAddress: "10.0.3.231")!, account: "user999") == (1, 1))
        #expect(await throttle.failureCounts(client: ClientKey(ipAddress: "10.0.0.0")!, account: "user0") == (0, 0))
    }
}
