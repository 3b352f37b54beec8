public import NIOCore

/// A bounded line framer: yields each line without its terminator. For protocols (or parts of
/// them) that are plain lines, e.g. POP3 (RFC 1939 §3: lines up to 512 octets) and the shared
/// tests' toy protocol; SMTP and IMAP bring their own framers for DATA/BDAT and literals.
///
/// Keeps its scan offset between reads (no re-scanning) and returns slices (no copies).
public struct LineFrameDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    /// A line longer than `maximumLength` (terminator excluded), or a bare LF when not accepted.
    public struct Failure: Error, Sendable, Hashable {
        public enum Kind: Sendable, Hashable { case lineTooLong, bareLineFeed }
        public var kind: Kind
    }

    public let maximumLength: Int
    /// Whether a lone LF ends a line. Mail protocols require CRLF; accepting bare LF is the root
    /// of SMTP smuggling, so only interactive/test protocols should set it.
    public let acceptsBareLineFeed: Bool
    private var scanned = 0

    public init(maximumLength: Int, acceptsBareLineFeed: Bool = false) {
        self.maximumLength = maximumLength
        self.acceptsBareLineFeed = acceptsBareLineFeed
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> ByteBuffer? {
        let view = buffer.readableBytesView
        guard let lf = view.dropFirst(scanned).firstIndex(of: UInt8(ascii: "\n")) else {
            scanned = view.count
            // +1 leaves room for a CR that may belong to the terminator.
            if scanned > maximumLength + 1 { throw Failure(kind: .lineTooLong) }
            return nil
        }
        scanned = 0
        let withLF = lf - view.startIndex + 1
        var line = buffer.readSlice(length: withLF)!
        var contentLength = withLF - 1
        if contentLength > 0, line.getInteger(at: line.readerIndex + contentLength - 1, as: UInt8.self) == UInt8(ascii: "\r") {
            contentLength -= 1
        } else if !acceptsBareLineFeed {
            throw Failure(kind: .bareLineFeed)
        }
        guard contentLength <= maximumLength else { throw Failure(kind: .lineTooLong) }
        return line.readSlice(length: contentLength)
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> ByteBuffer? {
        // A partial last line is never a command.
        try decode(buffer: &buffer)
    }
}
