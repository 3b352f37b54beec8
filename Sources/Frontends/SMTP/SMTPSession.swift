public import Journal
public import NIOCore
public import Pipeline

/// The SMTP server session (RFC 5321 with RFC 3207 STARTTLS, RFC 4954 AUTH, RFC 3030 CHUNKING,
/// RFC 2920 PIPELINING, RFC 1870 SIZE, RFC 6152 8BITMIME, RFC 6531 SMTPUTF8, RFC 3461 DSN
/// parameters, RFC 2034 enhanced codes) as a pure state machine: commands, frames and effect
/// outcomes in, actions out. No I/O: `SMTPHandler` performs the actions and feeds the outcomes
/// back, one at a time and in order, which answers pipelined commands in order.
public struct SMTPSession: Sendable {
    public struct Environment: Sendable, Hashable {
        public var configuration: SMTPConfiguration
        public var tlsActive: Bool
        /// Whether STARTTLS may be offered (a STARTTLS listener with a certificate, not yet encrypted).
        public var startTLSAvailable: Bool
        /// Whether a password may be sent without TLS (`AuthenticationPolicy`, the dev profile).
        public var plaintextAllowed: Bool
        public init(configuration: SMTPConfiguration, tlsActive: Bool, startTLSAvailable: Bool, plaintextAllowed: Bool) {
            self.configuration = configuration
            self.tlsActive = tlsActive
            self.startTLSAvailable = startTLSAvailable
            self.plaintextAllowed = plaintextAllowed
        }
        var passwordsPermitted: Bool { tlsActive || plaintextAllowed }
        var isSubmission: Bool { configuration.role == .submission }
    }

    /// Where an accepted recipient's mail goes.
    public enum Route: Sendable, Hashable {
        /// Local users' INBOXes, and forward addresses of an alias (queued outbound).
        case local(users: [UserID], forwardTo: [String])
        /// Another domain: queued for outbound delivery (submission only).
        case remote
    }

    public struct Recipient: Sendable, Hashable {
        public var mailbox: SMTPMailbox
        public var parameters: SMTPRecipientParameters
        public var route: Route
    }

    public struct Authentication: Sendable, Hashable {
        public var account: String
        public var user: UserID
        public var mechanism: String
        public init(account: String, user: UserID, mechanism: String) {
            self.account = account; self.user = user; self.mechanism = mechanism
        }
    }

    /// A complete message with its envelope, ready to be recorded and delivered.
    public struct Message: Sendable, Hashable {
        public var mailFrom: SMTPMailbox?
        public var parameters: SMTPMailParameters
        public var recipients: [Recipient]
        /// As received, dot-unstuffed (DATA) or concatenated chunks (BDAT).
        public var bytes: [UInt8]
        public var helo: String
        public var esmtp: Bool
        public var authentication: Authentication?
        public var tlsActive: Bool
        /// The inbound checks' verdict (MX): recorded with the message, and Junk or INBOX.
        public var checks: InboundVerdict?

        /// RFC 3848 / RFC 6531 §3.7.3 "with" protocol names for Received.
        public var withProtocol: String {
            let base = parameters.smtpUTF8 ? "UTF8SMTP" : (esmtp ? "ESMTP" : "SMTP")
            return base + (tlsActive ? "S" : "") + (authentication != nil ? "A" : "")
        }
    }

    public enum Action: Sendable, Hashable {
        case reply(SMTPReply)
        /// Write the go-ahead and start TLS; then `tlsStarted()`.
        case startTLS(SMTPReply)
        /// Run the SASL exchange (RFC 4954 §4); then `authenticationFinished(_:)`.
        case authenticate(mechanism: String, initialResponse: String?)
        /// Check the sender (ownership on submission, syntax and rate on MX); then `senderChecked(_:)`.
        case checkSender(SMTPMailbox?)
        /// Look the recipient up; then `recipientChecked(_:)`.
        case checkRecipient(SMTPMailbox)
        /// Message data follows: tell the framer, then write the reply (354).
        case beginData(SMTPReply)
        /// Record and deliver, durably; then `deliveryFinished(_:)`.
        case deliver(Message)
        /// Record an inbound check's refusal as a filter-decision event.
        case recordRefusal(stage: String, rule: String, evidence: String, verdict: String)
        case close
    }

    public enum AuthenticationOutcome: Sendable, Hashable {
        case success(Authentication)
        case failure
        case refused
        case unavailable
        case exchangeFailed(SASLExchange.Failure)
    }

