public import Journal

/// The exclusive POP3 maildrop lock per user (RFC 1939 §8: "the POP3 server then acquires an
/// exclusive-access lock on the maildrop"). One per `roost serve` process, shared by the POP3
/// listeners (110 and 995). A session acquires it when it authenticates and releases it on QUIT,
/// disconnect, timeout or error; a second session for the user gets `-ERR [IN-USE]`
/// (RFC 2449 §8.1.2).
public actor MaildropLocks {
    /// Proof of holding one user's lock; releasing a lease that is no longer current is a no-op.
    public struct Lease: Sendable, Hashable {
        public let user: UserID
        let token: UInt64
    }

    private var held: [UserID: UInt64] = [:]
    private var nextToken: UInt64 = 0

    public init() {}

    /// The lease, or nil when another session holds the user's maildrop.
    public func acquire(_ user: UserID) -> Lease? {
        guard held[user] == nil else { return nil }
        nextToken += 1
        held[user] = nextToken
        return Lease(user: user, token: nextToken)
    }

    public func release(_ lease: Lease) {
        if held[lease.user] == lease.token { held[lease.user] = nil }
    }

    public func isLocked(_ user: UserID) -> Bool { held[user] != nil }
}
