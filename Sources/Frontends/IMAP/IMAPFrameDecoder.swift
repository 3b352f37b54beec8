public import NIOCore

/// A literal announced at the end of a command line (RFC 9051 §4.3, RFC 7888): `{n}`
/// (synchronizing: the server sends `+` before the client sends the bytes), `{n+}`
/// (non-synchronizing, LITERAL+), and `~{n}` (literal8, RFC 3516).
public struct IMAPLiteralHeader: Sendable, Hashable {
    public var size: Int
    public var synchronizing: Bool
    public var binary: Bool
    /// False when the literal is larger than the framer accepts: a synchronizing one is then
    /// never sent by the client (the server answers instead of `+`), so the framer stays in line
    /// mode and the command is answered with `NO [TOOBIG]`.
    public var accepted: Bool

    public init(size: Int, synchronizing: Bool, binary: Bool, accepted: Bool) {
        self.size = size
        self.synchronizing = synchronizing
        self.binary = binary
        self.accepted = accepted
    }
}

/// What the IMAP framer hands the session.
public enum IMAPFrame: Sendable, Hashable {
    /// A line without its CRLF. When it ends in a literal header the header is given and the
    /// literal's bytes follow as `literalBytes` frames (unless it was not accepted).
    case line(ByteBuffer, literal: IMAPLiteralHeader?)
    /// A piece of the current literal; the pieces add up to the header's size.
    case literalBytes(ByteBuffer)
    /// A line longer than `IMAPLimits.lineLength`: its first bytes (for the tag); the rest was
    /// discarded up to its CRLF.
    case overlongLine(ByteBuffer)
}

/// The IMAP framer: finds line and literal boundaries, nothing more (STYLE.md). Lines and
/// literals interleave, so this is a small state machine over the buffered bytes. Bounded: a line
/// longer than the limit is dropped (and reported), a literal above the limit is refused, and
/// non-synchronizing literals above the limit, too many literals in one command, or too many
/// bytes of small literals end the connection (the client would send those bytes anyway).
/// Literal bytes are passed on as they arrive, never buffered whole here.
public struct IMAPFrameDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = IMAPFrame

    /// Input the framer cannot recover from; the connection is closed with a `BYE`.
    public struct Failure: Error, Sendable, Hashable {
        public enum Kind: Sendable, Hashable { case literalTooLarge, tooManyLiterals, commandTooLarge, bareLineFeed }
        public var kind: Kind
    }

    public let lineLength: Int
    public let literalLimit: Int

    private enum Mode: Sendable { case line, literal(remaining: Int), discarding }
    private var mode: Mode = .line
    private var scanned = 0
    private var literalsInCommand = 0
    private var smallLiteralBytes = 0
    private var largestLiteral = 0
    /// The first bytes of a line being discarded, kept for its tag.
    private var discardedStart: ByteBuffer?

    public init(lineLength: Int = IMAPLimits.lineLength, literalLimit: Int = IMAPLimits.appendLimit) {
        self.lineLength = lineLength
        self.literalLimit = literalLimit
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> IMAPFrame? {
        switch mode {
        case .literal(let remaining):
            guard buffer.readableBytes > 0 else { return nil }
            let take = min(remaining, buffer.readableBytes)
            let piece = buffer.readSlice(length: take)!
            mode = remaining - take == 0 ? .line : .literal(remaining: remaining - take)
            return .literalBytes(piece)
        case .discarding:
            let view = buffer.readableBytesView
            guard let lf = view.firstIndex(of: UInt8(ascii: "\n")) else {
                buffer.moveReaderIndex(forwardBy: view.count)
                return nil
            }
            buffer.moveReaderIndex(forwardBy: lf - view.startIndex + 1)
            mode = .line
            endCommand()
            let start = discardedStart ?? ByteBuffer()
            discardedStart = nil
            return .overlongLine(start)
        case .line:
            return try decodeLine(&buffer)
        }
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> IMAPFrame? {
        // A partial last line is never a command.
        try decode(buffer: &buffer)
    }

    private mutating func decodeLine(_ buffer: inout ByteBuffer) throws -> IMAPFrame? {
        let view = buffer.readableBytesView
        guard let lf = view.dropFirst(scanned).firstIndex(of: UInt8(ascii: "\n")) else {
            scanned = view.count
            if scanned > lineLength + 1 {
                // Keep the start for the tag and drop the rest as it comes.
                discardedStart = buffer.getSlice(at: buffer.readerIndex, length: min(64, buffer.readableBytes))
                buffer.moveReaderIndex(forwardBy: view.count)
                scanned = 0
                mode = .discarding
                return nil
            }
            return nil
        }
        scanned = 0
        let withLF = lf - view.startIndex + 1
        var line = buffer.readSlice(length: withLF)!
        var length = withLF - 1
        // RFC 9051 §2.2: lines end in CRLF.
        guard length > 0, line.getInteger(at: line.readerIndex + length - 1, as: UInt8.self) == UInt8(ascii: "\r") else {
            throw Failure(kind: .bareLineFeed)
        }
        length -= 1
        let content = line.readSlice(length: length)!
        if length > lineLength {
            endCommand()
            return .overlongLine(content.getSlice(at: content.readerIndex, length: 64)!)
        }
        guard let header = Self.literalHeader(content.readableBytesView) else {
            endCommand()
            return .line(content, literal: nil)
        }
        var accepted = header.size <= literalLimit
        if accepted {
            literalsInCommand += 1
            guard literalsInCommand <= IMAPLimits.literalsPerCommand else { throw Failure(kind: .tooManyLiterals) }
            // Only the largest literal may be big (APPEND's message); the rest are bounded together.
            smallLiteralBytes += min(header.size, largestLiteral)
            largestLiteral = max(largestLiteral, header.size)
            if smallLiteralBytes > IMAPLimits.smallLiteralTotal {
                if header.synchronizing { accepted = false } else { throw Failure(kind: .commandTooLarge) }
            }
        } else if !header.synchronizing {
            throw Failure(kind: .literalTooLarge)
        }
        if accepted {
            if header.size > 0 { mode = .literal(remaining: header.size) }
        } else {
            // The client waits for our answer and sends no literal: the command is over.
            endCommand()
        }
        return .line(content, literal: IMAPLiteralHeader(size: header.size, synchronizing: header.synchronizing,
                                                        binary: header.binary, accepted: accepted))
    }

    private mutating func endCommand() {
        literalsInCommand = 0
        smallLiteralBytes = 0
        largestLiteral = 0
    }

    /// `{n}`, `{n+}` or `~{n}` at the very end of a line (RFC 9051 §9 `literal`, RFC 7888 §8).
    static func literalHeader(_ line: ByteBufferView) -> (size: Int, synchronizing: Bool, binary: Bool)? {
        var i = line.endIndex
        guard i > line.startIndex, line[i - 1] == UInt8(ascii: "}") else { return nil }
        i -= 1
        var synchronizing = true
        if i > line.startIndex, line[i - 1] == UInt8(ascii: "+") {
            synchronizing = false
            i -= 1
        }
        let digitsEnd = i
        while i > line.startIndex, line[i - 1] >= 48, line[i - 1] <= 57 { i -= 1 }
        let digits = digitsEnd - i
        guard digits > 0, digits <= 12, i > line.startIndex, line[i - 1] == UInt8(ascii: "{") else { return nil }
        var size = 0
        for k in i..<digitsEnd { size = size * 10 + Int(line[k] - 48) }
        let binary = i - 1 > line.startIndex && line[i - 2] == UInt8(ascii: "~")
        return (size, synchronizing, binary)
    }
}
