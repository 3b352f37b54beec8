import Frontends
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import SharedTestProtocol

/// A line client over a real socket, able to start TLS mid-stream, for driving `Server`.
final class TestClient {
    let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
    private var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private var pending = ByteBuffer()

    static let clientTLS: NIOSSLContext = {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        return try! NIOSSLContext(configuration: configuration)
    }()

    /// Connects to 127.0.0.1:`port`, from `source` (another loopback address) if given.
    init(port: Int, source: String? = nil, implicitTLS: Bool = false) async throws {
        var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        if let source { bootstrap = bootstrap.bind(to: try SocketAddress(ipAddress: source, port: 0)) }
        channel = try await bootstrap.connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                if implicitTLS {
                    try channel.pipeline.syncOperations.addHandler(
                        NIOSSLClientHandler(context: TestClient.clientTLS, serverHostname: nil))
                }
                return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
        iterator = channel.inbound.makeAsyncIterator()
    }

    deinit {
        channel.outbound.finish()
        channel.channel.close(promise: nil)
    }

    func send(_ text: String) async throws {
        try await channel.outbound.write(ByteBuffer(string: text))
    }

    /// The next line without CRLF, or nil once the server closed the connection.
    func readLine() async throws -> String? {
        while true {
            let view = pending.readableBytesView
            if let lf = view.firstIndex(of: UInt8(ascii: "\n")) {
                var line = pending.readSlice(length: lf - view.startIndex + 1)!
                var text = line.readString(length: line.readableBytes)!
                text.removeLast()
                if text.hasSuffix("\r") { text.removeLast() }
                return text
            }
            do {
                guard var more = try await iterator.next() else { return nil }
                pending.writeBuffer(&more)
            } catch {
                return nil
            }
        }
    }

    /// An SMTP-style reply: lines until one whose fourth character is a space. Nil at close.
    func readReply() async throws -> [String]? {
        var lines: [String] = []
        while let line = try await readLine() {
            lines.append(line)
            if line.count < 4 || line[line.index(line.startIndex, offsetBy: 3)] == " " { return lines }
        }
        return lines.isEmpty ? nil : lines
    }

    func command(_ text: String) async throws -> String? {
        try await send(text + "\r\n")
        return try await readReply()?.last
    }

    /// Starts the client side of TLS (after the server's go-ahead).
    func startTLS() async throws {
        let channel = self.channel.channel
        try await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.addHandler(
                NIOSSLClientHandler(context: TestClient.clientTLS, serverHostname: nil), position: .first)
        }.get()
    }

    /// The serial number of the certificate the server presented, lowercase hex.
    func peerSerial() async throws -> String? {
        guard let certificate = try await channel.channel.nioSSL_peerCertificate().get() else { return nil }
        return certificate.serialNumber.map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
    }

    /// Reads until the server closes; returns what arrived meanwhile.
    func readUntilClosed() async throws -> [String] {
        var lines: [String] = []
        while let line = try await readLine() { lines.append(line) }
        return lines
    }
}

/// Starts the toy protocol on an ephemeral port, runs `body`, and stops the server whether
/// `body` succeeds or throws.
struct ToyServer {
    var port: Int
    var journal: ToyHandler.Journal
    var server: Server<ToyHandler>

    static let users: [String: String] = ["demo@roost.test": try! PasswordHash.make("secret")]

    static func run(
        tls mode: TLSMode = .startTLS,
        tlsProvider: TLSContextProvider? = nil,
        timeouts: ConnectionTimeouts = .init(idle: .seconds(120), command: .seconds(120), tlsHandshake: .seconds(120)),
        drainTimeout: Duration = .seconds(5),
        limiter: ConnectionLimiter? = nil,
        throttle: AuthenticationThrottle? = nil,
        policy: AuthenticationPolicy = .init(allowPlaintextWithoutTLS: false),
        metrics: RoostMetrics? = nil,
        _ body: (ToyServer) async throws -> Void
    ) async throws {
        let logger = Logger(label: "test")
        let directory = TemporaryDirectory()
        var provider = tlsProvider
        if provider == nil, mode != .none {
            provider = try TLSContextProvider(files: try directory.install(TestCertificates.first), logger: logger)
        }
        let users = Self.users
        let authenticator = Authenticator(
            lookup: { name in users[name.lowercased()].map { StoredCredential(account: name.lowercased(), passwordHash: $0) } },
            throttle: throttle ?? AuthenticationThrottle(logger: logger),
            policy: policy, metrics: metrics, logger: logger
        )
        let journal = ToyHandler.Journal()
        let server = Server(
            configuration: .init(name: "toy", host: "127.0.0.1", port: 0, tls: mode, timeouts: timeouts, drainTimeout: drainTimeout),
            handler: ToyHandler(authenticator: authenticator, metrics: metrics, journal: journal),
            tls: provider, limiter: limiter, metrics: metrics, logger: logger
        )
        let port = try await server.bind().port!
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            do {
                try await body(ToyServer(port: port, journal: journal, server: server))
            } catch {
                group.cancelAll()
                throw error
            }
            group.cancelAll()
        }
        _ = directory
    }
}
