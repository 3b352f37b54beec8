import Journal
import Logging
import MailMessage
import NIOCore
import Projections

/// One IMAP connection's session: reads commands (assembling literals), checks them against
/// the state (`IMAPState`), performs them against the journal and projections, and writes the
/// responses. Owned by the connection's task; the per-area work is in the extensions
/// (`+Mailboxes`, `+Messages`, `+Fetch`, `+Search`, `+Idle`).
final class IMAPSession {
    let handler: IMAPHandler
    let connection: Connection<IMAPFrame>
    var state: IMAPState
    var selected: SelectedMailbox?
    /// The projection's messages of the selected mailbox, brought up to date by `refreshListing`.
    var listing: MailboxListing? { didSet { listingCurrent = nil } }
    /// The projector's last change to the selected mailbox when `listing` was last brought up to
    /// date, and the mailbox then: while the projector reports no newer change, `refreshListing`
    /// has nothing to read (most commands of a session alone in its mailbox).
    var listingCurrent: (change: UInt64, mailbox: MailboxInfo)?
    /// The selected mailbox's HIGHESTMODSEQ and message count when the client was last brought
    /// up to date: when both are unchanged there is nothing to tell.
    var synchronizedAt: (modseq: UInt64, count: Int)?
    var output: [UInt8] = []
    var consecutiveErrors = 0
    var closed = false

    var journal: Journal { handler.journal }
    var store: ProjectionStore { handler.projector.store }
    var logger: Logger { connection.logger }
    var protocolName: String { connection.listener.name }

    init(handler: IMAPHandler, connection: Connection<IMAPFrame>) {
        self.handler = handler
        self.connection = connection
        state = IMAPState(tlsActive: connection.isTLS, startTLSAvailable: connection.canStartTLS,
                          plaintextAllowed: handler.authenticator.policy.allowPlaintextWithoutTLS)
    }

    /// What `readCommand` assembled.
    enum Input {
        case command([UInt8])
        /// A synchronizing literal above the limit: the client waits for our answer.
        case literalRefused(tag: String?, size: Int)
        case overlongLine(tag: String?)
    }

    // MARK: The loop

    func run() async throws {
        send(.status(.ok, code: "CAPABILITY " + state.capabilities.joined(separator: " "), text: "Roost IMAP server ready"))
        try await flush()
        while !closed, let input = try await readCommand() {
            switch input {
            case .command(let bytes):
                switch IMAPParser.parse(bytes, utf8Accept: state.utf8Accept) {
                case .success(let (tag, command)):
                    handler.metrics?.command(protocol: protocolName, command.name)
                    do {
                        try await execute(tag: tag, command)
                    } catch is ClientGone {
                        return
                    } catch {
                        let id = internalError("command failed", metadata: ["command": "\(command.name)", "error": "\(error)"])
                        send(.tagged(tag, .no, code: "SERVERBUG", text: "internal error, try again later (\(id))"))
                    }
                case .failure(let failure):
                    handler.metrics?.command(protocol: protocolName, "unknown")
                    bad(failure.tag, failure.hint)
                }
            case .literalRefused(let tag, let size):
                // RFC 7889 §4: [TOOBIG] for a message above APPENDLIMIT.
                no(tag ?? "*", code: "TOOBIG", "literal of \(size) octets is larger than \(IMAPLimits.appendLimit)")
            case .overlongLine(let tag):
                bad(tag, "command line too long (limit \(IMAPLimits.lineLength) octets)")
            }
            try await flush()
        }
    }

    /// Thrown when the client disconnected in the middle of a command (AUTHENTICATE, IDLE).
    struct ClientGone: Error {}

