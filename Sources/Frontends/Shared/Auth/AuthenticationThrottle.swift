public import Logging
import Synchronization

/// Brute-force protection for every front-end that verifies passwords. Failures are counted
/// in a sliding window per client address (`ClientKey`: IPv4 address or IPv6 /64) and per
/// account name:
/// - a client's first `freeFailures` failures cost nothing, then each attempt waits
///   `baseDelay`, doubling per failure up to `maximumDelay`; after `clientFailureLimit` failures
///   the client is refused outright for `cooldown` (no password is even checked);
/// - an account's failures (from any client) also delay attempts on that account, up to
///   `accountMaximumDelay`, but never refuse: one attacking address can slow an account down a
///   little and never lock its owner out from elsewhere. A client that logged in to the
///   account successfully within `trustDuration` skips the account delay altogether.
/// A success clears the failures that client had for that account.
public actor AuthenticationThrottle {
    public struct Configuration: Sendable, Hashable {
        /// Failures older than this are forgotten.
        public var window: Duration
        public var freeFailures: Int
        public var baseDelay: Duration
        public var maximumDelay: Duration
        /// Failures within the window after which a client is refused.
        public var clientFailureLimit: Int
        public var cooldown: Duration
        public var accountFreeFailures: Int
        public var accountMaximumDelay: Duration
        public var trustDuration: Duration
        /// Bound on remembered clients and accounts; the oldest are dropped past it.
        public var maximumTrackedKeys: Int

        public init(
            window: Duration = .seconds(15 * 60),
            freeFailures: Int = 2,
            baseDelay: Duration = .seconds(1),
            maximumDelay: Duration = .seconds(16),
            clientFailureLimit: Int = 10,
            cooldown: Duration = .seconds(15 * 60),
            accountFreeFailures: Int = 5,
            accountMaximumDelay: Duration = .seconds(4),
            trustDuration: Duration = .seconds(30 * 24 * 3600),
            maximumTrackedKeys: Int = 50_000
        ) {
            self.window = window
            self.freeFailures = freeFailures
            self.baseDelay = baseDelay
            self.maximumDelay = maximumDelay
            self.clientFailureLimit = clientFailureLimit
            self.cooldown = cooldown
            self.accountFreeFailures = accountFreeFailures
            self.accountMaximumDelay = accountMaximumDelay
            self.trustDuration = trustDuration
            self.maximumTrackedKeys = maximumTrackedKeys
        }
    }

    public enum Decision: Sendable, Hashable {
        /// Go ahead after waiting `delay` (zero for a clean client).
        case proceed(delay: Duration)
        /// Do not check the password; tell the client to come back later.
        case refuse(retryAfter: Duration)
    }

    /// Monotonic time, injectable for tests.
    public struct Clock: Sendable {
        public var now: @Sendable () -> Duration
        public init(now: @escaping @Sendable () -> Duration) { self.now = now }
        public static var continuous: Clock {
            let clock = ContinuousClock()
            let origin = clock.now
            return Clock { clock.now - origin }
        }
    }

    private struct Failure {
        var time: Duration
        var client: ClientKey
        var account: String
    }

    private struct Pair: Hashable {
        var client: ClientKey
        var account: String
    }

    public let configuration: Configuration
    private let clock: Clock
    private let logger: Logger
    private var clientFailures: [ClientKey: [Failure]] = [:]
    private var accountFailures: [String: [Failure]] = [:]
    private var refusedUntil: [ClientKey: Duration] = [:]
    private var trusted: [Pair: Duration] = [:]

    public init(configuration: Configuration = .init(), clock: Clock = .continuous, logger: Logger) {
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
    }

    /// What to do with an attempt by `client` on `account` (the name as the client typed it).
    public func check(client: ClientKey, account: String) -> Decision {
        let now = clock.now()
        let account = account.lowercasedASCII
        if let until = refusedUntil[client] {
            if until > now {
                logger.info("authentication refused: client in cooldown", metadata: [
                    "client": "\(client)", "account": "\(account)", "retryAfter": "\(until - now)",
                ])
                return .refuse(retryAfter: until - now)
            }
            refusedUntil[client] = nil
        }
        let clientCount = prune(&clientFailures, client, now: now)
        let clientDelay = delay(failures: clientCount, free: configuration.freeFailures, cap: configuration.maximumDelay)
        var accountDelay = Duration.zero
        if !isTrusted(Pair(client: client, account: account), now: now) {
            let accountCount = prune(&accountFailures, account, now: now)
            accountDelay = delay(failures: accountCount, free: configuration.accountFreeFailures, cap: configuration.accountMaximumDelay)
        }
        return .proceed(delay: max(clientDelay, accountDelay))
    }

    /// Records a failed attempt; starts the client's cooldown when it reaches the limit.
    public func recordFailure(client: ClientKey, account: String) {
        let now = clock.now()
        let account = account.lowercasedASCII
        let failure = Failure(time: now, client: client, account: account)
        clientFailures[client, default: []].append(failure)
        accountFailures[account, default: []].append(failure)
        let count = prune(&clientFailures, client, now: now)
        if count >= configuration.clientFailureLimit, refusedUntil[client] == nil {
            refusedUntil[client] = now + configuration.cooldown
            logger.warning("authentication: too many failures, refusing the client", metadata: [
                "client": "\(client)", "failures": "\(count)", "account": "\(account)",
                "cooldown": "\(configuration.cooldown)",
            ])
        }
        trimIfNeeded(now: now)
    }

    /// Records a successful login: forgets that client's failures on that account and trusts
    /// the pair for `trustDuration`.
    public func recordSuccess(client: ClientKey, account: String) {
        let now = clock.now()
        let account = account.lowercasedASCII
        clientFailures[client]?.removeAll { $0.account == account }
        if clientFailures[client]?.isEmpty == true { clientFailures[client] = nil }
        accountFailures[account]?.removeAll { $0.client == client }
        if accountFailures[account]?.isEmpty == true { accountFailures[account] = nil }
        trusted[Pair(client: client, account: account)] = now
        trimIfNeeded(now: now)
    }

    /// Failures within the window for a client and for an account (for tests and `roost status`).
    public func failureCounts(client: ClientKey, account: String) -> (client: Int, account: Int) {
        let now = clock.now()
        return (prune(&clientFailures, client, now: now), prune(&accountFailures, account.lowercasedASCII, now: now))
    }

    private func delay(failures: Int, free: Int, cap: Duration) -> Duration {
        guard failures > free else { return .zero }
        let doublings = min(failures - free - 1, 30)
        let grown = configuration.baseDelay * (1 << doublings)
        return min(grown, cap)
    }

    private func isTrusted(_ pair: Pair, now: Duration) -> Bool {
        guard let since = trusted[pair] else { return false }
        if now - since > configuration.trustDuration {
            trusted[pair] = nil
            return false
        }
        return true
    }

    /// Drops failures older than the window; returns how many are left.
    private func prune<Key: Hashable>(_ table: inout [Key: [Failure]], _ key: Key, now: Duration) -> Int {
        guard var list = table[key] else { return 0 }
        let horizon = now - configuration.window
        list.removeAll { $0.time <= horizon }
        table[key] = list.isEmpty ? nil : list
        return list.count
    }

    private func trimIfNeeded(now: Duration) {
        let limit = configuration.maximumTrackedKeys
        guard clientFailures.count > limit || accountFailures.count > limit || trusted.count > limit || refusedUntil.count > limit else { return }
        let horizon = now - configuration.window
        clientFailures = clientFailures.compactMapValues { list in
            let kept = list.filter { $0.time > horizon }
            return kept.isEmpty ? nil : kept
        }
        accountFailures = accountFailures.compactMapValues { list in
            let kept = list.filter { $0.time > horizon }
            return kept.isEmpty ? nil : kept
        }
        refusedUntil = refusedUntil.filter { $0.value > now }
        trusted = trusted.filter { now - $0.value <= configuration.trustDuration }
        // Still too many: forget the least recent.
        if clientFailures.count > limit {
            let sorted = clientFailures.sorted { ($0.value.last?.time ?? .zero) < ($1.value.last?.time ?? .zero) }
            for (key, _) in sorted.prefix(clientFailures.count - limit) { clientFailures[key] = nil }
        }
        if accountFailures.count > limit {
            let sorted = accountFailures.sorted { ($0.value.last?.time ?? .zero) < ($1.value.last?.time ?? .zero) }
            for (key, _) in sorted.prefix(accountFailures.count - limit) { accountFailures[key] = nil }
        }
        if trusted.count > limit {
            let sorted = trusted.sorted { $0.value < $1.value }
            for (key, _) in sorted.prefix(trusted.count - limit) { trusted[key] = nil }
        }
    }
}
