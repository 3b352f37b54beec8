public import Logging
public import NIOCore
public import NIOPosix
import NIOSSL
public import ServiceLifecycle
import Synchronization

/// One listener of one protocol: binds, accepts, applies the connection limits, does TLS
/// (implicit at accept, or STARTTLS through `Connection.startTLS`), and runs the protocol's
/// `ConnectionHandler` for each connection in a discarding task group. A connection's errors end
/// that connection only. On graceful shutdown it stops accepting, lets connections finish for
/// the drain time, then closes the rest with the protocol's farewell.
///
/// A swift-service-lifecycle `Service`: put it in the `ServiceGroup` of `roost serve`, or call
/// `bind()` then `run()` (tests bind port 0 and read the port from `bind()`).
public actor Server<Handler: ConnectionHandler>: Service {
    public typealias Frame = Handler.FrameDecoder.InboundOut

    /// The listener could not bind; names the address and port.
    public struct BindError: Error, CustomStringConvertible {
        public var listener: String
        public var host: String
        public var port: Int
        public var underlying: any Error
        public var description: String {
            "\(listener): cannot listen on \(host):\(port): \(underlying)"
        }
    }

    /// What the child channel initializer hands to the accept loop.
    struct Accepted: Sendable {
        var channel: NIOAsyncChannel<Frame, ByteBuffer>
        var handshake: EventLoopFuture<TLSInfo>?
        var closeState: ConnectionCloseState
        var startTLS: @Sendable (ByteBuffer?, Int) -> EventLoopFuture<TLSInfo>
        var close: @Sendable (CloseReason) -> Void
    }

    private enum State {
        case initial
        case bound(NIOAsyncChannel<Accepted, Never>)
        case running(any Channel)
        case stopped
    }

    public nonisolated let configuration: ListenerConfiguration
    private let handler: Handler
    private let tls: TLSContextProvider?
    private let limiter: ConnectionLimiter?
    private let metrics: RoostMetrics?
    private let group: any EventLoopGroup
    private let logger: Logger
    private var state: State = .initial
    private var live: [UInt64: @Sendable (CloseReason) -> Void] = [:]
    private let connectionIDs = ConnectionIDs()

    public init(
        configuration: ListenerConfiguration,
        handler: Handler,
        tls: TLSContextProvider? = nil,
        limiter: ConnectionLimiter? = nil,
        metrics: RoostMetrics? = nil,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) {
        precondition(configuration.tls == .none || tls != nil, "\(configuration.name): TLS mode \(configuration.tls) needs a TLSContextProvider")
        self.configuration = configuration
        self.handler = handler
        self.tls = tls
        self.limiter = limiter
        self.metrics = metrics
        self.group = eventLoopGroup
        var logger = logger
        logger[metadataKey: "protocol"] = "\(configuration.name)"
        self.logger = logger
    }

    /// Binds the listening socket and returns its address (with the real port when the
    /// configuration asked for port 0). Idempotent.
    @discardableResult
    public func bind() async throws -> SocketAddress {
        switch state {
        case .bound(let listener): return listener.channel.localAddress!
        case .running(let channel): return channel.localAddress!
        case .stopped: throw ChannelError.ioOnClosedChannel
        case .initial: break
        }
        let configuration = self.configuration
        let handler = self.handler
        let tls = self.tls
        let metrics = self.metrics
        let listener: NIOAsyncChannel<Accepted, Never>
        do {
            listener = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: configuration.backlog)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelOption(.allowRemoteHalfClosure, value: false)
                .bind(host: configuration.host, port: configuration.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try Self.setUpChild(channel, configuration: configuration, handler: handler, tls: tls, metrics: metrics)
                    }
                }
        } catch {
            throw BindError(listener: configuration.name, host: configuration.host, port: configuration.port, underlying: error)
        }
        // The actor may have been re-entered during the await.
        guard case .initial = state else {
            try? await listener.channel.close()
            return try await bind()
        }
        state = .bound(listener)
        let address = listener.channel.localAddress!
        logger.info("listening", metadata: ["address": "\(address)", "tls": "\(configuration.tls.rawValue)"])
        return address
    }

    /// Installs the framing handler (and the TLS handler for implicit TLS) and wraps the channel
    /// in `NIOAsyncChannel`, synchronously on the child's event loop so no read is lost.
    private static func setUpChild(
        _ channel: any Channel, configuration: ListenerConfiguration, handler: Handler, tls: TLSContextProvider?,
        metrics: RoostMetrics?
    ) throws -> Accepted {
        let closeState = ConnectionCloseState()
        let framing = FramingHandler<Handler.FrameDecoder>(
            makeDecoder: { handler.makeFrameDecoder() },
            timeouts: configuration.timeouts,
            closeState: closeState,
            farewell: { handler.farewell(for: $0) }
        )
        try channel.pipeline.syncOperations.addHandler(framing)
        var handshake: EventLoopFuture<TLSInfo>?
        if configuration.tls == .implicit, let tls {
            handshake = try framing.beginImplicitTLS(sslContext: tls.context)
            handshake?.whenComplete { metrics?.tlsHandshake(protocol: configuration.name, succeeded: (try? $0.get()) != nil) }
        }
        let asyncChannel = try NIOAsyncChannel<Frame, ByteBuffer>(wrappingChannelSynchronously: channel)
        let loopBound = NIOLoopBound(framing, eventLoop: channel.eventLoop)
        let startTLS: @Sendable (ByteBuffer?, Int) -> EventLoopFuture<TLSInfo> = { reply, consumed in
            // The certificate current now, not the one at accept: reloads apply to new handshakes.
            let context = configuration.tls == .startTLS ? tls?.context : nil
            let result = channel.eventLoop.submit {
                loopBound.value.startTLS(reply: reply, framesConsumed: consumed, sslContext: context)
            }.flatMap { $0 }
            result.whenComplete { outcome in
                if context != nil {
                    metrics?.tlsHandshake(protocol: configuration.name, succeeded: (try? outcome.get()) != nil)
                }
            }
            return result
        }
        let close: @Sendable (CloseReason) -> Void = { reason in
            channel.eventLoop.execute { loopBound.value.close(reason: reason) }
        }
        return Accepted(channel: asyncChannel, handshake: handshake, closeState: closeState, startTLS: startTLS, close: close)
    }

    /// Serves until graceful shutdown (or cancellation), then drains.
    public func run() async throws {
        try await bind()
        guard case .bound(let listener) = state else { return }
        state = .running(listener.channel)
        let drainTimeout = configuration.drainTimeout
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await listener.executeThenClose { inbound in
                    for try await accepted in inbound {
                        group.addTask { await self.serve(accepted) }
                    }
                }
                // Not accepting any more: give open connections the drain time, then close them.
                await self.drain(timeout: drainTimeout)
            }
        } onGracefulShutdown: {
            listener.channel.close(promise: nil)
        }
        state = .stopped
        logger.info("stopped listening")
    }

    /// Stops accepting new connections (what graceful shutdown does); `run()` then drains and returns.
    public func stopAccepting() {
        if case .running(let channel) = state { channel.close(promise: nil) }
    }

    /// Connections open on this listener now.
    public var connectionCount: Int { live.count }

    private func drain(timeout: Duration) async {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while !live.isEmpty, clock.now < deadline, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(50))
        }
        if !live.isEmpty {
            logger.info("closing connections after the drain time", metadata: ["count": "\(live.count)"])
            for close in live.values { close(.shutdown) }
        }
    }

    private func register(_ id: UInt64, close: @escaping @Sendable (CloseReason) -> Void) { live[id] = close }
    private func unregister(_ id: UInt64) { live[id] = nil }

    private nonisolated func serve(_ accepted: Accepted) async {
        let id = connectionIDs.next()
        let channel = accepted.channel.channel
        let client = ClientKey(channel.remoteAddress)
        let name = configuration.name
        var logger = self.logger
        logger[metadataKey: "connection"] = "\(id)"
        logger[metadataKey: "remote"] = "\(client)"

        var token: ConnectionLimiter.Token?
        if let limiter {
            switch limiter.acquire(for: client) {
            case .success(let held):
                token = held
            case .failure(let refusal):
                logger.notice("connection refused", metadata: ["reason": "\(refusal.closeReason)"])
                metrics?.connectionClosedByServer(protocol: name, reason: refusal.closeReason)
                let implicitTLS = configuration.tls == .implicit
                try? await accepted.channel.executeThenClose { _, _ in
                    // With implicit TLS nothing can be said before the handshake: just close.
                    guard !implicitTLS else { return }
                    accepted.close(refusal.closeReason)
                    try await channel.closeFuture.get()
                }
                return
            }
        }
        defer { token?.release() }

        metrics?.connectionOpened(protocol: name)
        await register(id, close: accepted.close)
        logger.debug("connection opened")
        do {
            try await accepted.channel.executeThenClose { inbound, outbound in
                var tlsInfo: TLSInfo?
                if let handshake = accepted.handshake {
                    tlsInfo = try await handshake.get()
                }
                let connection = Connection<Frame>(
                    id: id, listener: configuration, channel: channel, inbound: inbound, outbound: outbound,
                    tls: tlsInfo, tlsAvailable: tls != nil, closeState: accepted.closeState,
                    startTLS: accepted.startTLS, close: accepted.close, logger: logger
                )
                try await handler.handle(connection: connection)
            }
        } catch let error as StartTLSError {
            logger.info("connection ended", metadata: ["error": "\(error)"])
        } catch {
            logger.info("connection ended with an error", metadata: ["error": "\(error)"])
        }
        if let reason = accepted.closeState.value {
            logger.info("closed by the server", metadata: ["reason": "\(reason)"])
            metrics?.connectionClosedByServer(protocol: name, reason: reason)
        }
        metrics?.connectionClosed(protocol: name)
        await unregister(id)
        logger.debug("connection closed")
    }
}

/// Connection ids, unique in the process across listeners.
final class ConnectionIDs: Sendable {
    private static let counter = Atomic<UInt64>(0)
    func next() -> UInt64 { Self.counter.wrappingAdd(1, ordering: .relaxed).newValue }
}
