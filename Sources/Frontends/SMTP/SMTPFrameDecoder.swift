public import NIOCore
import Synchronization

/// What the SMTP framer yields: command lines, message data, BDAT chunk bytes.
public struct SMTPFrame: Sendable {
    public enum Kind: Sendable, Hashable {
        /// A command (or SASL response) line, without its CRLF.
        case command(ByteBuffer)
        /// A command line that ended with a bare LF; not executed (500 5.5.2).
        case bareLineFeedCommand
        /// A command line longer than `SMTPLimits.lineLength`: the rest of it is discarded.
        case commandTooLong
        /// Message data after DATA: complete lines, dot-unstuffed, each with its CRLF.
        case data(ByteBuffer, SMTPDataViolations)
        /// The `CRLF . CRLF` that ends DATA (RFC 5321 §4.1.1.4).
        case dataEnd
        /// Bytes of a BDAT chunk (RFC 3030 §2): a chunk may arrive as several frames.
        case chunk(ByteBuffer)
    }
    public var kind: Kind
    /// Set on a DATA command line: the framer waits until the session says whether message data
    /// follows (`SMTPFramingControl.dataFollows(_:)`), which must be decided before the reply.
    public var control: SMTPFramingControl?
}

/// Problems in message data that make Roost refuse the message (while reading on to its end).
public struct SMTPDataViolations: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// A line ended with LF alone (RFC 5321 §2.3.8; the SMTP smuggling vector).
    public static let bareLineFeed = SMTPDataViolations(rawValue: 1)
    /// A CR not followed by LF.
    public static let bareCarriageReturn = SMTPDataViolations(rawValue: 2)
    /// A line longer than `SMTPLimits.dataLineLength`.
    public static let lineTooLong = SMTPDataViolations(rawValue: 4)
}

/// The session's answer to a DATA command, handed from the connection's task to the framer on
/// the event loop. Set before the reply is written, so the client's data (sent only after it
/// reads `354`, RFC 5321 §3.3) is framed as data, and its next command after a refusal as a command.
public final class SMTPFramingControl: Sendable {
    private let decision = Mutex<Bool?>(nil)
    init() {}
    public func dataFollows(_ follows: Bool) { decision.withLock { $0 = follows } }
    func take() -> Bool? { decision.withLock { d in defer { d = nil }; return d } }
}

