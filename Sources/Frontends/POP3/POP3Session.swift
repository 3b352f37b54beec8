public import Journal
public import Projections

/// One POP3 session as a pure state machine (RFC 1939 §3: AUTHORIZATION, TRANSACTION, UPDATE).
/// No I/O: each input is one `mutating func` that returns the actions for `POP3Handler` to
/// perform; the results of effects (authentication, opening the maildrop, the UPDATE-state
/// expunge, TLS) come back as inputs of their own.
public struct POP3Session: Sendable {
    /// What the session knows about its connection and policy.
    public struct Environment: Sendable, Hashable {
        /// TLS is active (implicit TLS, or after STLS).
        public var tlsActive: Bool
        /// STLS may be offered (a STARTTLS listener with a certificate, not yet encrypted).
        public var startTLSAvailable: Bool
        /// Whether a password may be sent without TLS (`AuthenticationPolicy`).
        public var plaintextAllowed: Bool
        public init(tlsActive: Bool, startTLSAvailable: Bool, plaintextAllowed: Bool) {
            self.tlsActive = tlsActive
            self.startTLSAvailable = startTLSAvailable
            self.plaintextAllowed = plaintextAllowed
        }
        var passwordsPermitted: Bool { tlsActive || plaintextAllowed }
    }

    public enum Action: Sendable, Hashable {
        case reply(POP3Response)
        /// Write the go-ahead and start the TLS handshake; then `tlsStarted()`.
        case startTLS(POP3Response)
        /// Verify USER/PASS; then `authenticationFinished(_:)`.
        case authenticate(username: String, password: String)
        /// Run a SASL exchange (RFC 5034 §4); then `authenticationFinished(_:)`.
        case authenticateSASL(mechanism: String, initialResponse: String?)
        /// Acquire the maildrop lock and read the INBOX; then `maildropOpened(_:)`.
        case openMaildrop(account: String)
        /// Send message `number` (all of it, or its header and `lines` body lines) as
        /// `+OK` + content, or `-ERR [SYS/TEMP]` if it cannot be read.
        case retrieve(MessageInfo, number: Int, lines: Int?)
        /// UPDATE state: expunge these messages (durable and applied); then `deletionsCommitted(_:)`.
        case expunge(mailbox: MailboxID, messages: [MessageRef])
        /// Release the maildrop lock. RFC 1939 §6: the server "releases any exclusive-access lock
        /// on the maildrop and replies", so the lock is free before QUIT's +OK reaches the client.
        case releaseMaildrop
        /// Close the connection (after writing what came before).
        case close
    }

    public enum AuthenticationOutcome: Sendable, Hashable {
        case success(account: String)
        /// Wrong user name or password.
        case failure
        /// The throttle refused without checking.
        case refused
        /// The account store failed.
        case unavailable
        /// The SASL exchange failed before a password was checked.
        case exchangeFailed(SASLExchange.Failure)
    }

    public enum MaildropOutcome: Sendable, Hashable {
        case opened(POP3Maildrop)
        /// Another session holds the lock.
        case inUse
        /// Roost could not read the maildrop.
        case unavailable
    }

    enum State: Sendable, Hashable {
        /// `user` is the name from USER, waiting for PASS.
        case authorization(user: String?)
        case authenticating
        case openingMaildrop
        case startingTLS
        case transaction(Transaction)
        case update
        case closed
    }

    struct Transaction: Sendable, Hashable {
        var maildrop: POP3Maildrop
        /// Message numbers marked by DELE (RFC 1939 §5).
        var deleted: Set<Int> = []
    }

    public static let greeting = POP3Response.ok("Roost POP3 server ready")
    /// SASL mechanisms offered (RFC 5034 §3 `SASL` capability).
    public static let mechanisms = SASLExchange.Mechanism.allCases.map(\.rawValue)

    public private(set) var environment: Environment
    private(set) var state: State = .authorization(user: nil)
    private var consecutiveErrors = 0

    public init(environment: Environment) {
        self.environment = environment
    }

    /// Whether the session is in the TRANSACTION state.
    public var isInTransaction: Bool {
        if case .transaction = state { true } else { false }
    }

    // MARK: Inputs

    /// One command line, parsed (or not).
    public mutating func command(_ parsed: Result<POP3Command, POP3ParseError>) -> [Action] {
        switch parsed {
        case .failure(let failure):
            switch failure.kind {
            case .tooLong: return error(nil, "command line too long")
            case .unknownCommand: return error(nil, "unknown command")
            case .badArguments(let verb): return error(nil, "syntax error in \(verb) arguments")
            case .malformed: return error(nil, "malformed command")
            }
        case .success(let command):
            switch state {
            case .authorization(let user): return authorization(command, user: user)
            case .transaction(let transaction): return self.transaction(command, transaction)
            case .authenticating, .openingMaildrop, .startingTLS, .update, .closed:
                // The handler feeds no commands while an effect is pending; this is its bug.
                return [.reply(.err(.sysTemp, "command out of sequence")), .close]
            }
        }
    }

