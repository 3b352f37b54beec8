public import Journal
public import Logging
public import NIOCore
public import Projections

/// The IMAP front-end (RFC 9051 IMAP4rev2, RFC 3501 IMAP4rev1) for the shared `Server`: 143
/// with STARTTLS (`TLSMode.startTLS`) and 993 with implicit TLS. Every change is a journal
/// event whose tagged `OK` is sent only after the event is durable and applied (DESIGN.md
/// invariant 2). One `IMAPSession` per connection does the work.
public struct IMAPHandler: ConnectionHandler {
    public let journal: Journal
    public let projector: Projector
    public let authenticator: Authenticator
    public let metrics: RoostMetrics?
    public let logger: Logger
    /// Shared by every IMAP listener of the process (`\Recent`, RFC 3501 §2.3.2).
    public let recent: RecentMarks

    /// RFC 9051 §5.4: at least 30 minutes of inactivity before autologout. The command timeout
    /// bounds a client that starts a command (or literal) and stops sending.
    public static let timeouts = ConnectionTimeouts(idle: IMAPLimits.idleTimeout, command: .seconds(300), tlsHandshake: .seconds(30))

    public init(journal: Journal, projector: Projector, authenticator: Authenticator, metrics: RoostMetrics? = nil,
                recent: RecentMarks = RecentMarks(), logger: Logger) {
        self.recent = recent
        self.journal = journal
        self.projector = projector
        self.authenticator = authenticator
        self.metrics = metrics
        self.logger = logger
    }

    public func makeFrameDecoder() -> IMAPFrameDecoder {
        IMAPFrameDecoder()
    }

    public func farewell(for reason: CloseReason) -> String? {
        switch reason {
        case .idleTimeout: "* BYE autologout; idle for too long\r\n"
        case .commandTimeout: "* BYE command not completed in time\r\n"
        case .tooManyConnections, .tooManyConnectionsFromAddress: "* BYE [UNAVAILABLE] too many connections, try again later\r\n"
        case .shutdown: "* BYE [UNAVAILABLE] server shutting down\r\n"
        case .malformedInput: "* BYE malformed input (literal too large, too many literals, or a line not ended by CRLF)\r\n"
        case .inputAfterStartTLS, .tlsHandshakeFailed, .transportError: nil
        }
    }

    public func handle(connection: Connection<IMAPFrame>) async throws {
        let session = IMAPSession(handler: self, connection: connection)
        try await session.run()
    }
}
