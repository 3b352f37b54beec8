public import NIOCore
public import Logging
import NIOSSL

/// One client connection as a protocol session sees it: frames in, bytes out, STARTTLS, and
/// what is known about the client. Owned by the connection's task (not `Sendable`); the session
/// reads with `next()` and writes with `write(_:)` from that task only.
public final class Connection<Frame: Sendable> {
    /// Unique within the process, for logs and events.
    public let id: UInt64
    public let listener: ListenerConfiguration
    public let remoteAddress: SocketAddress?
    public let localAddress: SocketAddress?
    /// The client's address as the throttle and the limiter count it (IPv6 by /64).
    public let client: ClientKey
    /// The negotiated TLS, or nil while the connection is plaintext.
    public private(set) var tls: TLSInfo?
    /// Logger with `connection`, `protocol` and `remote` metadata.
    public var logger: Logger

    private var iterator: NIOAsyncChannelInboundStream<Frame>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private let channel: any Channel
    private let closeState: ConnectionCloseState
    private let startTLSOnLoop: @Sendable (ByteBuffer?, Int) -> EventLoopFuture<TLSInfo>
    private let closeOnLoop: @Sendable (CloseReason) -> Void
    private let tlsAvailable: Bool
    private var framesConsumed = 0

    init(
        id: UInt64,
        listener: ListenerConfiguration,
        channel: any Channel,
        inbound: NIOAsyncChannelInboundStream<Frame>,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        tls: TLSInfo?,
        tlsAvailable: Bool,
        closeState: ConnectionCloseState,
        startTLS: @escaping @Sendable (ByteBuffer?, Int) -> EventLoopFuture<TLSInfo>,
        close: @escaping @Sendable (CloseReason) -> Void,
        logger: Logger
    ) {
        self.id = id
        self.listener = listener
        self.channel = channel
        self.remoteAddress = channel.remoteAddress
        self.localAddress = channel.localAddress
        self.client = ClientKey(channel.remoteAddress)
        self.iterator = inbound.makeAsyncIterator()
        self.outbound = outbound
        self.tls = tls
        self.tlsAvailable = tlsAvailable
        self.closeState = closeState
        self.startTLSOnLoop = startTLS
        self.closeOnLoop = close
        self.logger = logger
    }

    public var isTLS: Bool { tls != nil }

    /// Whether the session may offer STARTTLS/STLS now: a STARTTLS listener with a certificate,
    /// not yet encrypted.
    public var canStartTLS: Bool { listener.tls == .startTLS && tlsAvailable && tls == nil }

    /// Why Roost closed the connection (timeout, STARTTLS injection, limits…), or nil.
    public var closeReason: CloseReason? { closeState.value }

    /// The next frame, or nil when the connection is closed (by the client, a timeout, or Roost).
    public func next() async throws -> Frame? {
        guard let frame = try await iterator.next() else { return nil }
        framesConsumed += 1
        return frame
    }

    /// Whether the framer has already passed on frames this task has not read: the client has
    /// pipelined more input, so replies may wait and go out together (RFC 2920 §3.2).
    public var hasUnreadFrames: Bool { closeState.framesForwarded > framesConsumed }

    public func write(_ bytes: ByteBuffer) async throws {
        try await outbound.write(bytes)
    }

    /// Writes one piece of a large response and returns once the event loop has taken it.
    /// `write` only queues a task on the loop, and the channel's writability (the backpressure
    /// `write` waits for) is updated there: without waiting, a fast producer queues a whole large
    /// message before the first piece reaches the socket. Writes run on the loop in order, so
    /// once this piece is taken the next `write` sees whether the channel can take more.
    public func writePiece(_ bytes: ByteBuffer) async throws {
        try await outbound.write(bytes)
        try await channel.eventLoop.submit {}.get()
    }

    /// A writer another task of this connection may use, e.g. to send IMAP IDLE updates while
    /// the session's own task waits for the client's DONE.
    public var sharedWriter: ConnectionWriter { ConnectionWriter(outbound: outbound) }

    /// Writes `text` as UTF-8 (the session includes the CRLFs).
    public func write(_ text: String) async throws {
        try await outbound.write(ByteBuffer(string: text))
    }

    /// Upgrades to TLS after the STARTTLS/STLS command the session has just read: writes `reply`
    /// (the protocol's go-ahead, e.g. `220 2.0.0 Ready to start TLS\r\n`) and starts the handshake
    /// in one step on the event loop. If the client sent anything after the command, nothing is
    /// written, the connection is closed and `StartTLSError.inputAfterStartTLS` is thrown; the
    /// session must then stop without executing anything. After success the session must reset
    /// its state as its RFC says (RFC 3207 §4.2, RFC 9051 §6.2.1, RFC 2595 §4).
    @discardableResult
    public func startTLS(reply: String) async throws -> TLSInfo {
        guard canStartTLS else { throw StartTLSError(kind: .notAvailable) }
        let info = try await startTLSOnLoop(ByteBuffer(string: reply), framesConsumed).get()
        tls = info
        logger[metadataKey: "tls"] = "\(info.version)"
        return info
    }

    /// Closes the connection, with the protocol's farewell for `reason` if it has one.
    public func close(reason: CloseReason) {
        closeOnLoop(reason)
    }

    /// Closes the connection without a farewell (after the session said goodbye itself).
    public func close() async {
        try? await channel.close()
    }
}

/// Writes to one connection from a task other than the one that owns it (`Connection.sharedWriter`).
public struct ConnectionWriter: Sendable {
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>

    public func write(_ bytes: ByteBuffer) async throws {
        try await outbound.write(bytes)
    }
}
