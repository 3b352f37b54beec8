public import NIOCore

/// Bounds of the ManageSieve wire (RFC 5804). Scripts up to `SieveLimits().scriptSize` travel in
/// literals; everything else is short.
public enum ManageSieveLimits {
    /// One line of a command, literals excluded.
    public static let lineLength = 8 * 1024
    /// Tokens (atoms and strings) in one command.
    public static let tokens = 16
    /// The largest literal read into memory: the largest script (1 MiB) plus room for a
    /// SASL response. A larger one is read past and answered `NO (QUOTA/MAXSIZE)`.
    public static let literal = (1 << 20) + 4 * 1024
    /// RFC 5804 §4: quoted strings hold at most 1024 octets.
    public static let quoted = 1024
    /// Script names (bytes of UTF-8), e.g. "vacation".
    public static let scriptName = 256
    /// Scripts per user.
    public static let scripts = 100
}

/// One token of a command line: an atom (command names, numbers) or a string, quoted or literal.
public enum ManageSieveToken: Hashable, Sendable {
    case atom(String)
    case string([UInt8])
}

/// One complete command (or one SASL response) as its tokens, or why it can't be read. A
/// command with a problem is still a whole frame, so the session answers it and goes on.
public struct ManageSieveFrame: Hashable, Sendable {
    public enum Problem: Hashable, Sendable {
        case syntax(String)
        case literalTooLarge
    }
    public var tokens: [ManageSieveToken]
    public var problem: Problem?
    public init(tokens: [ManageSieveToken], problem: Problem? = nil) { self.tokens = tokens; self.problem = problem }
}

/// Lines and literals (RFC 5804 §4: `{n+}` from clients; `{n}` is accepted too, since some
/// clients send it and ManageSieve has no continuation to wait for). Incremental: keeps its
/// place between reads, and never holds more than one line plus one bounded literal.
public struct ManageSieveFrameDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = ManageSieveFrame

    /// A line longer than the limit: the connection is closed (nothing else can find the next
    /// command boundary reliably).
    public struct LineTooLong: Error, Sendable, Hashable {}

    private var tokens: [ManageSieveToken] = []
    private var problem: ManageSieveFrame.Problem?
    /// Bytes of a literal still to come, and whether they are being skipped.
    private var literalRemaining: Int?
    private var skippingLiteral = false
    private var scanned = 0

    public init() {}

    public mutating func decode(buffer: inout ByteBuffer) throws -> ManageSieveFrame? {
        while true {
            if let remaining = literalRemaining {
                if skippingLiteral {
                    let n = min(remaining, buffer.readableBytes)
                    buffer.moveReaderIndex(forwardBy: n)
                    guard n == remaining else { literalRemaining = remaining - n; return nil }
                } else {
                    guard let bytes = buffer.readBytes(length: remaining) else { return nil }
                    append(.string(bytes))
                }
                literalRemaining = nil
                skippingLiteral = false
            }
            let view = buffer.readableBytesView
            guard let lf = view.dropFirst(scanned).firstIndex(of: UInt8(ascii: "\n")) else {
                scanned = view.count
                if scanned > ManageSieveLimits.lineLength + 1 { throw LineTooLong() }
                return nil
            }
            scanned = 0
            let length = lf - view.startIndex
            guard length <= ManageSieveLimits.lineLength + 1 else { throw LineTooLong() }
            var line = buffer.readBytes(length: length + 1)!
            line.removeLast()
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            if let literal = tokenize(line[...]) {
                if literal > ManageSieveLimits.literal {
                    skippingLiteral = true
                    if problem == nil { problem = .literalTooLarge }
                }
                literalRemaining = literal
                continue
            }
            let frame = ManageSieveFrame(tokens: tokens, problem: problem)
            tokens = []
            problem = nil
            return frame
        }
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> ManageSieveFrame? {
        // A partial command at EOF is never executed.
        try decode(buffer: &buffer)
    }

    private mutating func append(_ token: ManageSieveToken) {
        if tokens.count >= ManageSieveLimits.tokens {
            if problem == nil { problem = .syntax("too many arguments") }
            return
        }
        tokens.append(token)
    }

    private mutating func fail(_ message: String) {
        if problem == nil { problem = .syntax(message) }
    }

    /// `{n}` or `{n+}` ending the line.
    static func literalLength(_ line: ArraySlice<UInt8>) -> Int? {
        guard line.last == UInt8(ascii: "}"), let open = line.lastIndex(of: UInt8(ascii: "{")) else { return nil }
        var digits = line[(open + 1)..<(line.endIndex - 1)]
        if digits.last == UInt8(ascii: "+") { digits = digits.dropLast() }
        guard !digits.isEmpty, digits.count <= 10, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let n = Int(String(decoding: digits, as: UTF8.self)), n <= UInt32.max else { return nil }
        return n
    }

    /// Reads the tokens of one line; returns the length of the literal that ends it, if any.
    private mutating func tokenize(_ line: ArraySlice<UInt8>) -> Int? {
        // Even a line with a syntax error keeps its literal's bytes out of the command stream.
        let trailing = Self.literalLength(line)
        var i = line.startIndex
        while i < line.endIndex {
            switch line[i] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"):
                i += 1
            case UInt8(ascii: "\""):
                var out: [UInt8] = []
                i += 1
                var closed = false
                while i < line.endIndex {
                    let b = line[i]
                    i += 1
                    if b == UInt8(ascii: "\"") { closed = true; break }
                    if b == UInt8(ascii: "\\"), i < line.endIndex { out.append(line[i]); i += 1; continue }
                    out.append(b)
                }
                if !closed { fail("quoted string not closed"); return trailing }
                if out.count > ManageSieveLimits.quoted { fail("quoted string longer than 1024 octets") }
                append(.string(out))
            case UInt8(ascii: "{"):
                guard let close = line[i...].firstIndex(of: UInt8(ascii: "}")), close == line.endIndex - 1,
                      let n = trailing else {
                    fail("a literal is {length} or {length+} at the end of a line")
                    return trailing
                }
                return n
            default:
                let start = i
                while i < line.endIndex, line[i] != UInt8(ascii: " "), line[i] != UInt8(ascii: "\""),
                      line[i] != UInt8(ascii: "{") { i += 1 }
                append(.atom(String(decoding: line[start..<i], as: UTF8.self)))
            }
        }
        return nil
    }
}
