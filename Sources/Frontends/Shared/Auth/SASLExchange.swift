/// One SASL authentication exchange as a pure state machine (no I/O), driven the same way by
/// SMTP AUTH (RFC 4954), IMAP AUTHENTICATE (RFC 9051 §6.2.2), POP3 AUTH (RFC 5034) and
/// ManageSieve AUTHENTICATE (RFC 5804 §2.1). The front-end parses its command, creates the
/// exchange with the mechanism name, calls `start(initialResponse:)`, sends each `.challenge`
/// with its own prefix (`334 `, `+ `, `""`) and feeds the client's lines to `respond(_:)` until
/// the exchange yields `.credentials` (verify them with `Authenticator`) or `.failure`.
///
/// Mechanisms: PLAIN (RFC 4616) and LOGIN (draft-murchison-sasl-login). Responses are base64;
/// a response of `*` cancels (RFC 4954 §4, RFC 9051 §6.2.2). An initial response of `=` means
/// an empty one (RFC 4954 §4, RFC 9051 §6.2.2 SASL-IR, RFC 5034 §4).
public struct SASLExchange: Sendable {
    public enum Mechanism: String, Sendable, Hashable, CaseIterable {
        case plain = "PLAIN"
        case login = "LOGIN"
    }

    /// What the client claims; not yet verified.
    public struct Credentials: Sendable, Hashable, CustomStringConvertible {
        public var mechanism: Mechanism
        /// The authentication identity (the user name the password belongs to).
        public var authenticationID: String
        public var password: String
        /// The requested authorization identity, when the client sent one. Always equal to the
        /// authentication identity (ignoring ASCII case): Roost has no proxy authorization.
        public var authorizationID: String?

        /// Never shows the password.
        public var description: String { "\(mechanism.rawValue) \(authenticationID)" }
    }

    public enum Failure: Error, Sendable, Hashable {
        /// The mechanism is not PLAIN or LOGIN (SMTP 504 5.5.4, IMAP NO, POP3 -ERR).
        case unsupportedMechanism
        /// A response was not base64 (SMTP 501 5.5.2, IMAP BAD).
        case invalidBase64
        /// The decoded response is not what the mechanism expects (RFC 4616 message syntax,
        /// empty user name or password, invalid UTF-8).
        case malformedResponse
        /// The client sent `*` (SMTP 501 5.0.0, IMAP BAD).
        case cancelled
        /// The authorization identity differs from the authentication identity (RFC 4616 §2:
        /// the server fails an exchange whose identity it does not authorize).
        case authorizationDenied
        /// A response longer than `maximumResponseLength`.
        case responseTooLong
        /// `start` or `respond` called out of turn (a bug in the front-end).
        case outOfSequence
    }

    public enum Step: Sendable, Hashable {
        /// Send this base64 challenge (possibly empty) and pass the client's reply to `respond`.
        case challenge(String)
        /// The exchange is complete: verify these.
        case credentials(Credentials)
        case failure(Failure)
    }

    /// Base64 text accepted per response: three 1 KiB fields with separators, encoded.
    public static let maximumResponseLength = 4 * 1024
    /// Bytes per identity or password (RFC 4616 §2 asks for at least 255).
    public static let maximumFieldLength = 1024

    private enum State: Sendable {
        case initial
        case awaitingPlain
        case awaitingUsername
        case awaitingPassword(username: String)
        case finished
    }

    public let mechanism: Mechanism
    private var state: State = .initial

    /// Throws `.unsupportedMechanism` for anything but PLAIN and LOGIN (names are case-insensitive,
    /// RFC 4422 §3.1).
    public init(mechanism name: some StringProtocol) throws(Failure) {
        guard let mechanism = Mechanism(rawValue: name.uppercased()) else { throw .unsupportedMechanism }
        self.mechanism = mechanism
    }

    public init(mechanism: Mechanism) {
        self.mechanism = mechanism
    }

