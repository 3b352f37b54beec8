import NIOCore
import NIOPosix

/// One client connection for a line-based mail protocol: bytes in, CRLF lines (or literal byte
/// counts) out. Owned by a single task; nothing here is shared.
final class MailConnection {
    private var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var buffer: ByteBuffer
    /// Longest line accepted from a server; a bigger one is a protocol failure, not a load result.
    static let maxLine = 1 << 20

    init(inbound: NIOAsyncChannelInboundStream<ByteBuffer>, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) {
        self.inbound = inbound.makeAsyncIterator()
        self.outbound = outbound
        self.buffer = ByteBuffer()
    }

    /// Connects, runs `body` on the connection and closes it.
    static func with<R: Sendable>(
        host: String, port: Int, group: any EventLoopGroup,
        _ body: (MailConnection) async throws -> R
    ) async throws -> R {
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await body(MailConnection(inbound: inbound, outbound: outbound))
        }
    }

    func send(_ text: String) async throws {
        try await outbound.write(ByteBuffer(string: text))
    }

    func send(_ bytes: ByteBuffer) async throws {
        try await outbound.write(bytes)
    }

    /// The next line without its CRLF (a bare LF also ends it).
    func line() async throws -> ByteBuffer {
        while true {
            if let lf = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
                let length = lf - buffer.readerIndex
                var line = buffer.readSlice(length: length)!
                buffer.moveReaderIndex(forwardBy: 1)
                if line.readableBytesView.last == UInt8(ascii: "\r") { line.moveWriterIndex(to: line.writerIndex - 1) }
                return line
            }
            guard buffer.readableBytes <= Self.maxLine else { throw LoadError.protocolError("line longer than \(Self.maxLine) bytes") }
            try await fill()
        }
    }

    func lineString() async throws -> String {
        String(buffer: try await line())
    }

    /// Skips exactly `count` bytes (an IMAP literal); returns nothing, the bytes only cost a copy.
    func skip(_ count: Int) async throws {
        var left = count
        while left > 0 {
            if buffer.readableBytes == 0 { try await fill() }
            let take = min(left, buffer.readableBytes)
            buffer.moveReaderIndex(forwardBy: take)
            left -= take
        }
    }

    private func fill() async throws {
        guard var chunk = try await inbound.next() else { throw LoadError.closed }
        if buffer.readableBytes == 0 {
            buffer = chunk
        } else {
            buffer.discardReadBytes()
            buffer.writeBuffer(&chunk)
        }
    }
}

enum LoadError: Error, CustomStringConvertible {
    case closed
    case protocolError(String)
    case refused(String)

    var description: String {
        switch self {
        case .closed: "the server closed the connection"
        case .protocolError(let s): "protocol error: \(s)"
        case .refused(let s): "refused: \(s)"
        }
    }
}

extension ByteBuffer {
    func hasPrefix(_ prefix: String) -> Bool {
        let view = readableBytesView
        var i = view.startIndex
        for byte in prefix.utf8 {
            guard i < view.endIndex, view[i] == byte else { return false }
            i += 1
        }
        return true
    }
}