    /// One command: its lines and literals in wire form. Sends `+` for each accepted
    /// synchronizing literal (RFC 9051 §7.6); nil when the connection has ended.
    func readCommand() async throws -> Input? {
        var bytes: [UInt8] = []
        while let frame = try await connection.next() {
            switch frame {
            case .line(let line, let literal):
                bytes += line.readableBytesView
                guard let literal else { return .command(bytes) }
                guard literal.accepted else { return .literalRefused(tag: IMAPParser.tag(of: bytes), size: literal.size) }
                bytes += [13, 10]
                if literal.synchronizing {
                    send(.continuation("Ready for literal data"))
                    try await flush()
                }
            case .literalBytes(let piece):
                bytes += piece.readableBytesView
            case .overlongLine(let start):
                return .overlongLine(tag: IMAPParser.tag(of: Array(start.readableBytesView)))
            }
        }
        return nil
    }

    // MARK: Writing

    func send(_ response: IMAPResponse) {
        IMAPEncoder.encode(response, into: &output)
    }

    func sendRaw(_ bytes: [UInt8]) {
        output += bytes
    }

    func flush() async throws {
        guard !output.isEmpty else { return }
        let bytes = output
        output = []
        try await connection.write(ByteBuffer(bytes: bytes))
    }

    /// Flushes when enough is buffered (big FETCH responses go out in pieces).
    func flushIfLarge() async throws {
        if output.count >= IMAPLimits.writeChunk { try await flush() }
    }

    // MARK: Replies

    func ok(_ tag: String, code: String? = nil, _ text: String) {
        consecutiveErrors = 0
        send(.tagged(tag, .ok, code: code, text: text))
    }

    func no(_ tag: String, code: String? = nil, _ text: String) {
        handler.metrics?.error(protocol: protocolName, kind: .user)
        countError()
        send(.tagged(tag, .no, code: code, text: text))
    }

    func bad(_ tag: String?, _ text: String) {
        handler.metrics?.error(protocol: protocolName, kind: .syntax)
        countError()
        if let tag { send(.tagged(tag, .bad, code: nil, text: text)) } else { send(.status(.bad, code: nil, text: text)) }
    }

    private func countError() {
        consecutiveErrors += 1
        if consecutiveErrors >= IMAPLimits.consecutiveErrors {
            send(.status(.bye, code: nil, text: "too many errors, closing"))
            closed = true
        }
    }

    @discardableResult
    func internalError(_ message: Logger.Message, metadata: Logger.Metadata) -> String {
        let id = String(UInt32.random(in: .min ... .max), radix: 16)
        var metadata = metadata
        metadata["errorID"] = "\(id)"
        logger.error(message, metadata: metadata)
        handler.metrics?.error(protocol: protocolName, kind: .internal)
        return id
    }

    var eventContext: EventContext {
        EventContext(actor: state.user.map { .user($0) } ?? .system("imap"), proto: "imap",
                     clientAddress: connection.remoteAddress?.ipAddress)
    }

    /// Appends events and waits until they are applied: the tagged OK may follow.
    @discardableResult
    func record(_ events: [any EventBody]) async throws -> [UInt64] {
        let sequences = try await journal.append(events: events, applyingWith: handler.projector)
        // One line per state change, with the journal sequence number (DESIGN.md, operation).
        logger.info("recorded", metadata: ["events": "\(events.map { type(of: $0).type.description }.joined(separator: ","))",
                                           "seq": "\(sequences.first ?? 0)"])
        return sequences
    }

    // MARK: Dispatch

