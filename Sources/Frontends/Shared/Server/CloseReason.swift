/// Why Roost (not the client) ended a connection. A front-end answers each with its protocol's
/// farewell (`ConnectionHandler.farewell(for:)`), e.g. SMTP `421 4.4.2 …` or IMAP `* BYE …`.
public enum CloseReason: Sendable, Hashable, CustomStringConvertible {
    /// No command arrived for the listener's idle timeout.
    case idleTimeout
    /// A command was started but not finished within the command timeout (slow-sender guard).
    case commandTimeout
    /// The client sent bytes after STARTTLS and before the TLS handshake completed
    /// (CVE-2011-0411 class, DESIGN.md invariant 5). Nothing it sent is executed.
    case inputAfterStartTLS
    /// The TLS handshake failed or timed out.
    case tlsHandshakeFailed
    /// The protocol's frame decoder rejected the input.
    case malformedInput
    /// Too many connections from the client's address (`ConnectionLimiter`).
    case tooManyConnectionsFromAddress
    /// Too many connections in total (`ConnectionLimiter`).
    case tooManyConnections
    /// The server is shutting down and the drain time is over.
    case shutdown
    /// A transport error (reset, TLS alert, …).
    case transportError

    public var description: String {
        switch self {
        case .idleTimeout: "idle timeout"
        case .commandTimeout: "command timeout"
        case .inputAfterStartTLS: "input after STARTTLS before the TLS handshake"
        case .tlsHandshakeFailed: "TLS handshake failed"
        case .malformedInput: "malformed input"
        case .tooManyConnectionsFromAddress: "too many connections from this address"
        case .tooManyConnections: "too many connections"
        case .shutdown: "server shutting down"
        case .transportError: "transport error"
        }
    }
}

/// Thrown by `Connection.startTLS(reply:)` when TLS could not be started.
public struct StartTLSError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The listener has no TLS certificate, or TLS is already active.
        case notAvailable
        /// The client pipelined input after the command; the connection has been closed.
        case inputAfterStartTLS
        /// The handshake failed; the connection has been closed.
        case handshakeFailed
    }
    public var kind: Kind
    public var description: String {
        switch kind {
        case .notAvailable: "STARTTLS not available"
        case .inputAfterStartTLS: "input after STARTTLS; connection closed"
        case .handshakeFailed: "TLS handshake failed; connection closed"
        }
    }
}

/// Idle and command timeouts, per listener. Roost's values follow each protocol's RFC minimum.
public struct ConnectionTimeouts: Sendable, Hashable {
    /// Closes a connection on which no complete command arrived and nothing was written for this
    /// long (RFC 5321 §4.5.3.2.7: at least 5 minutes for SMTP; RFC 9051 §5.4: at least 30 minutes
    /// for IMAP; RFC 1939 §3: at least 10 minutes for POP3).
    public var idle: Duration
    /// Closes a connection whose client started a command (a partial frame is buffered) and did
    /// not finish it for this long: the guard against clients that trickle bytes to hold a slot.
    public var command: Duration
    /// Time allowed for a TLS handshake (implicit TLS and after STARTTLS).
    public var tlsHandshake: Duration

    public init(idle: Duration = .seconds(300), command: Duration = .seconds(120), tlsHandshake: Duration = .seconds(30)) {
        self.idle = idle
        self.command = command
        self.tlsHandshake = tlsHandshake
    }
}
