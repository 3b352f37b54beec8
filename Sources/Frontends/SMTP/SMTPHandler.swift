public import Journal
public import Logging
import NIOCore
public import Pipeline
public import Projections
import MailMessage

/// The SMTP front-end for the shared `Server`: MX on 25 (`SMTPConfiguration.Role.mx`) and
/// submission on 587 (STARTTLS) and 465 (implicit TLS). Performs what `SMTPSession` asks:
/// recipient lookups in the projections, SASL, and, for each message, one journal batch — the
/// message-received event, then its deliveries and outbound-queued event naming it — whose
/// `250` is written only once the batch is durable and applied (DESIGN.md invariant 2).
public struct SMTPHandler: ConnectionHandler {
    public let configuration: SMTPConfiguration
    public let journal: Journal
    public let projector: Projector
    public let authenticator: Authenticator
    public let rateLimiter: SMTPRateLimiter
    /// The inbound checks run at MAIL FROM on the MX listener (authenticated submission skips
    /// them). Without one, only the sender-syntax check runs.
    public let pipeline: InboundPipeline
    /// The checks on the message itself (DKIM, DMARC) run after DATA on the MX listener, with
    /// the MAIL FROM decisions as their prior decisions; nil runs none.
    public let messagePipeline: InboundPipeline?
    public let metrics: RoostMetrics?
    public let logger: Logger

    public init(configuration: SMTPConfiguration, journal: Journal, projector: Projector, authenticator: Authenticator,
                rateLimiter: SMTPRateLimiter, pipeline: InboundPipeline? = nil, messagePipeline: InboundPipeline? = nil,
                metrics: RoostMetrics? = nil, logger: Logger) {
        self.pipeline = pipeline ?? InboundPipeline(stages: [SenderSyntaxStage()], policy: .standard)
        self.messagePipeline = messagePipeline
        self.configuration = configuration
        self.journal = journal
        self.projector = projector
        self.authenticator = authenticator
        self.rateLimiter = rateLimiter
        self.metrics = metrics
        self.logger = logger
    }

    public func makeFrameDecoder() -> SMTPFrameDecoder { SMTPFrameDecoder() }

    public func farewell(for reason: CloseReason) -> String? {
        let host = configuration.hostname
        return switch reason {
        // RFC 5321 §4.5.3.2: a server that times out closes with 421.
        case .idleTimeout, .commandTimeout: "421 4.4.2 \(host) Error: timeout exceeded\r\n"
        case .tooManyConnections, .tooManyConnectionsFromAddress: "421 4.7.0 \(host) Error: too many connections, try again later\r\n"
        case .shutdown: "421 4.3.2 \(host) Service shutting down, try again later\r\n"
        case .malformedInput: "500 5.5.2 \(host) Error: malformed input\r\n"
        case .inputAfterStartTLS, .tlsHandshakeFailed, .transportError: nil
        }
    }

    enum Flow { case proceed, stop }

    public func handle(connection: Connection<SMTPFrame>) async throws {
        var session = SMTPSession(environment: .init(
            configuration: configuration, tlsActive: connection.isTLS, startTLSAvailable: connection.canStartTLS,
            plaintextAllowed: authenticator.policy.allowPlaintextWithoutTLS))
        try await write(session.greeting, to: connection)
        let name = connection.listener.name
        // Replies to pipelined commands wait here while the client's next commands are already
        // read, and go out in one write when it has none left (RFC 2920 §3.2: as Postfix does).
        var outbox = ByteBuffer()
        while let frame = try await connection.next() {
            let actions: [SMTPSession.Action]
            switch frame.kind {
            case .command(let line):
                let parsed = SMTPCommandParser.parse(line.readableBytesView)
                metrics?.command(protocol: name, (try? parsed.get())?.verb ?? "unknown")
                if case .failure = parsed { metrics?.error(protocol: name, kind: .syntax) }
                actions = session.command(parsed)
            case .bareLineFeedCommand:
                metrics?.error(protocol: name, kind: .syntax)
                actions = session.badLine(tooLong: false)
            case .commandTooLong:
                metrics?.error(protocol: name, kind: .syntax)
                actions = session.badLine(tooLong: true)
            case .data(let bytes, let violations):
                actions = session.dataReceived(bytes, violations: violations)
            case .dataEnd:
                actions = session.dataEnded()
            case .chunk(let bytes):
                actions = session.chunkReceived(bytes)
            }
            var control = frame.control
            let flow = try await perform(actions, session: &session, connection: connection, control: &control, outbox: &outbox)
            // A DATA line the session refused: the framer goes on reading commands.
            control?.dataFollows(false)
            if flow == .stop { return }
            if outbox.readableBytes > 0 && !connection.hasUnreadFrames { try await flush(&outbox, to: connection) }
        }
    }

