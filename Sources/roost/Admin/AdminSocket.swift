import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The local admin socket (`<data>/admin.sock`, mode 0600): while `roost serve` runs, state-changing
/// CLI commands send it one JSON request line and get one JSON response line back.
struct AdminSocketService: Service {
    let path: String
    let executor: AdminExecutor
    let logger: Logger
    /// Requests carry at most a passwd-file import.
    static let maximumRequest = 16 << 20

    func run() async throws {
        let previousMask = umask(0o177)  // the socket file is created 0600
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(BoundedLineDecoder(maximumLength: AdminSocketService.maximumRequest)))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        umask(previousMask)
        logger.info("admin socket listening", metadata: ["path": "\(path)"])
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { connections in
                    for try await connection in connections {
                        group.addTask { await handle(connection) }
                    }
                }
            }
        } onGracefulShutdown: {
            server.channel.close().whenComplete { _ in }
        }
        try? FileManager.default.removeItem(atPath: path)
    }

    private func handle(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                for try await line in inbound {
                    let response: AdminResponse
                    if let request = try? JSONDecoder().decode(AdminRequest.self, from: Data(line.readableBytesView)) {
                        response = await executor.execute(request)
                        logger.info("admin request", metadata: ["request": "\(request.logName)", "ok": "\(response.ok)"])
                    } else {
                        response = .failure("malformed admin request")
                    }
                    var out = ByteBuffer(bytes: try JSONEncoder().encode(response))
                    out.writeString("\n")
                    try await outbound.write(out)
                    return
                }
            }
        } catch {
            logger.warning("admin connection failed", metadata: ["error": "\(error)"])
        }
    }
}

extension AdminRequest {
    /// For logs: what was asked, never a password hash.
    var logName: String {
        switch self {
        case .userAdd(let a, _): "user add \(a)"
        case .userPasswd(let a, _): "user passwd \(a)"
        case .userDel(let a): "user del \(a)"
        case .userList: "user list"
        case .userImport(let e): "user import (\(e.count) entries)"
        case .aliasAdd(let a, let t): "alias add \(a) \(t.joined(separator: " "))"
        case .aliasDel(let a): "alias del \(a)"
        case .aliasList: "alias list"
        case .domainAdd(let d): "domain add \(d)"
        case .domainDel(let d): "domain del \(d)"
        case .domainList: "domain list"
        }
    }
}

/// The CLI side: send to the running server if there is one, else act on the data directory.
enum AdminClient {
    enum Route { case server(AdminResponse), noServer }

    /// Sends `request` over the socket at `path`; `.noServer` when nothing listens there.
    static func send(_ request: AdminRequest, socket path: String) throws -> Route {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw POSIXError(.ENAMETOOLONG) }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if connected != 0 {
            if errno == ENOENT || errno == ECONNREFUSED { return .noServer }
            throw POSIXError(.init(rawValue: errno) ?? .EIO)
        }
        var payload = try JSONEncoder().encode(request)
        payload.append(0x0A)
        try payload.withUnsafeBytes { raw in
            var sent = 0
            while sent < raw.count {
                let n = write(fd, raw.baseAddress! + sent, raw.count - sent)
                guard n > 0 else { throw POSIXError(.EPIPE) }
                sent += n
            }
        }
        var reply = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            reply.append(contentsOf: buffer[0..<n])
            if reply.last == 0x0A { break }
        }
        return .server(try JSONDecoder().decode(AdminResponse.self, from: reply))
    }
}

/// Splits at LF; a line longer than the bound closes the connection (an error) instead of growing.
struct BoundedLineDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer
    let maximumLength: Int

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: 0x0A) else {
            if buffer.readableBytes > maximumLength { throw LineTooLong() }
            return .needMoreData
        }
        let length = newline - buffer.readerIndex
        let line = buffer.readSlice(length: length)!
        buffer.moveReaderIndex(forwardBy: 1)
        context.fireChannelRead(Self.wrapInboundOut(line))
        return .continue
    }

    struct LineTooLong: Error {}
}