    public mutating func authenticationFinished(_ outcome: AuthenticationOutcome) -> [Action] {
        guard case .authenticating = state else { return outOfSequence() }
        switch outcome {
        case .success(let account):
            state = .openingMaildrop
            return [.openMaildrop(account: account)]
        case .failure:
            state = .authorization(user: nil)
            return error(.auth, "invalid user name or password")
        case .refused:
            state = .authorization(user: nil)
            return error(.sysTemp, "too many failed logins, try again later")
        case .unavailable:
            state = .authorization(user: nil)
            return error(.sysTemp, "temporary authentication failure")
        case .exchangeFailed(let failure):
            state = .authorization(user: nil)
            switch failure {
            case .cancelled: return error(nil, "authentication cancelled")
            case .unsupportedMechanism: return error(nil, "unsupported authentication mechanism")
            case .invalidBase64: return error(nil, "cannot decode response")
            case .authorizationDenied: return error(.auth, "authorization identity not allowed")
            case .malformedResponse, .responseTooLong, .outOfSequence: return error(nil, "malformed authentication response")
            }
        }
    }

    public mutating func maildropOpened(_ outcome: MaildropOutcome) -> [Action] {
        guard case .openingMaildrop = state else { return outOfSequence() }
        switch outcome {
        case .opened(let maildrop):
            state = .transaction(Transaction(maildrop: maildrop))
            consecutiveErrors = 0
            let size = maildrop.messages.reduce(0) { $0 + $1.size }
            return [.reply(.ok("maildrop has \(maildrop.messages.count) messages (\(size) octets)"))]
        case .inUse:
            state = .authorization(user: nil)
            return error(.inUse, "maildrop in use by another session")
        case .unavailable:
            state = .authorization(user: nil)
            return error(.sysTemp, "cannot open maildrop, try again later")
        }
    }

    /// RFC 2595 §4: after TLS "the client MUST discard cached information about server
    /// capabilities", and the server forgets what it learnt before (the USER name).
    public mutating func tlsStarted() -> [Action] {
        guard case .startingTLS = state else { return outOfSequence() }
        environment.tlsActive = true
        environment.startTLSAvailable = false
        state = .authorization(user: nil)
        return []
    }

    /// The UPDATE state's expunge is durable and applied (`true`) or failed.
    public mutating func deletionsCommitted(_ succeeded: Bool, count: Int) -> [Action] {
        guard case .update = state else { return outOfSequence() }
        state = .closed
        if succeeded {
            return [.releaseMaildrop, .reply(.ok("Roost POP3 server signing off (\(count) messages deleted)")), .close]
        }
        // RFC 1939 §6: "-ERR some deleted messages not removed".
        return [.releaseMaildrop, .reply(.err(.sysTemp, "some deleted messages not removed")), .close]
    }

    // MARK: AUTHORIZATION

    private mutating func authorization(_ command: POP3Command, user: String?) -> [Action] {
        switch command {
        case .capa:
            return ok(.lines("capability list follows", capabilities))
        case .user(let name):
            guard environment.passwordsPermitted else { return plaintextRefused() }
            state = .authorization(user: name)
            return ok(.ok("send PASS"))
        case .pass(let password):
            guard environment.passwordsPermitted else { return plaintextRefused() }
            guard let user else { return error(nil, "send USER first") }
            state = .authenticating
            consecutiveErrors = 0
            return [.authenticate(username: user, password: password)]
        case .auth(let mechanism, let initialResponse):
            guard environment.passwordsPermitted else { return plaintextRefused() }
            state = .authenticating
            consecutiveErrors = 0
            return [.authenticateSASL(mechanism: mechanism, initialResponse: initialResponse)]
        case .stls:
            if environment.tlsActive { return error(nil, "TLS already active") }
            guard environment.startTLSAvailable else { return error(nil, "STLS not available") }
            state = .startingTLS
            return [.startTLS(.ok("begin TLS negotiation"))]
        case .quit:
            // RFC 1939 §4: QUIT in AUTHORIZATION does not enter the UPDATE state.
            state = .closed
            return [.reply(.ok("Roost POP3 server signing off")), .close]
        case .noop, .stat, .list, .retr, .dele, .rset, .top, .uidl:
            return error(nil, "\(command.verb) is not valid before authentication")
        }
    }

    private mutating func plaintextRefused() -> [Action] {
        // RFC 2595 §2.1 / §4: passwords only over TLS unless the policy allows plaintext.
        error(.auth, "plaintext authentication disallowed without TLS; use STLS")
    }

    // MARK: TRANSACTION