    private func flush(_ outbox: inout ByteBuffer, to connection: Connection<SMTPFrame>) async throws {
        guard outbox.readableBytes > 0 else { return }
        let bytes = outbox
        outbox = ByteBuffer()
        try await connection.write(bytes)
    }

    private func perform(_ actions: [SMTPSession.Action], session: inout SMTPSession, connection: Connection<SMTPFrame>,
                         control: inout SMTPFramingControl?, outbox: inout ByteBuffer) async throws -> Flow {
        var pending = actions
        while !pending.isEmpty {
            switch pending.removeFirst() {
            case .reply(let reply):
                // Decided before the reply goes out: the client's next bytes follow the reply.
                control?.dataFollows(false)
                control = nil
                if reply.code >= 400 && reply.code != 421 { metrics?.error(protocol: connection.listener.name, kind: .user) }
                outbox.writeBytes(SMTPReplyEncoder.encode(reply))
            case .beginData(let reply):
                control?.dataFollows(true)
                control = nil
                outbox.writeBytes(SMTPReplyEncoder.encode(reply))
            case .startTLS(let reply):
                try await flush(&outbox, to: connection)
                do {
                    try await connection.startTLS(reply: String(decoding: SMTPReplyEncoder.encode(reply), as: UTF8.self))
                } catch {
                    // Input pipelined after STARTTLS (closed by the connection) or a failed
                    // handshake: nothing more is executed.
                    connection.logger.info("STARTTLS failed", metadata: ["error": "\(error)"])
                    return .stop
                }
                pending += session.tlsStarted()
            case .authenticate(let mechanism, let initialResponse):
                try await flush(&outbox, to: connection)
                guard let outcome = try await sasl(connection, mechanism: mechanism, initialResponse: initialResponse) else { return .stop }
                pending += session.authenticationFinished(outcome)
            case .checkSender(let mailbox):
                pending += session.senderChecked(await checkSender(mailbox, session: session, connection: connection))
            case .checkRecipient(let mailbox):
                pending += session.recipientChecked(lookUp(mailbox, connection: connection))
            case .deliver(let message):
                pending += session.deliveryFinished(await deliver(message, connection: connection))
            case .recordRefusal(let stage, let rule, let evidence, let verdict):
                await recordRefusal(stage: stage, rule: rule, evidence: evidence, verdict: verdict, connection: connection)
            case .close:
                try? await flush(&outbox, to: connection)
                await connection.close()
                return .stop
            }
        }
        return .proceed
    }

    private func write(_ reply: SMTPReply, to connection: Connection<SMTPFrame>) async throws {
        try await connection.write(ByteBuffer(bytes: SMTPReplyEncoder.encode(reply)))
    }

    // MARK: AUTH

    /// RFC 4954 §4: challenges are `334 base64`; the client answers with base64 or `*`.
    /// Returns nil when the client went away mid-exchange.
    private func sasl(_ connection: Connection<SMTPFrame>, mechanism: String, initialResponse: String?) async throws -> SMTPSession.AuthenticationOutcome? {
        let outcome = try await authenticator.exchange(
            mechanism: mechanism, initialResponse: initialResponse, client: connection.client, protocol: connection.listener.name
        ) { challenge in
            try await write(SMTPReply(334, nil, challenge), to: connection)
            guard let frame = try await connection.next() else { return .gone }
            frame.control?.dataFollows(false)
            guard case .command(let line) = frame.kind else { return .malformed }
            return .response(String(decoding: line.readableBytesView, as: UTF8.self))
        }
        switch outcome {
        case nil: return nil
        case .failed(let failure): return .exchangeFailed(failure)
        case .verified(let result, let mechanism):
            switch result {
            case .success(let account):
                do {
                    guard let user = try projector.store.user(address: account) else { return .unavailable }
                    return .success(.init(account: user.address, user: user.id, mechanism: mechanism.rawValue))
                } catch {
                    internalError("reading the authenticated user failed", connection: connection, metadata: ["error": "\(error)"])
                    return .unavailable
                }
            case .failure: return .failure
            case .refused: return .refused
            case .unavailable: return .unavailable
            }
        }
    }

