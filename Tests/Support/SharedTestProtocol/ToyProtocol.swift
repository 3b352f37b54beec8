public import Frontends
public import NIOCore
import Synchronization

/// A toy SMTP-like line protocol that exercises the shared front-end parts the way SMTP, IMAP
/// and POP3 will: greeting, EHLO with STARTTLS and AUTH, STARTTLS, AUTH PLAIN/LOGIN with and
/// without initial response, NOOP, WHOAMI (who is logged in, over what), EVIL (a command with
/// a visible effect, for the STARTTLS injection test), QUIT. Enough SMTP for
/// `openssl s_client -starttls smtp`.
public struct ToyHandler: ConnectionHandler {
    /// Every command the toy executed, in order, for tests to inspect.
    public final class Journal: Sendable {
        private let entries = Mutex<[String]>([])
        private let reasons = Mutex<[CloseReason]>([])
        public init() {}
        public var executed: [String] { entries.withLock { $0 } }
        /// Why Roost closed each connection it closed, in order.
        public var closeReasons: [CloseReason] { reasons.withLock { $0 } }
        func record(_ command: String) { entries.withLock { $0.append(command) } }
        func record(_ reason: CloseReason?) { if let reason { reasons.withLock { $0.append(reason) } } }
    }

    public let authenticator: Authenticator
    public let metrics: RoostMetrics?
    public let journal: Journal

    public init(authenticator: Authenticator, metrics: RoostMetrics? = nil, journal: Journal = Journal()) {
        self.authenticator = authenticator
        self.metrics = metrics
        self.journal = journal
    }

    public func makeFrameDecoder() -> LineFrameDecoder {
        LineFrameDecoder(maximumLength: 998, acceptsBareLineFeed: true)
    }

    public func farewell(for reason: CloseReason) -> String? {
        switch reason {
        case .idleTimeout, .commandTimeout: "421 4.4.2 toy timeout\r\n"
        case .tooManyConnections, .tooManyConnectionsFromAddress: "421 4.7.0 toy too many connections\r\n"
        case .shutdown: "421 4.3.2 toy shutting down\r\n"
        case .malformedInput: "500 5.5.2 toy line too long\r\n"
        case .inputAfterStartTLS, .tlsHandshakeFailed, .transportError: nil
        }
    }

    public func handle(connection: Connection<ByteBuffer>) async throws {
        defer { journal.record(connection.closeReason) }
        let name = connection.listener.name
        var account: String?
        try await connection.write("220 toy ESMTP ready\r\n")
        while let frame = try await connection.next() {
            let line = String(buffer: frame)
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            let verb = words.first.map { $0.uppercased() } ?? ""
            journal.record(verb)
            metrics?.command(protocol: name, ["EHLO", "STARTTLS", "AUTH", "NOOP", "WHOAMI", "EVIL", "QUIT"].contains(verb) ? verb : "unknown")
            switch verb {
            case "EHLO":
                var reply = "250-toy\r\n"
                if connection.canStartTLS { reply += "250-STARTTLS\r\n" }
                reply += "250 AUTH PLAIN LOGIN\r\n"
                try await connection.write(reply)
            case "STARTTLS":
                guard connection.canStartTLS else {
                    try await connection.write("454 4.7.0 TLS not available\r\n")
                    continue
                }
                do {
                    try await connection.startTLS(reply: "220 2.0.0 Ready to start TLS\r\n")
                } catch {
                    return
                }
                account = nil
            case "AUTH":
                guard words.count >= 2 else {
                    try await connection.write("501 5.5.4 AUTH needs a mechanism\r\n")
                    continue
                }
                guard authenticator.policy.permitsAuthentication(isTLS: connection.isTLS) else {
                    authenticator.recordFailure(.plaintextRefused, client: connection.client, protocol: name)
                    try await connection.write("538 5.7.11 Encryption required for requested authentication mechanism\r\n")
                    continue
                }
                account = try await authenticate(connection, mechanism: String(words[1]),
                                                  initialResponse: words.count > 2 ? String(words[2]) : nil) ?? account
            case "NOOP":
                try await connection.write("250 2.0.0 OK\r\n")
            case "WHOAMI":
                try await connection.write("250 \(account ?? "anonymous") \(connection.tls?.version ?? "plaintext")\r\n")
            case "EVIL":
                try await connection.write("250 2.0.0 evil done\r\n")
            case "QUIT":
                try await connection.write("221 2.0.0 Bye\r\n")
                await connection.close()
                return
            default:
                try await connection.write("500 5.5.1 Unknown command\r\n")
            }
        }
    }

    /// RFC 4954 §4 replies around a shared SASL exchange.
    private func authenticate(_ connection: Connection<ByteBuffer>, mechanism: String, initialResponse: String?) async throws -> String? {
        let name = connection.listener.name
        var exchange: SASLExchange
        do {
            exchange = try SASLExchange(mechanism: mechanism)
        } catch {
            authenticator.recordFailure(.unsupportedMechanism, client: connection.client, protocol: name)
            try await connection.write("504 5.5.4 Unrecognized authentication type\r\n")
            return nil
        }
        var step = exchange.start(initialResponse: initialResponse)
        while true {
            switch step {
            case .challenge(let challenge):
                try await connection.write("334 \(challenge)\r\n")
                guard let response = try await connection.next() else { return nil }
                step = exchange.respond(String(buffer: response))
            case .failure(let failure):
                authenticator.recordFailure(AuthenticationFailureReason(failure), client: connection.client, protocol: name)
                switch failure {
                case .cancelled: try await connection.write("501 5.0.0 Authentication cancelled\r\n")
                case .invalidBase64: try await connection.write("501 5.5.2 Cannot decode response\r\n")
                case .authorizationDenied: try await connection.write("535 5.7.8 Authorization identity not allowed\r\n")
                case .unsupportedMechanism: try await connection.write("504 5.5.4 Unrecognized authentication type\r\n")
                case .malformedResponse, .responseTooLong, .outOfSequence: try await connection.write("501 5.5.2 Malformed response\r\n")
                }
                return nil
            case .credentials(let credentials):
                switch await authenticator.authenticate(credentials, client: connection.client, protocol: name) {
                case .success(let account):
                    try await connection.write("235 2.7.0 Authentication successful\r\n")
                    return account
                case .failure:
                    try await connection.write("535 5.7.8 Authentication credentials invalid\r\n")
                case .refused:
                    try await connection.write("454 4.7.0 Too many failures, try again later\r\n")
                case .unavailable:
                    try await connection.write("454 4.7.0 Temporary authentication failure\r\n")
                }
                return nil
            }
        }
    }
}
