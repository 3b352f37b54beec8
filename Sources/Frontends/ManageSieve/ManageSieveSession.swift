import Pipeline

/// The ManageSieve session (RFC 5804) as a pure state machine: commands in, actions out. The
/// handler performs the actions (TLS, password checks, projection reads, journal appends) and
/// feeds the outcomes back.
public struct ManageSieveSession: Sendable {
    public struct Environment: Sendable, Hashable {
        public var tlsActive: Bool
        public var startTLSAvailable: Bool
        /// Loopback development profile only: passwords accepted without TLS.
        public var plaintextAllowed: Bool
        public init(tlsActive: Bool, startTLSAvailable: Bool, plaintextAllowed: Bool) {
            self.tlsActive = tlsActive; self.startTLSAvailable = startTLSAvailable; self.plaintextAllowed = plaintextAllowed
        }
    }

    public enum State: Sendable, Hashable {
        case notAuthenticated
        case authenticated(account: String)
        case loggedOut
    }

    public enum AuthenticationOutcome: Sendable, Hashable {
        case success(account: String)
        case failure
        case refused
        case unavailable
        case exchangeFailed(SASLExchange.Failure)
    }

    /// What the handler reads or changes for the logged-in user.
    public enum ScriptRequest: Sendable, Hashable {
        case list
        case get(name: String)
        case put(name: String, script: [UInt8])
        case haveSpace(name: String, size: UInt64)
        case setActive(name: String)
        case delete(name: String)
        case rename(name: String, newName: String)
    }

    public enum Action: Sendable, Hashable {
        case reply(ManageSieveResponse)
        /// Send this OK, then start TLS; call `tlsStarted()` after the handshake.
        case startTLS(ManageSieveResponse)
        case authenticate(mechanism: String, initialResponse: String?)
        case scripts(ScriptRequest, account: String)
        case close
    }

    public private(set) var state: State = .notAuthenticated
    public private(set) var environment: Environment

    public init(environment: Environment) { self.environment = environment }

    var passwordsAllowed: Bool { environment.tlsActive || environment.plaintextAllowed }

    /// RFC 5804 §1.7: sent at connect, after STARTTLS, and for CAPABILITY.
    public var capabilities: ManageSieveResponse {
        var lines: [(String, String?)] = [
            ("IMPLEMENTATION", "Roost"),
            // Mechanisms that send a password are offered only where one may be sent (RFC 5804 §5).
            ("SASL", passwordsAllowed ? SASLExchange.Mechanism.allCases.map(\.rawValue).joined(separator: " ") : ""),
            ("SIEVE", SieveValidator.extensions.joined(separator: " ")),
        ]
        if environment.startTLSAvailable && !environment.tlsActive { lines.append(("STARTTLS", nil)) }
        if case .authenticated(let account) = state { lines.append(("OWNER", account)) }
        lines.append(("VERSION", "1.0"))
        return .capabilities(lines)
    }

    public var greeting: [Action] { [.reply(capabilities), .reply(.ok("Roost ManageSieve ready"))] }

    public mutating func command(_ parsed: Result<ManageSieveCommand, ManageSieveSyntaxError>) -> [Action] {
        let command: ManageSieveCommand
        switch parsed {
        case .failure(let error):
            if error.kind == .tooLarge { return [.reply(.no("script or string too large", code: .quotaMaxSize))] }
            return [.reply(.no("syntax error: \(error.message)"))]
        case .success(let c): command = c
        }
        switch (command, state) {
        case (_, .loggedOut):
            return []
        case (.capability, _):
            return [.reply(capabilities), .reply(.ok("capability completed"))]
        case (.noop(let tag), _):
            return [.reply(.ok("done", code: tag.map { .tag($0) }))]
        case (.logout, _):
            state = .loggedOut
            return [.reply(.ok("logout completed")), .close]
        case (.startTLS, .notAuthenticated):
            guard environment.startTLSAvailable, !environment.tlsActive else {
                return [.reply(.no("STARTTLS is not available here"))]
            }
            return [.startTLS(.ok("begin TLS negotiation now"))]
        case (.authenticate(let mechanism, let initial), .notAuthenticated):
            guard passwordsAllowed else {
                return [.reply(.no("authentication needs TLS first: use STARTTLS", code: .encryptNeeded))]
            }
            return [.authenticate(mechanism: mechanism, initialResponse: initial)]
        case (.startTLS, .authenticated), (.authenticate, .authenticated):
            return [.reply(.no("already authenticated"))]
        case (_, .notAuthenticated):
            return [.reply(.no("authenticate first"))]
        case (.unauthenticate, .authenticated):
            // RFC 5804 §2.14.1: back to the non-authenticated state.
            state = .notAuthenticated
            return [.reply(.ok("unauthenticate completed"))]
        case (.checkScript(let script), .authenticated):
            return [.reply(Self.check(script) ?? .ok("script is valid"))]
        case (.putScript(let name, let script), .authenticated(let account)):
            if let refusal = Self.check(script) { return [.reply(refusal)] }
            return [.scripts(.put(name: name, script: script), account: account)]
        case (.listScripts, .authenticated(let account)):
            return [.scripts(.list, account: account)]
        case (.getScript(let name), .authenticated(let account)):
            return [.scripts(.get(name: name), account: account)]
        case (.haveSpace(let name, let size), .authenticated(let account)):
            return [.scripts(.haveSpace(name: name, size: size), account: account)]
        case (.setActive(let name), .authenticated(let account)):
            return [.scripts(.setActive(name: name), account: account)]
        case (.deleteScript(let name), .authenticated(let account)):
            return [.scripts(.delete(name: name), account: account)]
        case (.renameScript(let name, let newName), .authenticated(let account)):
            return [.scripts(.rename(name: name, newName: newName), account: account)]
        }
    }