    func execute(tag: String, _ command: IMAPCommand) async throws {
        guard state.allows(command) else {
            bad(tag, "\(command.name) is not valid in this state")
            return
        }
        switch state.utf8 ? command : Self.fromModifiedUTF7(command) {
        case .capability:
            send(.data(Array(("CAPABILITY " + state.capabilities.joined(separator: " ")).utf8)))
            try await done(tag, command, "CAPABILITY completed")
        case .noop, .check:
            try await done(tag, command, "\(command.name) completed")
        case .logout:
            send(.status(.bye, code: nil, text: "Roost IMAP server logging out"))
            ok(tag, "LOGOUT completed")
            state.phase = .logout
            try await flush()
            await connection.close()
            closed = true
        case .startTLS:
            try await startTLS(tag)
        case .login(let user, let password):
            guard state.passwordsPermitted else {
                no(tag, code: "PRIVACYREQUIRED", "LOGIN is disabled without TLS; use STARTTLS")
                return
            }
            let result = await handler.authenticator.authenticate(username: user, password: password, client: connection.client, protocol: protocolName)
            try await authenticated(tag, result)
        case .authenticate(let mechanism, let initial):
            try await authenticate(tag, mechanism: mechanism, initialResponse: initial)
        case .enable(let capabilities):
            var enabled: [String] = []
            if capabilities.contains("IMAP4REV2"), !state.rev2 {
                state.rev2 = true
                enabled.append("IMAP4rev2")
            }
            if capabilities.contains("UTF8=ACCEPT"), !state.utf8Accept {
                state.utf8Accept = true
                enabled.append("UTF8=ACCEPT")
            }
            enabled += enableResync(capabilities)
            send(.data(Array((["ENABLED"] + enabled).joined(separator: " ").utf8)))
            ok(tag, "ENABLE completed")
        case .id:
            // RFC 2971: the server's identity; the client's is only logged.
            send(.data(Array("ID (\"name\" \"Roost\" \"vendor\" \"Roost\")".utf8)))
            ok(tag, "ID completed")
        case .namespace:
            send(.data(Array("NAMESPACE ((\"\" \"/\")) NIL NIL".utf8)))
            try await done(tag, command, "NAMESPACE completed")
        case .select(let name, let readOnly, let parameters): try await select(tag, name, readOnly: readOnly, parameters: parameters)
        case .create(let name, let specialUse): try await create(tag, name, specialUse: specialUse, command)
        case .delete(let name): try await delete(tag, name, command)
        case .rename(let from, let to): try await rename(tag, from, to, command)
        case .subscribe(let name): try await subscribe(tag, name, true, command)
        case .unsubscribe(let name): try await subscribe(tag, name, false, command)
        case .list(let reference, let patterns, let subscribedOnly, let specialUseOnly, let returnSubscribed, let returnSpecialUse, _, let returnStatus,
                   let recursiveMatch):
            try await list(tag, reference: reference, patterns: patterns, subscribedOnly: subscribedOnly, specialUseOnly: specialUseOnly,
                           recursiveMatch: recursiveMatch, returnSubscribed: returnSubscribed, returnSpecialUse: returnSpecialUse,
                           returnStatus: returnStatus, command)
        case .lsub(let reference, let pattern): try await lsub(tag, reference: reference, pattern: pattern, command)
        case .status(let name, let items):
            // STATUS (HIGHESTMODSEQ) is a CONDSTORE enabling command (RFC 7162 §3.1).
            if items.contains(.highestModseq) { try enableCondStore() }
            try await status(tag, name, items, command)
        case .append(let name, let flags, let date, let zone, let message):
            try await append(tag, name, flags: flags, date: date, zoneMinutes: zone, message: message, command)
        case .idle: try await idle(tag)
        case .close, .unselect:
            if case .close = command, let current = selected, !current.readOnly {
                // RFC 9051 §6.4.1: CLOSE expunges \Deleted messages silently.
                let deleted = try currentMessages().filter { $0.flags.contains("\\Deleted") }
                if !deleted.isEmpty {
                    try await record([MessagesExpunged(context: eventContext, mailbox: current.mailbox, messages: deleted.map(\.ref))])
                }
            }
            deselect()
            ok(tag, "\(command.name) completed")
        case .expunge: try await expunge(tag, only: nil, command)
        case .uidExpunge(let set): try await expunge(tag, only: set, command)
        case .search(let key, let returns, let uid): try await search(tag, key, returns: returns, uid: uid, command)
        case .fetch(let set, let attributes, let uid, let modifiers):
            try await fetch(tag, set, attributes, uid: uid, modifiers: modifiers, command)
        case .store(let set, let operation, let uid):
            // With CONDSTORE on (or asked for by UNCHANGEDSINCE), STORE answers with MODSEQs.
            if state.condStore || operation.unchangedSince != nil {
                try await conditionalStore(tag, set, operation, uid: uid, command)
            } else {
                try await storeFlags(tag, set, operation, uid: uid, command)
            }
        case .copy(let set, let name, let uid): try await transfer(tag, set, to: name, uid: uid, move: false, command)
        case .move(let set, let name, let uid): try await transfer(tag, set, to: name, uid: uid, move: true, command)
        }
    }

