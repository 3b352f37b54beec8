/// RFC 2449 §8 extended response codes Roost sends (announced by RESP-CODES and, for AUTH and
/// SYS, AUTH-RESP-CODE from RFC 3206).
public enum POP3ResponseCode: String, Sendable, Hashable {
    /// RFC 2449 §8.1.2: authentication succeeded but the maildrop is in use.
    case inUse = "IN-USE"
    /// RFC 3206 §4: the credentials were wrong (or may not be used here).
    case auth = "AUTH"
    /// RFC 3206 §5: a temporary problem in Roost; try again later.
    case sysTemp = "SYS/TEMP"
}

/// One reply, typed; `POP3Encoder` turns it into bytes.
public enum POP3Response: Hashable, Sendable {
    /// `+OK text`.
    case ok(String)
    /// `-ERR [code] text`.
    case err(POP3ResponseCode?, String)
    /// `+OK text` and a multi-line body of text lines (LIST, UIDL, CAPA), then `.`.
    case lines(String, [String])
    /// `+OK text` and message content (RETR, TOP), CRLF line endings, dot-stuffed, then `.`.
    case content(String, [UInt8])
    /// A SASL challenge: `+ base64` (RFC 5034 §4).
    case challenge(String)

    public var isOK: Bool {
        switch self {
        case .err: false
        case .ok, .lines, .content, .challenge: true
        }
    }
}

/// Encodes responses. RFC 1939 §3: multi-line responses end with "." CRLF and "each line is
/// terminated by a CRLF pair"; lines that begin with "." are byte-stuffed with another ".".
public enum POP3Encoder {
    public static func encode(_ response: POP3Response) -> [UInt8] {
        var out: [UInt8] = []
        encode(response, into: &out)
        return out
    }

    public static func encode(_ response: POP3Response, into out: inout [UInt8]) {
        switch response {
        case .ok(let text):
            line("+OK" + (text.isEmpty ? "" : " " + text), into: &out)
        case .err(let code, let text):
            line("-ERR" + (code.map { " [\($0.rawValue)]" } ?? "") + (text.isEmpty ? "" : " " + text), into: &out)
        case .challenge(let text):
            line("+ " + text, into: &out)
        case .lines(let first, let lines):
            line("+OK" + (first.isEmpty ? "" : " " + first), into: &out)
            for l in lines { stuffed(Array(l.utf8), into: &out) }
            out.append(contentsOf: [0x2E, 0x0D, 0x0A])
        case .content(let first, let bytes):
            line("+OK" + (first.isEmpty ? "" : " " + first), into: &out)
            out.reserveCapacity(out.count + bytes.count + bytes.count / 64 + 8)
            appendStuffed(bytes, into: &out)
            out.append(contentsOf: [0x2E, 0x0D, 0x0A])
        }
    }

    private static func line(_ text: String, into out: inout [UInt8]) {
        out.append(contentsOf: text.utf8)
        out.append(contentsOf: [0x0D, 0x0A])
    }

    private static func stuffed(_ line: [UInt8], into out: inout [UInt8]) {
        if line.first == 0x2E { out.append(0x2E) }
        out.append(contentsOf: line)
        out.append(contentsOf: [0x0D, 0x0A])
    }

    /// Content that already has CRLF line endings (`crlf(_:)`): a "." at the start of each
    /// line is doubled, and a last line without CRLF gets one so the terminator stands alone.
    static func appendStuffed(_ bytes: [UInt8], into out: inout [UInt8]) {
        var atLineStart = true
        for b in bytes {
            if atLineStart && b == 0x2E { out.append(0x2E) }
            out.append(b)
            atLineStart = b == 0x0A
        }
        if !bytes.isEmpty && !atLineStart { out.append(contentsOf: [0x0D, 0x0A]) }
    }

    /// The message with every bare LF made CRLF; a lone CR is left alone. The same rule as
    /// `Message.imapCanonical()`, so the sizes in the projection (`MessageInfo.size`) are the
    /// octet counts RETR sends before stuffing (RFC 1939 §5 LIST, "the exact size").
    public static func crlf(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 32 + 2)
        var previous: UInt8 = 0
        for b in bytes {
            if b == 0x0A && previous != 0x0D { out.append(0x0D) }
            out.append(b)
            previous = b
        }
        return out
    }

    /// How many octets `crlf(bytes)` has, without making it.
    public static func crlfCount(_ bytes: [UInt8]) -> Int {
        var count = bytes.count
        var previous: UInt8 = 0
        for b in bytes {
            if b == 0x0A && previous != 0x0D { count += 1 }
            previous = b
        }
        return count
    }

    /// TOP (RFC 1939 §7): the header, the blank line, and the first `lines` lines of the body.
    /// `bytes` has CRLF line endings. A message without a blank line is all header.
    public static func top(_ bytes: [UInt8], lines: Int) -> [UInt8] {
        var i = 0
        var lineStart = 0
        // Find the end of the header: an empty line.
        while i < bytes.count {
            if bytes[i] == 0x0A {
                let length = i - lineStart + 1
                lineStart = i + 1
                if length == 2 && bytes[i - 1] == 0x0D { break }
            }
            i += 1
        }
        guard i < bytes.count else { return bytes }
        var end = i + 1
        var remaining = lines
        while remaining > 0 && end < bytes.count {
            guard let lf = bytes[end...].firstIndex(of: 0x0A) else { end = bytes.count; break }
            end = lf + 1
            remaining -= 1
        }
        return Array(bytes[..<end])
    }
}

/// RETR content made a piece at a time, so a large message goes out without a second whole copy:
/// bare LFs become CRLF (as `POP3Encoder.crlf`), a "." starting a line is doubled, and `finish`
/// ends the last line and adds the "." line. Fed the message in any pieces, it writes the same
/// bytes `POP3Encoder.encode(.content(_, crlf(message)))` writes after its first line.
public struct POP3ContentStuffer: Sendable {
    private var atLineStart = true
    private var previous: UInt8 = 0

    public init() {}

    public mutating func append(_ bytes: ArraySlice<UInt8>, into out: inout [UInt8]) {
        var i = bytes.startIndex
        while i < bytes.endIndex {
            if atLineStart && bytes[i] == 0x2E { out.append(0x2E) }
            guard let lf = bytes[i...].firstIndex(of: 0x0A) else {
                out.append(contentsOf: bytes[i...])
                previous = bytes[bytes.endIndex - 1]
                atLineStart = false
                return
            }
            let before = lf > i ? bytes[lf - 1] : previous
            out.append(contentsOf: bytes[i..<lf])
            if before != 0x0D { out.append(0x0D) }
            out.append(0x0A)
            previous = 0x0A
            atLineStart = true
            i = lf + 1
        }
    }

    /// A last line without CRLF gets one, so the terminating "." stands alone (RFC 1939 §3).
    public mutating func finish(into out: inout [UInt8]) {
        if !atLineStart { out.append(contentsOf: [0x0D, 0x0A]) }
        out.append(contentsOf: [0x2E, 0x0D, 0x0A])
        atLineStart = true
        previous = 0
    }
}
