public import Journal
public import Logging
public import NIOCore
public import Projections

/// The ManageSieve front-end (RFC 5804, port 4190, STARTTLS) for the shared `Server`. Script
/// changes are journal events; their `OK` is sent only once the event is durable and applied
/// (DESIGN.md invariant 2).
public struct ManageSieveHandler: ConnectionHandler {
    public let journal: Journal
    public let projector: Projector
    public let authenticator: Authenticator
    public let metrics: RoostMetrics?
    public let logger: Logger
    let writer: ScriptWriter

    public init(journal: Journal, projector: Projector, authenticator: Authenticator, metrics: RoostMetrics? = nil, logger: Logger) {
        self.journal = journal
        self.projector = projector
        self.authenticator = authenticator
        self.metrics = metrics
        self.logger = logger
        self.writer = ScriptWriter(journal: journal, projector: projector)
    }

    public func makeFrameDecoder() -> ManageSieveFrameDecoder { ManageSieveFrameDecoder() }

    public func farewell(for reason: CloseReason) -> String? {
        switch reason {
        case .idleTimeout, .commandTimeout: "BYE \"idle for too long\"\r\n"
        case .tooManyConnections, .tooManyConnectionsFromAddress: "BYE (TRYLATER) \"too many connections\"\r\n"
        case .shutdown: "BYE (TRYLATER) \"server shutting down\"\r\n"
        case .malformedInput: "BYE \"line too long\"\r\n"
        case .inputAfterStartTLS, .tlsHandshakeFailed, .transportError: nil
        }
    }

    public func handle(connection: Connection<ManageSieveFrame>) async throws {
        let name = connection.listener.name
        var session = ManageSieveSession(environment: .init(
            tlsActive: connection.isTLS, startTLSAvailable: connection.canStartTLS,
            plaintextAllowed: authenticator.policy.allowPlaintextWithoutTLS))
        try await perform(session.greeting, session: &session, connection: connection)
        while let frame = try await connection.next() {
            let parsed = ManageSieveCommandParser.parse(frame)
            metrics?.command(protocol: name, (try? parsed.get())?.verb ?? "unknown")
            if case .failure = parsed { metrics?.error(protocol: name, kind: .syntax) }
            let actions = session.command(parsed)
            if try await !perform(actions, session: &session, connection: connection) { return }
        }
    }

    /// Runs actions (and the ones their outcomes lead to); false once the connection is over.
    @discardableResult
    private func perform(_ actions: [ManageSieveSession.Action], session: inout ManageSieveSession,
                         connection: Connection<ManageSieveFrame>) async throws -> Bool {
        var pending = actions
        while !pending.isEmpty {
            switch pending.removeFirst() {
            case .reply(let response):
                try await write(response, to: connection)
            case .close:
                await connection.close()
                return false
            case .startTLS(let goAhead):
                do {
                    try await connection.startTLS(reply: String(decoding: ManageSieveEncoder.encode(goAhead), as: UTF8.self))
                } catch {
                    // Input after STARTTLS (closed by the connection) or a failed handshake.
                    connection.logger.info("STARTTLS failed", metadata: ["error": "\(error)"])
                    return false
                }
                pending += session.tlsStarted()
            case .authenticate(let mechanism, let initialResponse):
                guard let outcome = try await sasl(connection, mechanism: mechanism, initialResponse: initialResponse) else { return false }
                pending += session.authenticationFinished(outcome)
            case .scripts(let request, let account):
                for response in await scripts(request, account: account, connection: connection) {
                    try await write(response, to: connection)
                }
            }
        }
        return true
    }

    private func write(_ response: ManageSieveResponse, to connection: Connection<ManageSieveFrame>) async throws {
        try await connection.write(ByteBuffer(bytes: ManageSieveEncoder.encode(response)))
    }