    /// IMAP4rev1 clients name mailboxes in modified UTF-7 (RFC 3501 §5.1.3); names that are not
    /// valid modified UTF-7 are taken as they are.
    static func fromModifiedUTF7(_ command: IMAPCommand) -> IMAPCommand {
        func d(_ name: String) -> String { ModifiedUTF7.decode(name) ?? name }
        switch command {
        case .select(let n, let readOnly, let parameters): return .select(d(n), readOnly: readOnly, parameters: parameters)
        case .create(let n, let specialUse): return .create(d(n), specialUse: specialUse)
        case .delete(let n): return .delete(d(n))
        case .rename(let a, let b): return .rename(d(a), to: d(b))
        case .subscribe(let n): return .subscribe(d(n))
        case .unsubscribe(let n): return .unsubscribe(d(n))
        case .status(let n, let items): return .status(d(n), items)
        case .append(let n, let flags, let date, let zone, let message): return .append(d(n), flags: flags, date: date, zoneMinutes: zone, message: message)
        case .copy(let set, let n, let uid): return .copy(set, d(n), uid: uid)
        case .move(let set, let n, let uid): return .move(set, d(n), uid: uid)
        case .lsub(let reference, let pattern): return .lsub(reference: d(reference), pattern: d(pattern))
        case .list(let reference, let patterns, let a, let b, let c, let e, let f, let g, let h):
            return .list(reference: d(reference), pattern: patterns.map(d), subscribedOnly: a, specialUseOnly: b,
                         returnSubscribed: c, returnSpecialUse: e, returnChildren: f, returnStatus: g, recursiveMatch: h)
        default: return command
        }
    }

    /// Tells the client what changed in the selected mailbox, then `tag OK text`.
    func done(_ tag: String, _ command: IMAPCommand, code: String? = nil, _ text: String) async throws {
        try synchronize(expungeAllowed: command.allowsExpungeResponses, includeUID: isUIDCommand(command))
        ok(tag, code: code, text)
    }

    func isUIDCommand(_ command: IMAPCommand) -> Bool {
        switch command {
        case .fetch(_, _, let uid, _), .store(_, _, let uid), .search(_, _, let uid), .copy(_, _, let uid), .move(_, _, let uid): uid
        case .uidExpunge: true
        default: false
        }
    }

    /// Brings the client up to date with the selected mailbox (EXPUNGE/EXISTS/FETCH FLAGS).
    func synchronize(expungeAllowed: Bool, includeUID: Bool = false) throws {
        guard selected != nil else { return }
        guard let info = try refreshListing() else {
            // Deleted by another session: RFC 9051 §7.1.5 lets the server end the session.
            send(.status(.bye, code: nil, text: "the selected mailbox was deleted"))
            closed = true
            return
        }
        guard var current = selected, let listing else { return }
        if let at = synchronizedAt, at.modseq == info.highestModseq, current.name == info.name {
            return
        }
        // Taken out while it changes, so that its arrays are not copied (copy on write).
        selected = nil
        current.name = info.name
        let highest = current.uids.last ?? 0
        for response in current.synchronize(with: listing.messages, expungeAllowed: expungeAllowed, includeUID: includeUID,
                                            modseq: state.condStore, vanished: state.qresync) { send(response) }
        // RFC 3501 §7.3.2: RECENT when the mailbox grew (IMAP4rev1 sessions).
        if !state.rev2, current.uids.last ?? 0 > highest { send(current.updateRecent(handler.recent)) }
        selected = current
        // Only a full catch-up (expunges told too) lets the next check skip the work.
        synchronizedAt = current.expungedPending.isEmpty ? (info.highestModseq, listing.count) : nil
        try reportHeldBackExpunges()
    }

