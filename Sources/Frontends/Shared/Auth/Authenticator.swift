public import Logging
public import NIOPosix
public import Projections

/// An account's stored password hash, as the authenticator needs it.
public struct StoredCredential: Sendable, Hashable {
    /// The canonical account name (the address, lowercased) the session logs in as.
    public var account: String
    /// A crypt(3) hash (`PasswordHash`).
    public var passwordHash: String
    public init(account: String, passwordHash: String) {
        self.account = account
        self.passwordHash = passwordHash
    }
}

/// Why an authentication failed, as metrics and logs label it.
public enum AuthenticationFailureReason: String, Sendable, Hashable {
    case invalidCredentials = "invalid_credentials"
    case throttled
    case malformed
    case cancelled
    case authorizationDenied = "authorization_denied"
    case unsupportedMechanism = "unsupported_mechanism"
    /// Authentication attempted without TLS where that is not allowed.
    case plaintextRefused = "plaintext_refused"
    /// The account store failed (internal error).
    case unavailable

    public init(_ failure: SASLExchange.Failure) {
        switch failure {
        case .unsupportedMechanism: self = .unsupportedMechanism
        case .invalidBase64, .malformedResponse, .responseTooLong, .outOfSequence: self = .malformed
        case .cancelled: self = .cancelled
        case .authorizationDenied: self = .authorizationDenied
        }
    }
}

/// Policy every front-end consults before it offers or accepts a password.
public struct AuthenticationPolicy: Sendable, Hashable {
    /// Whether AUTH/LOGIN/USER may be used on a connection without TLS. Only the development
    /// profile (loopback only) sets it; otherwise each protocol refuses with its own code
    /// (SMTP 538 5.7.11 / 530 5.7.0, IMAP `NO [PRIVACYREQUIRED]` and LOGINDISABLED, POP3 `-ERR`).
    public var allowPlaintextWithoutTLS: Bool
    public init(allowPlaintextWithoutTLS: Bool = false) {
        self.allowPlaintextWithoutTLS = allowPlaintextWithoutTLS
    }

    /// Whether a password may be accepted on this connection now.
    public func permitsAuthentication(isTLS: Bool) -> Bool {
        isTLS || allowPlaintextWithoutTLS
    }
}

/// Verifies user names and passwords for every front-end: applies the brute-force throttle,
/// looks the account up and checks the crypt(3) hash on a thread pool (never an event loop;
/// both block), and records the outcome in the throttle, the metrics and the log (never the
/// password). Unknown accounts cost the same hash computation as known ones, so timing does
/// not tell which accounts exist.
public final class Authenticator: Sendable {
    public typealias Lookup = @Sendable (_ account: String) throws -> StoredCredential?

    public enum Result: Sendable, Hashable {
        /// Logged in as `account` (canonical name from the store).
        case success(account: String)
        /// Wrong user name or password (SMTP 535 5.7.8, IMAP `NO [AUTHENTICATIONFAILED]`,
        /// POP3 `-ERR [AUTH]`).
        case failure
        /// Too many failures from this client: try again later (SMTP 454 4.7.0, IMAP
        /// `NO [UNAVAILABLE]`, POP3 `-ERR [IN-USE]`-style temporary error). No password was checked.
        case refused(retryAfter: Duration)
        /// The account store failed; answer with a temporary failure.
        case unavailable
    }

    public let policy: AuthenticationPolicy
    public let throttle: AuthenticationThrottle
    private let lookup: Lookup
    private let threadPool: NIOThreadPool
    private let metrics: RoostMetrics?
    private let logger: Logger

    public init(
        lookup: @escaping Lookup,
        throttle: AuthenticationThrottle,
        policy: AuthenticationPolicy = .init(),
        threadPool: NIOThreadPool = .singleton,
        metrics: RoostMetrics? = nil,
        logger: Logger
    ) {
        self.lookup = lookup
        self.throttle = throttle
        self.policy = policy
        self.threadPool = threadPool
        self.metrics = metrics
        self.logger = logger
    }

    /// Accounts from the projection store (`ProjectionStore.user(address:)`).
    public static func lookup(in store: ProjectionStore) -> Lookup {
        { account in
            try store.user(address: account).map { StoredCredential(account: $0.address, passwordHash: $0.passwordHash) }
        }
    }

    /// Verifies what a SASL exchange produced.
    public func authenticate(_ credentials: SASLExchange.Credentials, client: ClientKey, protocol name: String) async -> Result {
        await authenticate(username: credentials.authenticationID, password: credentials.password, client: client, protocol: name)
    }

    /// Verifies a user name and password (IMAP LOGIN, POP3 USER/PASS, and SASL through the
    /// other overload).
    public func authenticate(username: String, password: String, client: ClientKey, protocol name: String) async -> Result {
        switch await throttle.check(client: client, account: username) {
        case .refuse(let retryAfter):
            metrics?.authenticationFailed(protocol: name, reason: .throttled)
            logger.notice("authentication refused: too many failures", metadata: [
                "protocol": "\(name)", "client": "\(client)", "account": "\(username)", "retryAfter": "\(retryAfter)",
            ])
            return .refused(retryAfter: retryAfter)
        case .proceed(let delay):
            if delay > .zero {
                logger.info("authentication delayed after earlier failures", metadata: [
                    "protocol": "\(name)", "client": "\(client)", "account": "\(username)", "delay": "\(delay)",
                ])
                try? await Task.sleep(for: delay)
            }
        }
        let lookup = self.lookup
        let verified: String?
        do {
            verified = try await threadPool.runIfActive { () throws -> String? in
                let stored = try lookup(username)
                // The same work whether or not the account exists.
                let hash = stored?.passwordHash ?? Self.unknownAccountHash
                let matches = PasswordHash.verify(password, against: hash)
                return matches ? stored?.account : nil
            }
        } catch {
            metrics?.authenticationFailed(protocol: name, reason: .unavailable)
            logger.error("authentication: account lookup failed", metadata: ["protocol": "\(name)", "account": "\(username)", "error": "\(error)"])
            return .unavailable
        }
        if let account = verified {
            await throttle.recordSuccess(client: client, account: username)
            metrics?.authenticationSucceeded(protocol: name)
            logger.info("authenticated", metadata: ["protocol": "\(name)", "client": "\(client)", "account": "\(account)"])
            return .success(account: account)
        }
        await throttle.recordFailure(client: client, account: username)
        metrics?.authenticationFailed(protocol: name, reason: .invalidCredentials)
        logger.notice("authentication failed", metadata: ["protocol": "\(name)", "client": "\(client)", "account": "\(username)"])
        return .failure
    }

    /// Counts an exchange that failed before any password was checked (cancelled, malformed,
    /// wrong authorization identity, plaintext refused).
    public func recordFailure(_ reason: AuthenticationFailureReason, client: ClientKey, protocol name: String) {
        metrics?.authenticationFailed(protocol: name, reason: reason)
        logger.info("authentication exchange failed", metadata: ["protocol": "\(name)", "client": "\(client)", "reason": "\(reason.rawValue)"])
    }

    /// A yescrypt hash of a random password nobody knows, verified against for unknown accounts.
    private static let unknownAccountHash: String = {
        var random = SystemRandomNumberGenerator()
        let secret = (0..<4).map { _ in String(random.next(), radix: 36) }.joined()
        // make only fails when libcrypt cannot hash at all, and then no login succeeds anyway.
        return (try? PasswordHash.make(secret)) ?? "*"
    }()
}