    public enum SenderOutcome: Sendable, Hashable {
        case accepted
        /// Accepted after the inbound checks, which the message is recorded with.
        case checked(InboundVerdict)
        /// Refused with this reply (not owned, rate limit, non-FQDN sender…).
        case refused(SMTPReply)
    }

    public enum RecipientOutcome: Sendable, Hashable {
        case local(users: [UserID], forwardTo: [String])
        /// The domain is not one of ours.
        case notLocal
        /// One of our domains, but nobody there by that name.
        case unknown
        /// The lookup failed.
        case unavailable
    }

    public enum DeliveryOutcome: Sendable, Hashable {
        /// Durable and applied; `id` names it in the reply (the message-received sequence number).
        case accepted(id: String)
        case failed
        /// The checks on the message itself (DKIM, DMARC) refused it; nothing was stored.
        case refused(SMTPReply)
    }

    struct Transaction: Sendable, Hashable {
        var mailFrom: SMTPMailbox?
        var parameters: SMTPMailParameters
        var recipients: [Recipient] = []
        var usedBDAT = false
        var checks: InboundVerdict?
    }

    enum Pending: Sendable, Hashable {
        case none
        case authenticating(mechanism: String)
        case checkingSender(SMTPMailbox?, SMTPMailParameters)
        case checkingRecipient(SMTPMailbox, SMTPRecipientParameters)
        case startingTLS
        case delivering
        case closed
    }

    enum Receiving: Sendable, Hashable {
        case none
        case data
        /// A BDAT chunk: bytes still to come, whether it is the last, and the reply if refused.
        case chunk(remaining: Int, last: Bool, refusal: SMTPReply?)
    }

    public private(set) var environment: Environment
    public private(set) var helo: String?
    private(set) var esmtp = false
    public private(set) var authentication: Authentication?
    private(set) var transaction: Transaction?
    private(set) var pending: Pending = .none
    private(set) var receiving: Receiving = .none
    private var message: [UInt8] = []
    private var messageTooBig = false
    private var violations: SMTPDataViolations = []
    private var consecutiveErrors = 0

    public init(environment: Environment) {
        self.environment = environment
    }

    private var hostname: String { environment.configuration.hostname }
    public var greeting: SMTPReply { SMTPReply(220, nil, "\(hostname) ESMTP Roost") }
    /// Whether message data (DATA or a BDAT chunk) is being read.
    public var isReceivingMessage: Bool { receiving != .none }

    // MARK: Commands

    /// One command line, parsed (or not).
    public mutating func command(_ parsed: Result<SMTPCommand, SMTPParseError>) -> [Action] {
        guard case .none = pending, case .none = receiving else {
            // The handler feeds nothing while an effect is pending or data is read: its bug.
            return internalError()
        }
        switch parsed {
        case .failure(let error):
            switch error.kind {
            case .tooLong: return self.error(500, "5.5.2", "line too long")
            case .unknownCommand: return self.error(500, "5.5.2", "command not recognized")
            case .malformed: return self.error(500, "5.5.2", "malformed command")
            case .syntax(_, let enhanced, let message): return self.error(501, enhanced, message)
            case .unsupportedParameter(_, let keyword): return self.error(555, "5.5.4", "unsupported parameter \(keyword)")
            case .unframeableBDAT:
                pending = .closed
                return [.reply(SMTPReply(501, "5.5.4", "bad BDAT chunk size; closing connection")), .close]
            }
        case .success(let command):
            return execute(command)
        }
    }

    /// A line that did not end with CRLF, or was too long (the framer already discarded it).
    public mutating func badLine(tooLong: Bool) -> [Action] {
        guard case .none = pending, case .none = receiving else { return internalError() }
        return tooLong ? error(500, "5.5.2", "line too long") : error(500, "5.5.2", "command lines must end with CRLF")
    }