    // MARK: Checks

    /// Submission: the sender must be the user's own. MX: the classic cheap checks — a
    /// fully-qualified sender domain, and the per-client message rate — each refusal recorded.
    private func checkSender(_ mailbox: SMTPMailbox?, session: SMTPSession, connection: Connection<SMTPFrame>) async -> SMTPSession.SenderOutcome {
        switch configuration.role {
        case .submission:
            guard let mailbox, let auth = session.authentication else {
                return .refused(SMTPReply(553, "5.7.1", "sender address rejected: not owned by the authenticated user"))
            }
            do {
                guard !mailbox.isAddressLiteral, try projector.store.isOwnAddress(mailbox.address, user: auth.user) else {
                    return .refused(SMTPReply(553, "5.7.1", "<\(mailbox.address)>: sender address rejected: not owned by user \(auth.account)"))
                }
            } catch {
                internalError("sender lookup failed", connection: connection, metadata: ["error": "\(error)"])
                return .refused(SMTPReply(451, "4.3.0", "temporary lookup failure"))
            }
        case .mx:
            // The rate limit first: a flood of refused transactions costs no DNS work.
            if case .refused(let first) = await rateLimiter.admit(connection.client) {
                await rateLimited(first: first, connection: connection)
                return .refused(SMTPReply(450, "4.7.1", "rate limit exceeded, try again later"))
            }
            let facts = InboundFacts(
                clientIP: connection.remoteAddress?.ipAddress.flatMap(IPAddress.init), helo: session.helo ?? "",
                mailFrom: mailbox?.address ?? "", tlsVersion: connection.tls?.version, listener: "mx")
            let verdict = await pipeline.evaluate(facts)
            if let reply = verdict.reply {
                // Refused before any message exists: the decisions carry the envelope so far.
                let events = verdict.filterDecisions(context: context(connection), received: 0, mailFrom: facts.mailFrom, helo: facts.helo)
                await record(events, connection: connection)
                connection.logger.info("inbound checks refused", metadata: [
                    "from": "\(facts.mailFrom)", "verdict": "\(verdict.action.rawValue)", "reason": "\(verdict.reason)"])
                let shown = mailbox.map { "<\($0.address)>: " } ?? "<>: "
                return .refused(SMTPReply(reply.code, reply.enhanced, shown + reply.text))
            }
            return .checked(verdict)
        }
        if case .refused(let first) = await rateLimiter.admit(connection.client) {
            await rateLimited(first: first, connection: connection)
            return .refused(SMTPReply(450, "4.7.1", "rate limit exceeded, try again later"))
        }
        return .accepted
    }

    private func rateLimited(first: Bool, connection: Connection<SMTPFrame>) async {
        guard first else { return }
        await recordRefusal(stage: "smtp-rate", rule: "CLIENT_RATE_LIMIT",
                            evidence: "more than \(rateLimiter.perMinute) messages a minute from \(connection.client)",
                            verdict: "tempfail", connection: connection)
    }

    private func lookUp(_ mailbox: SMTPMailbox, connection: Connection<SMTPFrame>) -> SMTPSession.RecipientOutcome {
        guard !mailbox.isAddressLiteral else { return .notLocal }
        let store = projector.store
        do {
            guard try store.isLocalDomain(mailbox.domain.lowercased()) else { return .notLocal }
            let destination = try store.resolve(address: mailbox.address)
            if destination.isEmpty { return .unknown }
            return .local(users: destination.users, forwardTo: destination.forwardTo)
        } catch {
            internalError("recipient lookup failed", connection: connection, metadata: ["error": "\(error)"])
            return .unavailable
        }
    }

    private func context(_ connection: Connection<SMTPFrame>, user: UserID? = nil) -> EventContext {
        EventContext(actor: user.map { .user($0) } ?? .system("smtp"), proto: connection.listener.name,
                     clientAddress: connection.remoteAddress.map(Self.describe))
    }

    static func describe(_ address: SocketAddress) -> String {
        let ip = address.ipAddress ?? "unknown"
        guard let port = address.port else { return ip }
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }

    private func recordRefusal(stage: String, rule: String, evidence: String, verdict: String, connection: Connection<SMTPFrame>) async {
        let decision = FilterDecision(context: context(connection), received: 0, stage: stage, verdict: verdict, scoreMilli: 0,
                                      rules: [RuleResult(name: rule, contributionMilli: 0, evidence: evidence)])
        await record([decision], connection: connection)
        connection.logger.info("inbound check refused", metadata: ["stage": "\(stage)", "rule": "\(rule)", "evidence": "\(evidence)"])
    }

    private func record(_ decisions: [FilterDecision], connection: Connection<SMTPFrame>) async {
        do {
            _ = try await journal.append(events: decisions, applyingWith: projector)
        } catch {
            internalError("recording a filter decision failed", connection: connection, metadata: ["error": "\(error)"])
        }
    }

    // MARK: Delivery

    private func deliver(_ message: SMTPSession.Message, connection: Connection<SMTPFrame>) async -> SMTPSession.DeliveryOutcome {
        let now = Int64(clock_realtime_microseconds())
        let date = MailDate(secondsSince1970: now / 1_000_000)
        let hostname = configuration.hostname
        var bytes = message.bytes
        if configuration.role == .submission,
           let completed = SMTPAddedHeaders.completingSubmission(bytes, hostname: hostname, uniqueID: Self.uniqueID(now), date: date) {
            bytes = completed
        }
        let clientIP = connection.remoteAddress?.ipAddress ?? "unknown"
        let listener = configuration.role == .mx ? "mx" : (connection.listener.tls == .implicit ? "submissions" : "submission")
        let mailFrom = message.mailFrom?.address ?? ""
        let envelope = Envelope(
            mailFrom: mailFrom, mailParameters: message.parameters.raw,
            recipients: message.recipients.map {
                EnvelopeRecipient(address: $0.mailbox.address, notify: $0.parameters.notify,
                                  originalRecipient: $0.parameters.originalRecipient, parameters: $0.parameters.raw)
            },
            clientIP: clientIP, clientPort: connection.remoteAddress?.port.map { UInt16(truncatingIfNeeded: $0) },
            helo: message.helo, withProtocol: message.withProtocol, tlsVersion: connection.tls?.version,
            authenticatedUser: message.authentication?.user, authenticationMechanism: message.authentication?.mechanism,
            receivedAt: now, listener: listener)
        let context = context(connection, user: message.authentication?.user)

        // DKIM and DMARC over the bytes as received; a refusal is recorded with the envelope.
        var checks = message.checks
        var authenticationResults: [UInt8] = []
        if configuration.role == .mx, let messagePipeline {
            var facts = InboundFacts(clientIP: IPAddress(clientIP), helo: message.helo, mailFrom: mailFrom,
                                     recipients: message.recipients.map(\.mailbox.address), message: bytes,
                                     tlsVersion: connection.tls?.version, listener: listener)
            facts.receivedAt = now / 1_000_000
            let verdict = await messagePipeline.evaluateMessage(facts, after: message.checks)
            if let reply = verdict.reply {
                await record(verdict.filterDecisions(context: context, received: 0, mailFrom: mailFrom, helo: message.helo,
                                                     recipients: facts.recipients), connection: connection)
                connection.logger.info("message checks refused", metadata: [
                    "from": "\(mailFrom)", "verdict": "\(verdict.action.rawValue)", "reason": "\(verdict.reason)"])
                return .refused(SMTPReply(reply.code, reply.enhanced, reply.text))
            }
            checks = verdict
            // RFC 8601 §5: results claiming to be ours that came with the message are not ours.
            if let renamed = AuthenticationResults.renamingForged(bytes, authservID: hostname) { bytes = renamed }
            // Trusted clients (every check skipped) get none: there is nothing to report.
            let decisions = verdict.decisions.map(\.decision)
            if decisions.contains(where: { ["spf", "dkim", "dmarc"].contains($0.stage) && $0.result != "skipped" }) {
                authenticationResults = AuthenticationResults.field(authservID: hostname, decisions: decisions,
                                                                    mailFrom: mailFrom, helo: message.helo)
            }
        }

        // Each local user once, however many of the recipients lead to them; INBOX ids now,
        // outside the journal's writer thread.
        var local: [(recipient: String, user: UserID, mailbox: MailboxID)] = []
        var outbound: [EnvelopeRecipient] = []
        var seen: Set<UserID> = []
        let junk = checks?.action == .junk
        do {
            // Every local recipient's INBOX in one read.
            let inboxes = try projector.store.mailboxIDs(users: message.recipients.flatMap { recipient -> [UserID] in
                if case .local(let users, _) = recipient.route { return users }
                return []
            }, name: "INBOX")
            for recipient in message.recipients {
                switch recipient.route {
                case .local(let users, let forwardTo):
                    for user in users where !seen.contains(user) {
                        seen.insert(user)
                        // The policy's Junk verdict: the user's \Junk mailbox (RFC 6154), INBOX if they have none.
                        if junk, let junkbox = try projector.store.mailboxes(user: user).first(where: { $0.specialUse.contains("\\Junk") }) {
                            local.append((recipient.mailbox.address, user, junkbox.id))
                            continue
                        }
                        guard let inbox = inboxes[user] else {
                            internalError("a recipient has no INBOX", connection: connection, metadata: ["user": "\(user)"])
                            return .failed
                        }
                        local.append((recipient.mailbox.address, user, inbox))
                    }
                    outbound += forwardTo.map { EnvelopeRecipient(address: $0) }
                case .remote:
                    outbound.append(EnvelopeRecipient(address: recipient.mailbox.address, notify: recipient.parameters.notify,
                                                      originalRecipient: recipient.parameters.originalRecipient))
                }
            }
        } catch {
            internalError("reading recipients' mailboxes failed", connection: connection, metadata: ["error": "\(error)"])
            return .failed
        }

        let connectionFacts = SMTPAddedHeaders.Connection(
            helo: message.helo, clientIP: clientIP, tlsVersion: connection.tls?.version,
            authenticatedAccount: message.authentication?.account, withProtocol: message.withProtocol)
        let received = MessageReceived(context: context, envelope: envelope, message: bytes)
        let deliveries = local, forwards = outbound, finalChecks = checks, addedResults = authenticationResults
        let derive: @Sendable (UInt64) -> [any EventBody] = { first in
            let id = String(first)
            var events: [any EventBody] = deliveries.map { delivery in
                let header = SMTPAddedHeaders.returnPath(mailFrom) + addedResults
                    + SMTPAddedHeaders.received(connectionFacts, by: hostname, id: id, recipient: delivery.recipient, date: date)
                return MessageDelivered(context: context, received: first, recipient: delivery.recipient, user: delivery.user,
                                        mailbox: delivery.mailbox, addedHeader: header)
            }
            if !forwards.isEmpty {
                let header = SMTPAddedHeaders.received(connectionFacts, by: hostname, id: id,
                                                       recipient: forwards.count == 1 ? forwards[0].address : nil, date: date)
                events.append(OutboundQueued(context: context, received: first, mailFrom: mailFrom, recipients: forwards, addedHeader: header))
            }
            // The decisions name the message they are about: same batch, `received` = its number.
            events += finalChecks?.filterDecisions(context: context, received: first) ?? []
            return events
        }
        do {
            let sequences = try await journal.append(events: [received], derived: derive, applyingWith: projector)
            connection.logger.info("message accepted", metadata: [
                "id": "\(sequences[0])", "from": "\(mailFrom)", "recipients": "\(message.recipients.count)",
                "size": "\(bytes.count)", "local": "\(local.count)", "outbound": "\(outbound.count)",
                "checks": "\(checks.map { "\($0.action.rawValue) (\($0.reason))" } ?? "none")"])
            return .accepted(id: String(sequences[0]))
        } catch {
            internalError("recording a message failed", connection: connection, metadata: ["error": "\(error)"])
            return .failed
        }
    }

    /// A Message-ID left part: time and randomness, unique without coordination.
    static func uniqueID(_ now: Int64) -> String {
        String(UInt64(now), radix: 36) + "." + String(UInt64.random(in: .min ... .max), radix: 36)
    }

    @discardableResult
    private func internalError(_ message: Logger.Message, connection: Connection<SMTPFrame>, metadata: Logger.Metadata) -> String {
        let id = String(UInt32.random(in: .min ... .max), radix: 16)
        var metadata = metadata
        metadata["errorID"] = "\(id)"
        connection.logger.error(message, metadata: metadata)
        metrics?.error(protocol: connection.listener.name, kind: .internal)
        return id
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Microseconds since the Unix epoch (the journal's time base).
func clock_realtime_microseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return UInt64(ts.tv_sec) * 1_000_000 + UInt64(ts.tv_nsec) / 1000
}