    /// Brings `listing` up to date with the projection (only what changed since it was last read)
    /// and returns the selected mailbox as it is now; nil when it no longer exists.
    @discardableResult
    func refreshListing() throws -> MailboxInfo? {
        guard let mailbox = selected?.mailbox, let since = listing?.modseq else { return nil }
        // Taken before the read: a change applied meanwhile makes the next call read again.
        let change = handler.projector.lastChange(of: mailbox)
        if let current = listingCurrent, current.change == change { return current.mailbox }
        let changes = try store.changes(mailbox: mailbox, since: since)
        guard let info = changes.mailbox else { return nil }
        // In place: the listing of a big mailbox is not copied.
        listing?.apply(changed: changes.changed, expunged: changes.expunged, through: info.highestModseq)
        listingCurrent = (change, info)
        return info
    }

    /// The selected mailbox's messages now, in UID order (empty once it was deleted).
    func currentMessages() throws -> [MessageInfo] {
        guard try refreshListing() != nil else { return [] }
        return listing?.messages ?? []
    }

    func deselect() {
        selected = nil
        listing = nil
        synchronizedAt = nil
        if case .selected(let user, let account) = state.phase { state.phase = .authenticated(user: user, account: account) }
    }

    // MARK: STARTTLS and authentication

    private func startTLS(_ tag: String) async throws {
        if state.tlsActive {
            bad(tag, "TLS is already active")
            return
        }
        guard state.startTLSAvailable else {
            no(tag, "STARTTLS is not available")
            return
        }
        try await flush()
        do {
            try await connection.startTLS(reply: "\(tag) OK Begin TLS negotiation now\r\n")
        } catch {
            // Input after STARTTLS (the connection is closed) or a failed handshake: run nothing more.
            logger.info("STARTTLS failed", metadata: ["error": "\(error)"])
            closed = true
            throw ClientGone()
        }
        // RFC 9051 §6.2.1: forget what was learnt before TLS; capabilities change.
        state.tlsActive = true
        state.startTLSAvailable = false
    }

    private func authenticate(_ tag: String, mechanism: String, initialResponse: String?) async throws {
        guard state.passwordsPermitted else {
            no(tag, code: "PRIVACYREQUIRED", "authentication is disabled without TLS; use STARTTLS")
            return
        }
        let outcome = try await handler.authenticator.exchange(
            mechanism: mechanism, initialResponse: initialResponse, client: connection.client, protocol: protocolName
        ) { challenge in
            // RFC 9051 §6.2.2: "+ " base64; the client answers with a line of base64 or "*".
            send(.continuation(challenge))
            try await flush()
            guard let frame = try await connection.next() else { return .gone }
            guard case .line(let line, nil) = frame else { return .malformed }
            return .response(String(decoding: line.readableBytesView, as: UTF8.self))
        }
        switch outcome {
        case nil:
            throw ClientGone()
        case .failed(.unsupportedMechanism):
            no(tag, "unsupported authentication mechanism")
        case .failed(.cancelled):
            bad(tag, "authentication cancelled")
        case .failed(.authorizationDenied):
            no(tag, code: "AUTHORIZATIONFAILED", "authorization identity not allowed")
        case .failed:
            bad(tag, "malformed authentication response")
        case .verified(let result, _):
            try await authenticated(tag, result)
        }
    }

    private func authenticated(_ tag: String, _ result: Authenticator.Result) async throws {
        switch result {
        case .success(let account):
            guard let user = try store.user(address: account) else {
                let id = internalError("authenticated account has no user", metadata: ["account": "\(account)"])
                no(tag, code: "UNAVAILABLE", "account unavailable (\(id))")
                return
            }
            state.phase = .authenticated(user: user.id, account: account)
            logger.info("authenticated", metadata: ["account": "\(account)"])
            ok(tag, code: "CAPABILITY " + state.capabilities.joined(separator: " "), "authenticated")
        case .failure:
            no(tag, code: "AUTHENTICATIONFAILED", "invalid user name or password")
        case .refused:
            no(tag, code: "UNAVAILABLE", "too many failed logins, try again later")
        case .unavailable:
            no(tag, code: "UNAVAILABLE", "temporary authentication failure")
        }
    }
}