    private mutating func execute(_ command: SMTPCommand) -> [Action] {
        switch command {
        case .ehlo(let name), .helo(let name):
            let extended: Bool = if case .ehlo = command { true } else { false }
            transaction = nil
            if environment.configuration.role == .mx, !SMTPPathParser.isHeloName(name) {
                // The classic `reject_invalid_helo_hostname`.
                return error(501, "5.5.2", "\(command.verb) rejected: invalid name")
                    + [.recordRefusal(stage: "smtp-helo", rule: "INVALID_HELO", evidence: "HELO name \(printable(name))", verdict: "reject")]
            }
            helo = name
            esmtp = extended
            consecutiveErrors = 0
            guard extended else { return [.reply(SMTPReply(250, nil, hostname))] }
            return [.reply(SMTPReply(250, nil, ["\(hostname) greets \(printable(name))"] + extensions))]
        case .mail(let from, let parameters):
            guard helo != nil else { return error(503, "5.5.1", "send HELO or EHLO first") }
            guard transaction == nil else { return error(503, "5.5.1", "nested MAIL command") }
            if environment.isSubmission, authentication == nil { return error(530, "5.7.0", "authentication required") }
            if parameters.smtpUTF8 || parameters.body != nil || parameters.size != nil || parameters.ret != nil || parameters.envelopeID != nil,
               !esmtp {
                return error(555, "5.5.4", "extension parameters need EHLO")
            }
            if let size = parameters.size, size > environment.configuration.maximumMessageSize {
                return error(552, "5.3.4", "message size exceeds fixed maximum message size")
            }
            pending = .checkingSender(from, parameters)
            return [.checkSender(from)]
        case .rcpt(let to, let parameters):
            guard let transaction else { return error(503, "5.5.1", "need MAIL command") }
            guard transaction.recipients.count < environment.configuration.maximumRecipients else {
                return error(452, "4.5.3", "too many recipients")
            }
            if !to.isASCII, !transaction.parameters.smtpUTF8 {
                return error(553, "5.6.7", "<\(printable(to.address))>: non-ASCII address needs SMTPUTF8")
            }
            if let trick = to.relayTrick {
                return error(550, "5.7.1", "<\(printable(to.address))>: relay access denied (\(trick))")
            }
            pending = .checkingRecipient(to, parameters)
            return [.checkRecipient(to)]
        case .data:
            guard let transaction else { return error(503, "5.5.1", "need MAIL command") }
            guard !transaction.usedBDAT else { return error(503, "5.5.1", "DATA after BDAT in one transaction") }
            guard !transaction.recipients.isEmpty else { return error(554, "5.5.1", "no valid recipients") }
            receiving = .data
            startMessage()
            consecutiveErrors = 0
            return [.beginData(SMTPReply(354, nil, "End data with <CR><LF>.<CR><LF>"))]
        case .bdat(let size, let last):
            var refusal: SMTPReply?
            if helo == nil {
                refusal = SMTPReply(503, "5.5.1", "send HELO or EHLO first")
            } else if transaction == nil {
                refusal = SMTPReply(503, "5.5.1", "need MAIL command")
            } else if transaction!.recipients.isEmpty {
                refusal = SMTPReply(554, "5.5.1", "no valid recipients")
            } else if !transaction!.usedBDAT {
                transaction!.usedBDAT = true
                startMessage()
            }
            receiving = .chunk(remaining: size, last: last, refusal: refusal)
            return size == 0 ? chunkComplete() : []
        case .rset:
            transaction = nil
            return ok(SMTPReply(250, "2.0.0", "Ok"))
        case .noop:
            return ok(SMTPReply(250, "2.0.0", "Ok"))
        case .quit:
            pending = .closed
            return [.reply(SMTPReply(221, "2.0.0", "Bye")), .close]
        case .vrfy:
            // RFC 5321 §3.5.3: the non-committal answer; Roost does not tell who exists.
            return ok(SMTPReply(252, "2.0.0", "Cannot VRFY user, but will accept message and attempt delivery"))
        case .help:
            return ok(SMTPReply(214, "2.0.0", "Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP STARTTLS AUTH"))
        case .startTLS:
            if environment.tlsActive { return error(503, "5.5.1", "TLS already active") }
            guard environment.startTLSAvailable else { return error(502, "5.5.1", "STARTTLS not available") }
            pending = .startingTLS
            return [.startTLS(SMTPReply(220, "2.0.0", "Ready to start TLS"))]
        case .auth(let mechanism, let initialResponse):
            guard environment.isSubmission else { return error(503, "5.5.1", "authentication not enabled on this port") }
            guard helo != nil else { return error(503, "5.5.1", "send EHLO first") }
            guard authentication == nil else { return error(503, "5.5.1", "already authenticated") }
            guard transaction == nil else { return error(503, "5.5.1", "AUTH not permitted during a mail transaction") }
            // RFC 4954 §4 and §6: 538 when the mechanism may only be used over TLS.
            guard environment.passwordsPermitted else { return error(538, "5.7.11", "encryption required for requested authentication mechanism") }
            pending = .authenticating(mechanism: mechanism)
            return [.authenticate(mechanism: mechanism, initialResponse: initialResponse)]
        }
    }

