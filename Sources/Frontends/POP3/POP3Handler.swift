public import Journal
public import Logging
public import NIOCore
public import Projections

/// The POP3 front-end (RFC 1939, RFC 2449, RFC 2595 STLS, RFC 5034 SASL) for the shared
/// `Server`: 110 with STLS (`TLSMode.startTLS`) and 995 with implicit TLS. The maildrop is the
/// user's INBOX projection; DELE marks, and QUIT turns the marks into one `MessagesExpunged`
/// event whose `+OK` is sent only after the event is durable and applied (DESIGN.md invariant 2).
///
/// Give the listener at least `POP3Limits.idleTimeout` of idle time (`POP3Handler.timeouts`).
public struct POP3Handler: ConnectionHandler {
    public let journal: Journal
    public let projector: Projector
    public let authenticator: Authenticator
    public let locks: MaildropLocks
    public let metrics: RoostMetrics?
    public let logger: Logger

    /// Timeouts for POP3 listeners: RFC 1939 §3's 10-minute autologout minimum.
    public static let timeouts = ConnectionTimeouts(idle: POP3Limits.idleTimeout, command: .seconds(120), tlsHandshake: .seconds(30))

    public init(journal: Journal, projector: Projector, authenticator: Authenticator, locks: MaildropLocks,
                metrics: RoostMetrics? = nil, logger: Logger) {
        self.journal = journal
        self.projector = projector
        self.authenticator = authenticator
        self.locks = locks
        self.metrics = metrics
        self.logger = logger
    }

    public func makeFrameDecoder() -> LineFrameDecoder {
        LineFrameDecoder(maximumLength: POP3Limits.lineLength)
    }

    /// RFC 1939 §3: on the autologout timer the server closes "without entering the UPDATE
    /// state", so nothing marked is deleted.
    public func farewell(for reason: CloseReason) -> String? {
        switch reason {
        case .idleTimeout, .commandTimeout: "-ERR autologout timer expired, no messages deleted\r\n"
        case .tooManyConnections, .tooManyConnectionsFromAddress: "-ERR [SYS/TEMP] too many connections, try again later\r\n"
        case .shutdown: "-ERR [SYS/TEMP] server shutting down, no messages deleted\r\n"
        case .malformedInput: "-ERR line too long or not terminated by CRLF\r\n"
        case .inputAfterStartTLS, .tlsHandshakeFailed, .transportError: nil
        }
    }

    public func handle(connection: Connection<ByteBuffer>) async throws {
        var lease: MaildropLocks.Lease?
        do {
            try await serve(connection, lease: &lease)
        } catch {
            if let lease { await locks.release(lease) }
            throw error
        }
        if let lease { await locks.release(lease) }
    }

    private func serve(_ connection: Connection<ByteBuffer>, lease: inout MaildropLocks.Lease?) async throws {
        let name = connection.listener.name
        var session = POP3Session(environment: .init(
            tlsActive: connection.isTLS, startTLSAvailable: connection.canStartTLS,
            plaintextAllowed: authenticator.policy.allowPlaintextWithoutTLS))
        var maildropUser: UserID?
        try await write(POP3Session.greeting, to: connection)

        while let frame = try await connection.next() {
            let parsed = POP3CommandParser.parse(frame.readableBytesView)
            metrics?.command(protocol: name, (try? parsed.get())?.verb ?? "unknown")
            if case .failure = parsed { metrics?.error(protocol: name, kind: .syntax) }
            var pending = session.command(parsed)
            while !pending.isEmpty {
                let action = pending.removeFirst()
                switch action {
                case .reply(let response):
                    // Syntax errors are counted above and internal ones where they happen.
                    if case .err(let code, _) = response, code != .sysTemp, case .success = parsed {
                        metrics?.error(protocol: name, kind: .user)
                    }
                    try await write(response, to: connection)
                case .close:
                    await connection.close()
                    return
                case .startTLS(let goAhead):
                    do {
                        try await connection.startTLS(reply: String(decoding: POP3Encoder.encode(goAhead), as: UTF8.self))
                    } catch {
                        // Input after STLS (closed by the connection) or a failed handshake:
                        // execute nothing more.
                        connection.logger.info("STLS failed", metadata: ["error": "\(error)"])
                        return
                    }
                    pending += session.tlsStarted()
                case .authenticate(let username, let password):
                    let result = await authenticator.authenticate(username: username, password: password, client: connection.client, protocol: name)
                    pending += session.authenticationFinished(Self.outcome(result))
                case .authenticateSASL(let mechanism, let initialResponse):
                    guard let outcome = try await sasl(connection, mechanism: mechanism, initialResponse: initialResponse) else { return }
                    pending += session.authenticationFinished(outcome)
                case .openMaildrop(let account):
                    let (outcome, acquired) = await openMaildrop(account: account, connection: connection)
                    if let acquired {
                        lease = acquired
                        maildropUser = acquired.user
                    }
                    pending += session.maildropOpened(outcome)
                case .retrieve(let info, let number, let lines):
                    try await retrieve(info, number: number, lines: lines, connection: connection)
                case .releaseMaildrop:
                    if let held = lease {
                        await locks.release(held)
                        lease = nil
                    }
                case .expunge(let mailbox, let messages):
                    let succeeded = await expunge(mailbox: mailbox, messages: messages, user: maildropUser, connection: connection)
                    pending += session.deletionsCommitted(succeeded, count: messages.count)
                }
            }
        }
    }

    private func write(_ response: POP3Response, to connection: Connection<ByteBuffer>) async throws {
        try await connection.write(ByteBuffer(bytes: POP3Encoder.encode(response)))
    }