    private mutating func transaction(_ command: POP3Command, _ t: Transaction) -> [Action] {
        var t = t
        let messages = t.maildrop.messages
        switch command {
        case .capa:
            return ok(.lines("capability list follows", capabilities))
        case .stat:
            let live = liveMessages(t)
            return ok(.ok("\(live.count) \(live.reduce(0) { $0 + $1.info.size })"))
        case .list(.none):
            let live = liveMessages(t)
            return ok(.lines("\(live.count) messages (\(live.reduce(0) { $0 + $1.info.size }) octets)",
                             live.map { "\($0.number) \($0.info.size)" }))
        case .list(let n?):
            guard let info = message(n, in: t) else { return noSuchMessage(n, t) }
            return ok(.ok("\(n) \(info.size)"))
        case .uidl(.none):
            return ok(.lines("unique-id listing follows", liveMessages(t).map { "\($0.number) \(t.maildrop.uniqueID(of: $0.info))" }))
        case .uidl(let n?):
            guard let info = message(n, in: t) else { return noSuchMessage(n, t) }
            return ok(.ok("\(n) \(t.maildrop.uniqueID(of: info))"))
        case .retr(let n):
            guard let info = message(n, in: t) else { return noSuchMessage(n, t) }
            consecutiveErrors = 0
            return [.retrieve(info, number: n, lines: nil)]
        case .top(let n, let lines):
            guard let info = message(n, in: t) else { return noSuchMessage(n, t) }
            consecutiveErrors = 0
            return [.retrieve(info, number: n, lines: lines)]
        case .dele(let n):
            guard message(n, in: t) != nil else { return noSuchMessage(n, t) }
            t.deleted.insert(n)
            state = .transaction(t)
            return ok(.ok("message \(n) deleted"))
        case .noop:
            return ok(.ok(""))
        case .rset:
            t.deleted.removeAll()
            state = .transaction(t)
            return ok(.ok("maildrop has \(messages.count) messages (\(messages.reduce(0) { $0 + $1.size }) octets)"))
        case .quit:
            let refs = t.deleted.sorted().map { messages[$0 - 1].ref }
            guard let mailbox = t.maildrop.mailbox, !refs.isEmpty else {
                state = .closed
                return [.releaseMaildrop, .reply(.ok("Roost POP3 server signing off")), .close]
            }
            state = .update
            return [.expunge(mailbox: mailbox, messages: refs)]
        case .user, .pass, .auth:
            return error(nil, "already authenticated")
        case .stls:
            // RFC 2595 §4: STLS is only permitted in the AUTHORIZATION state.
            return error(nil, "STLS is only valid before authentication")
        }
    }

    private func liveMessages(_ t: Transaction) -> [(number: Int, info: MessageInfo)] {
        t.maildrop.messages.enumerated().compactMap { index, info in
            t.deleted.contains(index + 1) ? nil : (number: index + 1, info: info)
        }
    }

    /// RFC 1939 §5: a message-number "may NOT refer to a message marked as deleted".
    private func message(_ n: Int, in t: Transaction) -> MessageInfo? {
        guard n >= 1, n <= t.maildrop.messages.count, !t.deleted.contains(n) else { return nil }
        return t.maildrop.messages[n - 1]
    }

    private mutating func noSuchMessage(_ n: Int, _ t: Transaction) -> [Action] {
        if t.deleted.contains(n) { return error(nil, "message \(n) already deleted") }
        return error(nil, "no such message, only \(t.maildrop.messages.count) messages in maildrop")
    }

    // MARK: CAPA

    /// RFC 2449 §5–6 and the capabilities of RFC 3206 (AUTH-RESP-CODE), RFC 5034 (SASL) and
    /// RFC 2595 (STLS). USER and SASL only where a password may be sent; STLS only before TLS
    /// and in the AUTHORIZATION state.
    var capabilities: [String] {
        var lines = ["CAPA", "TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING"]
        if environment.passwordsPermitted {
            lines.append("USER")
            lines.append((["SASL"] + Self.mechanisms).joined(separator: " "))
        }
        if case .authorization = state, environment.startTLSAvailable, !environment.tlsActive {
            lines.append("STLS")
        }
        lines.append("IMPLEMENTATION Roost")
        return lines
    }

    // MARK: Replies

    private mutating func ok(_ response: POP3Response) -> [Action] {
        consecutiveErrors = 0
        return [.reply(response)]
    }

    private mutating func error(_ code: POP3ResponseCode?, _ text: String) -> [Action] {
        consecutiveErrors += 1
        if consecutiveErrors >= POP3Limits.consecutiveErrors {
            state = .closed
            return [.reply(.err(code, text + "; too many errors, closing")), .close]
        }
        return [.reply(.err(code, text))]
    }

    private mutating func outOfSequence() -> [Action] {
        state = .closed
        return [.reply(.err(.sysTemp, "internal error")), .close]
    }
}