    /// NO with the checker's line-numbered reason, or nil when the script may be stored.
    static func check(_ script: [UInt8]) -> ManageSieveResponse? {
        if script.count > SieveLimits().scriptSize { return .no("script is larger than \(SieveLimits().scriptSize) bytes", code: .quotaMaxSize) }
        do {
            try SieveValidator.validate(script)
            return nil
        } catch {
            return .no(error.description)
        }
    }

    public mutating func tlsStarted() -> [Action] {
        environment.tlsActive = true
        // RFC 5804 §2.2: after the handshake the server sends its capabilities again.
        return [.reply(capabilities), .reply(.ok("TLS negotiation successful"))]
    }

    public mutating func authenticationFinished(_ outcome: AuthenticationOutcome) -> [Action] {
        switch outcome {
        case .success(let account):
            state = .authenticated(account: account)
            return [.reply(.ok("authenticated"))]
        case .failure:
            return [.reply(.no("authentication failed"))]
        case .refused:
            return [.reply(.no("too many failed logins; try again later", code: .tryLater))]
        case .unavailable:
            return [.reply(.no("authentication temporarily unavailable", code: .tryLater))]
        case .exchangeFailed(let failure):
            switch failure {
            case .unsupportedMechanism: return [.reply(.no("unsupported SASL mechanism"))]
            case .cancelled: return [.reply(.no("authentication cancelled"))]
            default: return [.reply(.no("malformed SASL response"))]
            }
        }
    }
}

/// The rules for changing a user's scripts (RFC 5804 §2.6–§2.11), as a pure function of the
/// scripts the user has now.
public enum ManageSieveScriptRules {
    public enum Change: Sendable, Hashable {
        case store(name: String, script: [UInt8])
        case rename(name: String, newName: String)
        case delete(name: String)
        case activate(name: String)
    }

    public enum Outcome: Sendable, Hashable {
        case reply(ManageSieveResponse)
        /// Make the change durable, then reply.
        case change(Change, then: ManageSieveResponse)
    }

    public static func decide(_ request: ManageSieveSession.ScriptRequest, scripts: [(name: String, active: Bool)]) -> Outcome {
        let exists = { (name: String) in scripts.contains { $0.name == name } }
        switch request {
        case .list, .get:
            // Reads change nothing; the handler answers them from the projection.
            return .reply(.no("not a change", code: .tryLater))
        case .haveSpace(let name, let size):
            if size > UInt64(SieveLimits().scriptSize) { return .reply(.no("script too large", code: .quotaMaxSize)) }
            if !exists(name), scripts.count >= ManageSieveLimits.scripts { return .reply(.no("too many scripts", code: .quotaMaxScripts)) }
            return .reply(.ok("putscript would succeed"))
        case .put(let name, let script):
            if !exists(name), scripts.count >= ManageSieveLimits.scripts { return .reply(.no("too many scripts", code: .quotaMaxScripts)) }
            return .change(.store(name: name, script: script), then: .ok("script stored"))
        case .setActive(let name):
            if name.isEmpty {
                guard scripts.contains(where: \.active) else { return .reply(.ok("no script was active")) }
                return .change(.activate(name: ""), then: .ok("script deactivated"))
            }
            guard let script = scripts.first(where: { $0.name == name }) else { return .reply(.no("there is no script \(name)", code: .nonexistent)) }
            if script.active { return .reply(.ok("script is already active")) }
            return .change(.activate(name: name), then: .ok("script activated"))
        case .delete(let name):
            guard let script = scripts.first(where: { $0.name == name }) else { return .reply(.no("there is no script \(name)", code: .nonexistent)) }
            if script.active { return .reply(.no("the active script cannot be deleted", code: .active)) }
            return .change(.delete(name: name), then: .ok("script deleted"))
        case .rename(let name, let newName):
            guard exists(name) else { return .reply(.no("there is no script \(name)", code: .nonexistent)) }
            if name == newName { return .reply(.ok("script already has that name")) }
            if exists(newName) { return .reply(.no("a script \(newName) exists already", code: .alreadyExists)) }
            return .change(.rename(name: name, newName: newName), then: .ok("script renamed"))
        }
    }
}
