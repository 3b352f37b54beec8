public import NIOCore

/// How a listener speaks TLS.
public enum TLSMode: String, Sendable, Hashable {
    /// Plaintext only (port 25 without a certificate, tests).
    case none
    /// Plaintext first; the protocol's STARTTLS/STLS command upgrades (RFC 3207, RFC 2595).
    case startTLS
    /// TLS from the first byte (RFC 8314: submission 465, IMAP 993, POP3 995).
    case implicit
}

/// What one listener is: where it binds, how it does TLS, its timeouts.
public struct ListenerConfiguration: Sendable, Hashable {
    /// The protocol's name, used as the `protocol` label on metrics and in logs: "smtp",
    /// "submission", "imap", "pop3", "managesieve".
    public var name: String
    public var host: String
    /// 0 binds an ephemeral port (tests); `Server.bind()` returns the one chosen.
    public var port: Int
    public var tls: TLSMode
    public var timeouts: ConnectionTimeouts
    /// On shutdown, how long connections may run on before they are closed with the farewell.
    public var drainTimeout: Duration
    public var backlog: Int32

    public init(
        name: String, host: String, port: Int, tls: TLSMode,
        timeouts: ConnectionTimeouts = .init(), drainTimeout: Duration = .seconds(10), backlog: Int32 = 256
    ) {
        self.name = name
        self.host = host
        self.port = port
        self.tls = tls
        self.timeouts = timeouts
        self.drainTimeout = drainTimeout
        self.backlog = backlog
    }
}

/// The seam between the shared server and a protocol: SMTP, IMAP, POP3 and ManageSieve each
/// implement it once, and `Server` does the rest (accept, limits, TLS, timeouts, metrics, drain).
///
/// The protocol's frame decoder finds frame boundaries (lines, literals, BDAT chunks) and has
/// hard caps; `handle(connection:)` runs the session: greeting, then a loop over
/// `connection.next()` until it returns nil or the session ends.
public protocol ConnectionHandler: Sendable {
    associatedtype FrameDecoder: NIOSingleStepByteToMessageDecoder where FrameDecoder.InboundOut: Sendable

    /// A new decoder, at accept and again when TLS starts (RFC 3207 §4.2: forget everything
    /// learnt before TLS, including half-read input).
    func makeFrameDecoder() -> FrameDecoder

    /// Serves one connection. An error thrown here is logged and ends only this connection.
    func handle(connection: Connection<FrameDecoder.InboundOut>) async throws

    /// The line (with its CRLF) sent before Roost closes the connection for `reason`, or nil to
    /// close silently. Called on the event loop: no blocking, no locks.
    func farewell(for reason: CloseReason) -> String?
}

extension ConnectionHandler {
    public func farewell(for reason: CloseReason) -> String? { nil }
}
