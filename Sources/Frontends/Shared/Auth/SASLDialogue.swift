/// What a front-end read as the client's answer to a SASL challenge.
public enum SASLReply: Sendable, Hashable {
    /// The response text (base64, or "*" to cancel).
    case response(String)
    /// Something that is not a response in this protocol (e.g. a literal, a DATA chunk).
    case malformed
    /// The client went away.
    case gone
}

/// How a SASL exchange ended.
public enum SASLOutcome: Sendable, Hashable {
    /// The client's credentials were checked.
    case verified(Authenticator.Result, mechanism: SASLExchange.Mechanism)
    /// The exchange failed before any password was checked; already counted.
    case failed(SASLExchange.Failure)
}

extension Authenticator {
    /// Runs one SASL exchange for any protocol: `challenge` sends the base64 challenge in the
    /// protocol's own form and returns the client's reply. Failures before a password is
    /// checked are recorded here. Nil when the client went away.
    public func exchange(mechanism: String, initialResponse: String?, client: ClientKey, protocol name: String,
                         challenge: (String) async throws -> SASLReply) async throws -> SASLOutcome? {
        var exchange: SASLExchange
        do {
            exchange = try SASLExchange(mechanism: mechanism)
        } catch {
            recordFailure(.unsupportedMechanism, client: client, protocol: name)
            return .failed(.unsupportedMechanism)
        }
        var step = exchange.start(initialResponse: initialResponse)
        while true {
            switch step {
            case .challenge(let text):
                switch try await challenge(text) {
                case .gone: return nil
                case .malformed: step = .failure(.malformedResponse)
                case .response(let line): step = exchange.respond(line)
                }
            case .failure(let failure):
                recordFailure(AuthenticationFailureReason(failure), client: client, protocol: name)
                return .failed(failure)
            case .credentials(let credentials):
                return .verified(await authenticate(credentials, client: client, protocol: name), mechanism: exchange.mechanism)
            }
        }
    }
}