    /// `initialResponse`: nil when the client sent none, `"="` for an empty one, otherwise the
    /// base64 text.
    public mutating func start(initialResponse: String?) -> Step {
        guard case .initial = state else { return fail(.outOfSequence) }
        switch (mechanism, initialResponse) {
        case (.plain, nil):
            // RFC 4616 §2: the server sends an empty challenge.
            state = .awaitingPlain
            return .challenge("")
        case (.plain, let response?):
            state = .awaitingPlain
            return respond(response == "=" ? "" : response)
        case (.login, nil):
            state = .awaitingUsername
            return .challenge(Self.usernameChallenge)
        case (.login, let response?):
            // Clients send the user name as LOGIN's initial response.
            state = .awaitingUsername
            return respond(response == "=" ? "" : response)
        }
    }

    /// Feeds one client response (the line without its CRLF).
    public mutating func respond(_ line: some StringProtocol) -> Step {
        if line == "*" { return fail(.cancelled) }
        guard line.utf8.count <= Self.maximumResponseLength else { return fail(.responseTooLong) }
        guard let bytes = Base64.decode(line) else { return fail(.invalidBase64) }
        switch state {
        case .initial, .finished:
            return fail(.outOfSequence)
        case .awaitingPlain:
            return finish(Self.parsePlain(bytes))
        case .awaitingUsername:
            guard let username = Self.field(bytes) else { return fail(.malformedResponse) }
            state = .awaitingPassword(username: username)
            return .challenge(Self.passwordChallenge)
        case .awaitingPassword(let username):
            guard let password = Self.field(bytes) else { return fail(.malformedResponse) }
            return finish(.success(Credentials(mechanism: .login, authenticationID: username, password: password, authorizationID: nil)))
        }
    }

    /// "Username:" and "Password:", base64 (what every LOGIN client expects).
    static let usernameChallenge = Base64.encode("Username:".utf8)
    static let passwordChallenge = Base64.encode("Password:".utf8)

    private mutating func finish(_ result: Result<Credentials, Failure>) -> Step {
        switch result {
        case .success(let credentials):
            state = .finished
            return .credentials(credentials)
        case .failure(let failure):
            return fail(failure)
        }
    }

    private mutating func fail(_ failure: Failure) -> Step {
        state = .finished
        return .failure(failure)
    }

    /// RFC 4616 §2: message = [authzid] UTF8NUL authcid UTF8NUL passwd, each field 1*SAFE
    /// (any UTF-8 but NUL) except the optional authzid.
    static func parsePlain(_ bytes: [UInt8]) -> Result<Credentials, Failure> {
        let parts = bytes.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[2].contains(0) else { return .failure(.malformedResponse) }
        guard let authzid = text(parts[0], allowEmpty: true),
              let authcid = text(parts[1], allowEmpty: false),
              let password = text(parts[2], allowEmpty: false)
        else { return .failure(.malformedResponse) }
        if !authzid.isEmpty, authzid.lowercasedASCII != authcid.lowercasedASCII {
            return .failure(.authorizationDenied)
        }
        return .success(Credentials(mechanism: .plain, authenticationID: authcid, password: password,
                                    authorizationID: authzid.isEmpty ? nil : authzid))
    }

    private static func field(_ bytes: [UInt8]) -> String? {
        guard !bytes.contains(0) else { return nil }
        return text(bytes[...], allowEmpty: false)
    }

    private static func text(_ bytes: ArraySlice<UInt8>, allowEmpty: Bool) -> String? {
        guard allowEmpty || !bytes.isEmpty, bytes.count <= maximumFieldLength else { return nil }
        // Valid UTF-8 only (RFC 4616 §2): a lossy decode that changed the bytes means invalid input.
        let string = String(decoding: bytes, as: UTF8.self)
        guard string.utf8.elementsEqual(bytes) else { return nil }
        return string
    }
}

extension String {
    var lowercasedASCII: String {
        String(decoding: utf8.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }, as: UTF8.self)
    }
}
