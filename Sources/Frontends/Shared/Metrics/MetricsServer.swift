public import Logging
public import NIOCore
import NIOHTTP1
public import NIOPosix
public import ServiceLifecycle

/// Serves `GET /metrics` (Prometheus text format) over plain HTTP/1.1 on a configurable address,
/// loopback by default (the dev profile uses 127.0.0.1:9464). Anything else gets 404, other
/// methods 405. Each request is answered and the connection closed; Prometheus and curl are
/// fine with that.
public actor MetricsServer: Service {
    public struct Configuration: Sendable, Hashable {
        public var host: String
        public var port: Int
        public init(host: String = "127.0.0.1", port: Int = 9464) {
            self.host = host
            self.port = port
        }
    }

    public struct BindError: Error, CustomStringConvertible {
        public var host: String
        public var port: Int
        public var underlying: any Error
        public var description: String { "metrics: cannot listen on \(host):\(port): \(underlying)" }
    }

    private typealias Child = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    public nonisolated let configuration: Configuration
    private let metrics: RoostMetrics
    private let group: any EventLoopGroup
    private let logger: Logger
    private var listener: NIOAsyncChannel<Child, Never>?

    public init(configuration: Configuration = .init(), metrics: RoostMetrics,
                eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger) {
        self.configuration = configuration
        self.metrics = metrics
        self.group = eventLoopGroup
        self.logger = logger
    }

    /// Binds and returns the address (the real port when configured with 0). Idempotent.
    @discardableResult
    public func bind() async throws -> SocketAddress {
        if let listener { return listener.channel.localAddress! }
        let bound: NIOAsyncChannel<Child, Never>
        do {
            bound = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: configuration.host, port: configuration.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        return try Child(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw BindError(host: configuration.host, port: configuration.port, underlying: error)
        }
        if let listener {
            try? await bound.channel.close()
            return listener.channel.localAddress!
        }
        listener = bound
        logger.info("metrics endpoint listening", metadata: ["address": "\(bound.channel.localAddress!)"])
        return bound.channel.localAddress!
    }

    public func run() async throws {
        try await bind()
        guard let listener else { return }
        let metrics = self.metrics
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await listener.executeThenClose { inbound in
                    for try await child in inbound {
                        group.addTask { await Self.serve(child, metrics: metrics) }
                    }
                }
            }
        } onGracefulShutdown: {
            listener.channel.close(promise: nil)
        }
    }

    private static func serve(_ child: Child, metrics: RoostMetrics) async {
        try? await child.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            for try await part in inbound {
                switch part {
                case .head(let requestHead):
                    head = requestHead
                case .body:
                    continue
                case .end:
                    guard let request = head else { return }
                    let (status, type, body) = response(to: request, metrics: metrics)
                    var headers = HTTPHeaders()
                    headers.add(name: "Content-Type", value: type)
                    headers.add(name: "Content-Length", value: "\(body.readableBytes)")
                    headers.add(name: "Connection", value: "close")
                    try await outbound.write(.head(HTTPResponseHead(version: request.version, status: status, headers: headers)))
                    try await outbound.write(.body(.byteBuffer(body)))
                    try await outbound.write(.end(nil))
                    return
                }
            }
        }
    }

    private static func response(to request: HTTPRequestHead, metrics: RoostMetrics) -> (HTTPResponseStatus, String, ByteBuffer) {
        let path = request.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? request.uri
        guard path == "/metrics" else {
            return (.notFound, "text/plain; charset=utf-8", ByteBuffer(string: "not found; try /metrics\n"))
        }
        guard request.method == .GET || request.method == .HEAD else {
            return (.methodNotAllowed, "text/plain; charset=utf-8", ByteBuffer(string: "GET only\n"))
        }
        let body = request.method == .HEAD ? ByteBuffer() : ByteBuffer(bytes: metrics.exposition())
        return (.ok, "text/plain; version=0.0.4; charset=utf-8", body)
    }
}