/// The SMTP framer: finds command lines, DATA's dot-stuffed lines and its end, and BDAT chunks.
/// Bounded everywhere: a command line over `SMTPLimits.lineLength` or a data line over
/// `SMTPLimits.dataLineLength` is reported and then discarded to its end, never buffered.
///
/// SMTP smuggling defence: data ends only at CRLF "." CRLF where the line before also ended with
/// CRLF; lines ending in a bare LF, and bare CRs, are reported (`SMTPDataViolations`) and the
/// message is refused, so no reading of "end of data" by another server can split it here.
public struct SMTPFrameDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = SMTPFrame

    enum State {
        case command
        /// After a DATA line, until the session has decided.
        case awaitingDecision(SMTPFramingControl)
        case data
        case chunk(remaining: Int)
    }

    private var state: State = .command
    /// Bytes of the buffer already searched for LF (so a long partial line is not rescanned).
    private var scanned = 0
    /// Discarding the rest of an over-long line.
    private var discarding = false
    /// In data: whether the previous line ended with CRLF (the DATA command's does).
    private var previousLineEndedWithCRLF = true

    public init() {}

    public mutating func decode(buffer: inout ByteBuffer) throws -> SMTPFrame? {
        switch state {
        case .command: return decodeCommand(&buffer)
        case .awaitingDecision(let control):
            guard let follows = control.take() else { return nil }
            state = follows ? .data : .command
            previousLineEndedWithCRLF = true
            return try decode(buffer: &buffer)
        case .data: return decodeData(&buffer)
        case .chunk(let remaining):
            guard buffer.readableBytes > 0 else { return nil }
            let n = min(remaining, buffer.readableBytes)
            let slice = buffer.readSlice(length: n)!
            state = remaining == n ? .command : .chunk(remaining: remaining - n)
            return SMTPFrame(kind: .chunk(slice))
        }
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> SMTPFrame? {
        // A partial line at EOF is never a command, and never the end of data.
        switch state {
        case .chunk: return try decode(buffer: &buffer)
        default:
            let frame = try decode(buffer: &buffer)
            if frame == nil { buffer.moveReaderIndex(to: buffer.writerIndex) }
            return frame
        }
    }

    /// Finds the next LF from the scan offset; nil (and remembers how far it looked) if none.
    private mutating func nextLineFeed(_ buffer: ByteBuffer) -> Int? {
        let view = buffer.readableBytesView
        guard let lf = view.dropFirst(scanned).firstIndex(of: 0x0A) else {
            scanned = view.count
            return nil
        }
        scanned = 0
        return lf - view.startIndex
    }

    private mutating func decodeCommand(_ buffer: inout ByteBuffer) -> SMTPFrame? {
        while true {
            guard let lf = nextLineFeed(buffer) else {
                if discarding {
                    buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
                    scanned = 0
                    return nil
                }
                if buffer.readableBytes > SMTPLimits.lineLength + 1 {
                    discarding = true
                    buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
                    scanned = 0
                    return SMTPFrame(kind: .commandTooLong)
                }
                return nil
            }
            var line = buffer.readSlice(length: lf + 1)!
            if discarding {
                discarding = false
                continue
            }
            let crlf = lf > 0 && line.getInteger(at: line.readerIndex + lf - 1, as: UInt8.self) == 0x0D
            guard crlf else { return SMTPFrame(kind: .bareLineFeedCommand) }
            guard lf - 1 <= SMTPLimits.lineLength else { return SMTPFrame(kind: .commandTooLong) }
            let content = line.readSlice(length: lf - 1)!
            let view = content.readableBytesView
            if Self.hasVerb(view, "DATA") {
                let control = SMTPFramingControl()
                state = .awaitingDecision(control)
                return SMTPFrame(kind: .command(content), control: control)
            }
            if Self.hasVerb(view, "BDAT"), case .success(.bdat(let size, _)) = SMTPCommandParser.parse(view), size > 0 {
                state = .chunk(remaining: size)
            }
            return SMTPFrame(kind: .command(content))
        }
    }

    /// Whether the line starts with `verb` (any case) followed by its end or a space.
    static func hasVerb(_ line: ByteBufferView, _ verb: StaticString) -> Bool {
        let count = verb.utf8CodeUnitCount
        guard line.count >= count else { return false }
        var i = line.startIndex
        for k in 0..<count {
            let b = line[i] | 0x20
            guard b == (verb.utf8Start[k] | 0x20) else { return false }
            i += 1
        }
        return i == line.endIndex || line[i] == UInt8(ascii: " ")
    }

    /// All complete data lines in the buffer, unstuffed, as one frame; the end marker next.
    private mutating func decodeData(_ buffer: inout ByteBuffer) -> SMTPFrame? {
        var out: ByteBuffer?
        var violations: SMTPDataViolations = []
        func emit() -> SMTPFrame? {
            guard out != nil || !violations.isEmpty else { return nil }
            return SMTPFrame(kind: .data(out ?? ByteBuffer(), violations))
        }
        while true {
            guard let lf = nextLineFeed(buffer) else {
                if discarding {
                    buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
                    scanned = 0
                } else if buffer.readableBytes > SMTPLimits.dataLineLength {
                    discarding = true
                    violations.insert(.lineTooLong)
                    buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
                    scanned = 0
                }
                return emit()
            }
            let view = buffer.readableBytesView
            let crlf = lf > 0 && view[view.startIndex + lf - 1] == 0x0D
            let contentLength = crlf ? lf - 1 : lf
            let content = view[view.startIndex..<(view.startIndex + contentLength)]
            if !discarding && crlf && previousLineEndedWithCRLF && contentLength == 1 && content.first == UInt8(ascii: ".") {
                // The end: data gathered so far goes first, and the end line stays unread until
                // the next call (the processor calls again while bytes remain).
                if let frame = emit() { return frame }
                buffer.moveReaderIndex(forwardBy: lf + 1)
                state = .command
                return SMTPFrame(kind: .dataEnd)
            }
            let line = buffer.readSlice(length: lf + 1)!
            previousLineEndedWithCRLF = crlf
            if discarding {
                discarding = false
                if !crlf { violations.insert(.bareLineFeed) }
                continue
            }
            if !crlf { violations.insert(.bareLineFeed) }
            if contentLength > SMTPLimits.dataLineLength { violations.insert(.lineTooLong) }
            if line.readableBytesView.prefix(contentLength).contains(0x0D) { violations.insert(.bareCarriageReturn) }
            // RFC 5321 §4.5.2: a leading "." of a data line is removed.
            let skip = line.readableBytesView.first == UInt8(ascii: ".") ? 1 : 0
            if out == nil { out = ByteBuffer() ; out!.reserveCapacity(buffer.readableBytes + lf + 1) }
            out!.writeBytes(line.readableBytesView.dropFirst(skip))
        }
    }
}
