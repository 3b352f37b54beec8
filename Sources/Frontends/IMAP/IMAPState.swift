public import Journal

/// The connection states of RFC 9051 §3 and what is known in each. Pure; the handler owns it.
public struct IMAPState: Sendable, Hashable {
    public enum Phase: Sendable, Hashable {
        case notAuthenticated
        case authenticated(user: UserID, account: String)
        case selected(user: UserID, account: String)
        case logout
    }

    public var phase: Phase = .notAuthenticated
    /// TLS is active (implicit TLS, or after STARTTLS).
    public var tlsActive: Bool
    /// STARTTLS may be offered (a STARTTLS listener with a certificate, not yet encrypted).
    public var startTLSAvailable: Bool
    /// Whether a password may be sent without TLS (`AuthenticationPolicy`; the dev profile).
    public var plaintextAllowed: Bool
    /// ENABLE IMAP4rev2 was given (RFC 9051 §6.3.1): UTF-8 quoted strings, ESEARCH.
    public var rev2 = false
    /// A CONDSTORE enabling command was given (RFC 7162 §3.1): untagged FETCH responses carry
    /// UID and MODSEQ from now on (§3.2.4), SELECT reports HIGHESTMODSEQ.
    public var condStore = false
    /// ENABLE QRESYNC was given (RFC 7162 §3.2.3): VANISHED instead of EXPUNGE, QRESYNC SELECT.
    public var qresync = false
    /// ENABLE UTF8=ACCEPT was given (RFC 6855 §3): UTF-8 in quoted strings and mailbox names
    /// (no modified UTF-7), APPEND's UTF8 data item, no SEARCH CHARSET.
    public var utf8Accept = false

    /// Whether this client reads and writes UTF-8 in quoted strings and mailbox names
    /// (IMAP4rev2, RFC 9051 §5.1, or UTF8=ACCEPT, RFC 6855 §3); modified UTF-7 names otherwise.
    public var utf8: Bool { rev2 || utf8Accept }

    public init(tlsActive: Bool, startTLSAvailable: Bool, plaintextAllowed: Bool) {
        self.tlsActive = tlsActive
        self.startTLSAvailable = startTLSAvailable
        self.plaintextAllowed = plaintextAllowed
    }

    public var passwordsPermitted: Bool { tlsActive || plaintextAllowed }

    public var user: UserID? {
        switch phase {
        case .authenticated(let user, _), .selected(let user, _): user
        case .notAuthenticated, .logout: nil
        }
    }

    /// The CAPABILITY list (RFC 9051 §6.1.1) for the current state. STARTTLS only before TLS,
    /// LOGINDISABLED where a password may not be sent (RFC 9051 §6.2.3), AUTH= only then too.
    public var capabilities: [String] {
        var list = ["IMAP4rev1", "IMAP4rev2"]
        if case .notAuthenticated = phase {
            if startTLSAvailable && !tlsActive { list.append("STARTTLS") }
            if passwordsPermitted {
                // Every mechanism AUTHENTICATE accepts (the shared SASL layer: PLAIN, LOGIN).
                list += SASLExchange.Mechanism.allCases.map { "AUTH=" + $0.rawValue } + ["SASL-IR"]
            } else {
                list.append("LOGINDISABLED")
            }
        }
        list += ["LITERAL+", "ID", "ENABLE", "IDLE", "NAMESPACE", "UIDPLUS", "MOVE", "UNSELECT", "CHILDREN",
                 "LIST-EXTENDED", "LIST-STATUS", "SPECIAL-USE", "ESEARCH", "SEARCHRES", "BINARY", "STATUS=SIZE",
                 "APPENDLIMIT=\(IMAPLimits.appendLimit)", "CONDSTORE", "QRESYNC", "CREATE-SPECIAL-USE", "UTF8=ACCEPT"]
        return list
    }

    /// Whether `command` may run in the current state (RFC 9051 §6: "valid in any state",
    /// "not authenticated state", "authenticated state", "selected state").
    public func allows(_ command: IMAPCommand) -> Bool {
        switch command {
        case .capability, .noop, .logout, .id:
            return true
        case .startTLS, .authenticate, .login:
            if case .notAuthenticated = phase { return true }
            return false
        case .enable:
            if case .authenticated = phase { return true }
            return false
        case .namespace, .select, .create, .delete, .rename, .subscribe, .unsubscribe, .list, .lsub, .status, .append, .idle:
            switch phase {
            case .authenticated, .selected: return true
            case .notAuthenticated, .logout: return false
            }
        case .check, .close, .unselect, .expunge, .uidExpunge, .search, .fetch, .store, .copy, .move:
            if case .selected = phase { return true }
            return false
        }
    }
}