    /// The EHLO keywords (RFC 5321 §4.1.1.1), each only where it may be used.
    var extensions: [String] {
        var lines = ["PIPELINING", "SIZE \(environment.configuration.maximumMessageSize)", "8BITMIME", "SMTPUTF8",
                     "ENHANCEDSTATUSCODES", "CHUNKING", "DSN"]
        if environment.startTLSAvailable, !environment.tlsActive { lines.append("STARTTLS") }
        if environment.isSubmission, environment.passwordsPermitted, authentication == nil {
            lines.append((["AUTH"] + SASLExchange.Mechanism.allCases.map(\.rawValue)).joined(separator: " "))
        }
        return lines
    }

    // MARK: Effect outcomes

    public mutating func tlsStarted() -> [Action] {
        guard case .startingTLS = pending else { return internalError() }
        pending = .none
        // RFC 3207 §4.2: discard all knowledge obtained from the client, the EHLO included.
        environment.tlsActive = true
        environment.startTLSAvailable = false
        helo = nil
        esmtp = false
        authentication = nil
        transaction = nil
        return []
    }

    public mutating func authenticationFinished(_ outcome: AuthenticationOutcome) -> [Action] {
        guard case .authenticating = pending else { return internalError() }
        pending = .none
        switch outcome {
        case .success(let authentication):
            self.authentication = authentication
            return ok(SMTPReply(235, "2.7.0", "Authentication successful"))
        case .failure: return error(535, "5.7.8", "authentication credentials invalid")
        case .refused: return error(454, "4.7.0", "too many failed authentications, try again later")
        case .unavailable: return error(454, "4.7.0", "temporary authentication failure")
        case .exchangeFailed(let failure):
            switch failure {
            case .cancelled: return error(501, "5.0.0", "authentication cancelled")
            case .unsupportedMechanism: return error(504, "5.5.4", "unrecognized authentication type")
            case .invalidBase64: return error(501, "5.5.2", "cannot decode response")
            case .authorizationDenied: return error(535, "5.7.8", "authorization identity not allowed")
            case .malformedResponse, .responseTooLong, .outOfSequence: return error(501, "5.5.2", "malformed authentication response")
            }
        }
    }

    public mutating func senderChecked(_ outcome: SenderOutcome) -> [Action] {
        guard case .checkingSender(let from, let parameters) = pending else { return internalError() }
        pending = .none
        switch outcome {
        case .accepted:
            transaction = Transaction(mailFrom: from, parameters: parameters)
            return ok(SMTPReply(250, "2.1.0", "Ok"))
        case .checked(let verdict):
            transaction = Transaction(mailFrom: from, parameters: parameters, checks: verdict)
            return ok(SMTPReply(250, "2.1.0", "Ok"))
        case .refused(let reply):
            return error(reply)
        }
    }

    public mutating func recipientChecked(_ outcome: RecipientOutcome) -> [Action] {
        guard case .checkingRecipient(let to, let parameters) = pending, transaction != nil else { return internalError() }
        pending = .none
        let shown = "<\(printable(to.address))>"
        switch outcome {
        case .local(let users, let forwardTo):
            transaction!.recipients.append(Recipient(mailbox: to, parameters: parameters, route: .local(users: users, forwardTo: forwardTo)))
            return ok(SMTPReply(250, "2.1.5", "Ok"))
        case .notLocal:
            // Never an open relay: only authenticated submission sends elsewhere.
            guard environment.isSubmission, authentication != nil else {
                return error(550, "5.7.1", "\(shown): relay access denied")
            }
            transaction!.recipients.append(Recipient(mailbox: to, parameters: parameters, route: .remote))
            return ok(SMTPReply(250, "2.1.5", "Ok"))
        case .unknown:
            return error(550, "5.1.1", "\(shown): recipient address rejected: user unknown")
        case .unavailable:
            return error(451, "4.3.0", "\(shown): temporary lookup failure")
        }
    }

    public mutating func deliveryFinished(_ outcome: DeliveryOutcome) -> [Action] {
        guard case .delivering = pending else { return internalError() }
        pending = .none
        transaction = nil
        message = []
        switch outcome {
        case .accepted(let id): return ok(SMTPReply(250, "2.0.0", "Ok: queued as \(id)"))
        case .failed: return error(451, "4.3.0", "temporary failure storing the message, try again later")
        case .refused(let reply): return error(reply)
        }
    }