    static func outcome(_ result: Authenticator.Result) -> POP3Session.AuthenticationOutcome {
        switch result {
        case .success(let account): .success(account: account)
        case .failure: .failure
        case .refused: .refused
        case .unavailable: .unavailable
        }
    }

    /// RFC 5034 §4: challenges are "+ " and base64; the client answers with base64 or "*".
    /// Returns nil when the client went away mid-exchange.
    private func sasl(_ connection: Connection<ByteBuffer>, mechanism: String, initialResponse: String?) async throws -> POP3Session.AuthenticationOutcome? {
        let outcome = try await authenticator.exchange(
            mechanism: mechanism, initialResponse: initialResponse, client: connection.client, protocol: connection.listener.name
        ) { challenge in
            try await write(.challenge(challenge), to: connection)
            guard let line = try await connection.next() else { return .gone }
            return .response(String(decoding: line.readableBytesView, as: UTF8.self))
        }
        return switch outcome {
        case nil: nil
        case .failed(let failure): .exchangeFailed(failure)
        case .verified(let result, _): Self.outcome(result)
        }
    }

    /// Takes the lock, then snapshots the INBOX. On failure the lock is given back here.
    private func openMaildrop(account: String, connection: Connection<ByteBuffer>) async -> (POP3Session.MaildropOutcome, MaildropLocks.Lease?) {
        let store = projector.store
        let user: UserInfo
        do {
            guard let found = try store.user(address: account) else {
                internalError("authenticated account has no user", connection: connection, metadata: ["account": "\(account)"])
                return (.unavailable, nil)
            }
            user = found
        } catch {
            internalError("reading the user failed", connection: connection, metadata: ["error": "\(error)"])
            return (.unavailable, nil)
        }
        guard let lease = await locks.acquire(user.id) else { return (.inUse, nil) }
        do {
            guard let inbox = try store.mailbox(user: user.id, name: "INBOX") else {
                return (.opened(POP3Maildrop(user: user.id, mailbox: nil, uidValidity: 0, messages: [])), lease)
            }
            let messages = try store.messages(mailbox: inbox.id)
            return (.opened(POP3Maildrop(user: user.id, mailbox: inbox.id, uidValidity: inbox.uidValidity, messages: messages)), lease)
        } catch {
            await locks.release(lease)
            internalError("reading the INBOX failed", connection: connection, metadata: ["error": "\(error)"])
            return (.unavailable, nil)
        }
    }

    private func retrieve(_ info: MessageInfo, number: Int, lines: Int?, connection: Connection<ByteBuffer>) async throws {
        let stored: [UInt8]
        do {
            stored = try StoredMessage.bytes(of: info, from: journal)
        } catch {
            let id = internalError("reading a message failed", connection: connection, metadata: ["uid": "\(info.uid)", "error": "\(error)"])
            try await write(.err(.sysTemp, "cannot read message \(number), try again later (\(id))"), to: connection)
            return
        }
        if let lines {
            try await write(.content("top of message follows", POP3Encoder.top(POP3Encoder.crlf(stored), lines: lines)), to: connection)
            return
        }
        // RETR: the stored bytes go out in pieces, made CRLF and stuffed on the way, each write
        // but the last waiting while the channel is not writable. The +OK line rides in the first
        // piece, so a message of one piece is one write: one hop to the event loop, one flush,
        // one segment (a separate +OK write cost the client a round of waiting per message).
        var out = POP3Encoder.encode(.ok("\(POP3Encoder.crlfCount(stored)) octets"))
        out.reserveCapacity(out.count + POP3Limits.writeChunk + POP3Limits.writeChunk / 2 + 8)
        var stuffer = POP3ContentStuffer()
        var piece = stored.startIndex
        repeat {
            let end = min(piece + POP3Limits.writeChunk, stored.endIndex)
            stuffer.append(stored[piece..<end], into: &out)
            if end == stored.endIndex {
                stuffer.finish(into: &out)
                try await connection.write(ByteBuffer(bytes: out))
            } else {
                try await connection.writePiece(ByteBuffer(bytes: out))
                out.removeAll(keepingCapacity: true)
            }
            piece = end
        } while piece < stored.endIndex
    }

    /// The UPDATE state (RFC 1939 §6): one `MessagesExpunged` event, fsync'd and applied.
    private func expunge(mailbox: MailboxID, messages: [MessageRef], user: UserID?, connection: Connection<ByteBuffer>) async -> Bool {
        let context = EventContext(actor: user.map { .user($0) } ?? .system("pop3"), proto: "pop3",
                                   clientAddress: connection.remoteAddress?.ipAddress)
        do {
            let sequences = try await journal.append(events: [MessagesExpunged(context: context, mailbox: mailbox, messages: messages)],
                                                     applyingWith: projector)
            connection.logger.info("messages expunged at QUIT", metadata: ["count": "\(messages.count)", "seq": "\(sequences.first ?? 0)"])
            return true
        } catch {
            internalError("expunge at QUIT failed", connection: connection, metadata: ["error": "\(error)"])
            return false
        }
    }

    @discardableResult
    private func internalError(_ message: Logger.Message, connection: Connection<ByteBuffer>, metadata: Logger.Metadata) -> String {
        let id = String(UInt32.random(in: .min ... .max), radix: 16)
        var metadata = metadata
        metadata["errorID"] = "\(id)"
        connection.logger.error(message, metadata: metadata)
        metrics?.error(protocol: connection.listener.name, kind: .internal)
        return id
    }
}