    /// RFC 5804 §2.1: challenges and responses are strings holding base64; "*" cancels.
    private func sasl(_ connection: Connection<ManageSieveFrame>, mechanism: String,
                      initialResponse: String?) async throws -> ManageSieveSession.AuthenticationOutcome? {
        let outcome = try await authenticator.exchange(
            mechanism: mechanism, initialResponse: initialResponse.map { $0.isEmpty ? "=" : $0 },
            client: connection.client, protocol: connection.listener.name
        ) { challenge in
            try await write(.challenge(challenge), to: connection)
            guard let frame = try await connection.next() else { return .gone }
            guard frame.problem == nil, frame.tokens.count == 1, case .string(let bytes) = frame.tokens[0] else { return .malformed }
            return .response(String(decoding: bytes, as: UTF8.self))
        }
        return switch outcome {
        case nil: nil
        case .failed(let failure): .exchangeFailed(failure)
        case .verified(.success(let account), _): .success(account: account)
        case .verified(.failure, _): .failure
        case .verified(.refused, _): .refused
        case .verified(.unavailable, _): .unavailable
        }
    }

    private func scripts(_ request: ManageSieveSession.ScriptRequest, account: String,
                         connection: Connection<ManageSieveFrame>) async -> [ManageSieveResponse] {
        let store = projector.store
        do {
            guard let user = try store.user(address: account) else {
                return [internalError("authenticated account has no user", connection: connection, metadata: ["account": "\(account)"])]
            }
            switch request {
            case .list:
                return [.scripts(try store.sieveScripts(user: user.id)), .ok("listscripts completed")]
            case .get(let name):
                guard let script = try store.sieveScript(user: user.id, name: name) else {
                    return [.no("there is no script \(name)", code: .nonexistent)]
                }
                return [.script(script.script), .ok("getscript completed")]
            default:
                let context = EventContext(actor: .user(user.id), proto: "managesieve", clientAddress: connection.remoteAddress?.ipAddress)
                let (response, sequence) = try await writer.perform(request, user: user.id, context: context)
                if let sequence {
                    connection.logger.info("sieve scripts changed", metadata: ["user": "\(account)", "command": "\(request.verb)", "seq": "\(sequence)"])
                }
                return [response]
            }
        } catch {
            return [internalError("sieve script request failed", connection: connection, metadata: ["error": "\(error)"])]
        }
    }

    private func internalError(_ message: Logger.Message, connection: Connection<ManageSieveFrame>,
                               metadata: Logger.Metadata) -> ManageSieveResponse {
        let id = String(UInt32.random(in: .min ... .max), radix: 16)
        var metadata = metadata
        metadata["errorID"] = "\(id)"
        connection.logger.error(message, metadata: metadata)
        metrics?.error(protocol: connection.listener.name, kind: .internal)
        return .no("internal error, try again later (\(id))", code: .tryLater)
    }
}

extension ManageSieveSession.ScriptRequest {
    var verb: String {
        switch self {
        case .list: "LISTSCRIPTS"
        case .get: "GETSCRIPT"
        case .put: "PUTSCRIPT"
        case .haveSpace: "HAVESPACE"
        case .setActive: "SETACTIVE"
        case .delete: "DELETESCRIPT"
        case .rename: "RENAMESCRIPT"
        }
    }
}

/// One writer of script changes at a time, so the rules are checked against the scripts as
/// they are when the change is made (two sessions cannot both delete-then-activate).
actor ScriptWriter {
    let journal: Journal
    let projector: Projector

    init(journal: Journal, projector: Projector) { self.journal = journal; self.projector = projector }

    /// The reply, and the change's sequence number once it is durable and applied.
    func perform(_ request: ManageSieveSession.ScriptRequest, user: UserID,
                 context: EventContext) async throws -> (ManageSieveResponse, UInt64?) {
        let scripts = try projector.store.sieveScripts(user: user)
        switch ManageSieveScriptRules.decide(request, scripts: scripts) {
        case .reply(let response):
            return (response, nil)
        case .change(let change, let response):
            let event: any EventBody = switch change {
            case .store(let name, let script): SieveScriptStored(context: context, user: user, name: name, script: script)
            case .rename(let name, let newName): SieveScriptRenamed(context: context, user: user, name: name, newName: newName)
            case .delete(let name): SieveScriptDeleted(context: context, user: user, name: name)
            case .activate(let name): SieveScriptActivated(context: context, user: user, name: name)
            }
            let sequences = try await journal.append(events: [event], applyingWith: projector)
            return (response, sequences.first)
        }
    }
}