    // MARK: Message data

    private mutating func startMessage() {
        message = []
        messageTooBig = false
        violations = []
    }

    private mutating func take(_ bytes: ByteBufferView) {
        guard !messageTooBig else { return }
        if message.count + bytes.count > environment.configuration.maximumMessageSize {
            // Keep reading to the end (RFC 5321 §4.5.3.1.10 wants the 552 after the data), but
            // stop keeping the bytes.
            messageTooBig = true
            message = []
            return
        }
        message.append(contentsOf: bytes)
    }

    /// Lines of DATA, unstuffed.
    public mutating func dataReceived(_ bytes: ByteBuffer, violations: SMTPDataViolations) -> [Action] {
        guard case .data = receiving else { return internalError() }
        self.violations.formUnion(violations)
        if self.violations.isEmpty { take(bytes.readableBytesView) }
        return []
    }

    /// The end of DATA.
    public mutating func dataEnded() -> [Action] {
        guard case .data = receiving else { return internalError() }
        receiving = .none
        if let refusal = messageRefusal() {
            transaction = nil
            message = []
            return error(refusal)
        }
        return deliver()
    }

    /// Bytes of the current BDAT chunk.
    public mutating func chunkReceived(_ bytes: ByteBuffer) -> [Action] {
        guard case .chunk(let remaining, let last, let refusal) = receiving, bytes.readableBytes <= remaining else { return internalError() }
        if refusal == nil { take(bytes.readableBytesView) }
        receiving = .chunk(remaining: remaining - bytes.readableBytes, last: last, refusal: refusal)
        return remaining == bytes.readableBytes ? chunkComplete() : []
    }

    /// RFC 3030 §2: each BDAT is answered once its chunk has been read.
    private mutating func chunkComplete() -> [Action] {
        guard case .chunk(_, let last, let refusal) = receiving else { return internalError() }
        receiving = .none
        if let refusal { return error(refusal) }
        if let refusal = messageRefusal() {
            // RFC 3030 §2: after a failed BDAT the client sends no more chunks; start over.
            transaction = nil
            message = []
            return error(refusal)
        }
        guard last else {
            return ok(SMTPReply(250, "2.0.0", "\(message.count) octets received"))
        }
        return deliver()
    }

    private func messageRefusal() -> SMTPReply? {
        if violations.contains(.bareLineFeed) || violations.contains(.bareCarriageReturn) {
            // SMTP smuggling defence: a line ending other than CRLF is refused, not repaired.
            return SMTPReply(550, "5.6.0", "message refused: bare LF or CR in message data (line endings must be CRLF)")
        }
        if violations.contains(.lineTooLong) { return SMTPReply(500, "5.5.2", "message refused: line too long") }
        if messageTooBig { return SMTPReply(552, "5.3.4", "message size exceeds fixed maximum message size") }
        return nil
    }

    private mutating func deliver() -> [Action] {
        guard let transaction, let helo else { return internalError() }
        pending = .delivering
        let bytes = message
        message = []
        return [.deliver(Message(mailFrom: transaction.mailFrom, parameters: transaction.parameters, recipients: transaction.recipients,
                                 bytes: bytes, helo: helo, esmtp: esmtp, authentication: authentication,
                                 tlsActive: environment.tlsActive, checks: transaction.checks))]
    }

    // MARK: Replies

    private mutating func ok(_ reply: SMTPReply) -> [Action] {
        consecutiveErrors = 0
        return [.reply(reply)]
    }

    private mutating func error(_ code: Int, _ enhanced: String, _ text: String) -> [Action] {
        error(SMTPReply(code, enhanced, text))
    }

    private mutating func error(_ reply: SMTPReply) -> [Action] {
        consecutiveErrors += 1
        if consecutiveErrors >= SMTPLimits.consecutiveErrors {
            pending = .closed
            return [.reply(reply), .reply(SMTPReply(421, "4.7.0", "\(hostname) too many errors, closing connection")), .close]
        }
        return [.reply(reply)]
    }

    private mutating func internalError() -> [Action] {
        pending = .closed
        return [.reply(SMTPReply(421, "4.3.0", "\(hostname) internal error, closing connection")), .close]
    }

    /// Client text echoed in replies: printable ASCII only, bounded.
    private func printable(_ s: String) -> String {
        String(String(s.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? Character($0) : "?" }).prefix(200))
    }
}
