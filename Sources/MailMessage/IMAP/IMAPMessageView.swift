/// What IMAP FETCH returns about one message (RFC 9051 §6.4.5, §7.5.2), as pure functions of
/// the message: ENVELOPE, BODYSTRUCTURE, BODY[section]<partial>, BINARY, BINARY.SIZE, RFC822.SIZE.
///
/// All views are over the CRLF form of the message (`Message.imapCanonical()`), so sizes,
/// line counts and section bytes agree with each other.
public struct IMAPMessageView: Sendable {
    /// The message as IMAP presents it (CRLF line endings).
    public let message: Message

    public init(_ message: Message) {
        self.message = message.imapCanonical()
    }

    public init(bytes: [UInt8], limits: Limits = .default) {
        self.init(Message(bytes: bytes, limits: limits))
    }

    /// The view of bytes the caller has already put in IMAP's CRLF form (no bare LF), so they
    /// are not scanned for bare line feeds again: the projection's rebuild path.
    public init(canonicalBytes bytes: [UInt8], limits: Limits = .default) {
        self.message = Message(bytes: bytes, limits: limits)
    }

    /// RFC822.SIZE (RFC 9051 §2.3.4): the octets of the message as BODY[] sends it.
    public var rfc822Size: Int { message.bytes.count }

    public var envelope: Envelope { Envelope(of: message) }
    public var bodyStructure: BodyStructure { BodyStructure(of: message) }

    // MARK: Part addressing (RFC 9051 §6.4.5.1)

    /// The part a section-part names, or nil if there is none. "Every message has at least one
    /// part number. Messages that do not use MIME, and MIME messages that are not multipart
    /// and have no encapsulated message within them, only have a part 1"; a message/rfc822
    /// part's numbers are those of the encapsulated message.
    public func part(_ numbers: [Int]) -> MessagePart? {
        var list = Self.numbered(message.root)
        var picked: MessagePart?
        for n in numbers {
            if let p = picked {
                switch p.body {
                case .multipart(let m): list = m.parts
                case .message(let inner): list = Self.numbered(inner)
                case .single: return nil
                }
            }
            guard n >= 1, n <= list.count else { return nil }
            picked = list[n - 1]
        }
        return picked
    }

    /// The parts numbered 1, 2, ... in a message whose root is `root`. A multipart with no
    /// boundary or no parts has none (BODYSTRUCTURE describes it with one empty part).
    static func numbered(_ root: MessagePart) -> [MessagePart] {
        if let m = root.multipart { return m.parts }
        if root.contentType.isMultipart { return [] }
        return [root]
    }

    /// The root of the message a HEADER / TEXT / HEADER.FIELDS specifier refers to: the message
    /// itself for an empty part, the encapsulated message of a message/rfc822 part otherwise.
    func messageRoot(_ numbers: [Int]) -> (root: MessagePart, end: Int)? {
        if numbers.isEmpty { return (message.root, message.bytes.count) }
        guard let p = part(numbers), case .message(let inner) = p.body else { return nil }
        return (inner, p.bodyRange.upperBound)
    }

    // MARK: BODY[section]

    /// The bytes of BODY[section] (RFC 9051 §6.4.5, §7.5.2). A section that names nothing
    /// (no such part, HEADER of a part that is not a message) is empty, as Dovecot sends it.
    public func section(_ spec: SectionSpec) -> ArraySlice<UInt8> {
        let bytes = message.bytes
        let empty = bytes[0..<0]
        guard let text = spec.text else {
            if spec.part.isEmpty { return bytes[...] }
            guard let p = part(spec.part) else { return empty }
            return bytes[p.bodyRange]
        }
        switch text {
        case .mime:
            guard let p = part(spec.part) else { return empty }
            return bytes[headerRange(p)]
        case .header:
            guard let (root, _) = messageRoot(spec.part) else { return empty }
            return bytes[headerRange(root)]
        case .text:
            guard let (root, end) = messageRoot(spec.part) else { return empty }
            return bytes[root.headerRange.upperBound..<max(root.headerRange.upperBound, end)]
        case .headerFields(let names), .headerFieldsNot(let names):
            guard let (root, _) = messageRoot(spec.part) else { return empty }
            var not = false
            if case .headerFieldsNot = text { not = true }
            return headerSubset(root, names.map { $0.map(ASCII.lower) }, not: not)[...]
        }
    }

    /// The header of a part as IMAP sends it. A part with no body whose header runs straight
    /// into the next delimiter line (`Content-Type: x` CRLF CRLF `--b`) has no blank line: the
    /// last CRLF belongs to the delimiter (RFC 2046 §5.1.1 "the CRLF preceding the boundary
    /// delimiter line is conceptually attached to the boundary"; body-part := MIME-part-headers
    /// [CRLF *OCTET]). The tree keeps that CRLF in the header range; it is dropped here.
    func headerRange(_ p: MessagePart) -> Range<Int> {
        let h = p.headerRange
        let b = message.bytes
        guard p.bodyRange.isEmpty, p.bodyRange.lowerBound == h.upperBound, h.count >= 2,
              h.upperBound + 1 < b.count, b[h.upperBound] == ASCII.dash, b[h.upperBound + 1] == ASCII.dash,
              b[h.upperBound - 1] == ASCII.lf, b[h.upperBound - 2] == ASCII.cr,
              h.count == 2 || (h.count >= 4 && b[h.upperBound - 3] == ASCII.lf && b[h.upperBound - 4] == ASCII.cr)
        else { return h }
        return h.lowerBound..<(h.upperBound - 2)
    }

    /// HEADER.FIELDS / HEADER.FIELDS.NOT: the matching fields in order, then the blank line
    /// ("Subsetting does not exclude the [RFC5322] delimiting blank line between the header and
    /// the body; the blank line is included in all header fetches, except in the case of a
    /// message that has no body and no blank line", RFC 9051 §6.4.5.1).
    func headerSubset(_ root: MessagePart, _ lowerNames: [[UInt8]], not: Bool) -> [UInt8] {
        let bytes = message.bytes
        var out: [UInt8] = []
        for f in root.fields {
            let n = f.nameRange
            let hit = lowerNames.contains { name in
                name.count == n.count && zip(bytes[n], name).allSatisfy { ASCII.lower($0) == $1 }
            }
            if hit != not {
                out += bytes[f.range]
                // A field is a line (RFC 5322 §2.2): the last one of a header with no blank line
                // and no body may end without its CRLF.
                if bytes[f.range].last != ASCII.lf { out += [13, 10] }
            }
        }
        let h = bytes[headerRange(root)]
        let hasBlankLine = h.elementsEqual([13, 10]) || h.suffix(4).elementsEqual([13, 10, 13, 10])
        if hasBlankLine || !root.bodyRange.isEmpty { out += [13, 10] }
        return out
    }

    // MARK: BINARY (RFC 3516, RFC 9051 §6.4.5, §7.5.2)

    /// The section with its Content-Transfer-Encoding removed. Text parts are sent with CRLF
    /// line endings whatever the decoded bytes use (RFC 9051 §7.5.2 "servers MUST ensure that
    /// textual line-oriented sections are always transmitted using the IMAP CRLF line
    /// termination syntax"). An encoding Roost cannot decode fails with `UNKNOWN-CTE`.
    public func binary(_ numbers: [Int]) throws(BinaryError) -> [UInt8] {
        let bytes = message.bytes
        let p: MessagePart
        if numbers.isEmpty {
            p = message.root
            if Self.strictEncoding(message, p).isIdentity { return bytes }
        } else {
            guard let found = part(numbers) else { return [] }
            p = found
        }
        var decoded: [UInt8]
        switch Self.strictEncoding(message, p) {
        case .sevenBit, .eightBit, .binary:
            return Array(bytes[p.bodyRange])
        case .base64:
            decoded = TransferDecoding.base64(bytes[p.bodyRange]).bytes
        case .quotedPrintable:
            decoded = TransferDecoding.quotedPrintable(bytes[p.bodyRange]).bytes
        case .other(let name):
            throw BinaryError(encoding: name)
        }
        if p.contentType.type == "text" { decoded = Self.crlf(decoded) }
        if numbers.isEmpty { return Array(bytes[p.headerRange]) + decoded }
        return decoded
    }

    /// The Content-Transfer-Encoding BINARY decodes: only the five of RFC 2045 §6.1, spelled
    /// right (any case). Part 1 reads "8-bit" and the like as their intended encodings for
    /// display; for BINARY an unrecognised value is unknown ("treated as if it has a
    /// Content-Type of application/octet-stream", RFC 2045 §6.4), so the client is told.
    static func strictEncoding(_ m: Message, _ p: MessagePart) -> TransferEncoding {
        let v: [UInt8]? = m.bytes.withUnsafeBufferPointer { b in
            RawMIMEFields(b, p.fields, m.limits).transferEncoding.map { unfold(b, $0) }
        }
        guard let v else { return .sevenBit }
        let (t, e) = v.withUnsafeBufferPointer { RawMIMEValue.token($0, from: 0) }
        let token = String.asciiLowercased(v[t])
        guard ParameterParser.skipCFWS(v, e) == v.count else { return .other(String(decoding: v, as: UTF8.self)) }
        switch token {
        case "7bit": return .sevenBit
        case "8bit": return .eightBit
        case "binary": return .binary
        case "base64": return .base64
        case "quoted-printable": return .quotedPrintable
        default: return .other(token)
        }
    }

    /// BINARY.SIZE: the size of what BINARY sends (RFC 9051 §7.5.2 "MUST match").
    public func binarySize(_ numbers: [Int]) throws(BinaryError) -> Int {
        if let p = numbers.isEmpty ? message.root : part(numbers), Self.strictEncoding(message, p).isIdentity {
            return numbers.isEmpty ? message.bytes.count : p.bodyRange.count
        }
        return try binary(numbers).count
    }

    static func crlf(_ b: [UInt8]) -> [UInt8] {
        var bare = false
        var prev: UInt8 = 0
        for c in b {
            if c == 10 && prev != 13 { bare = true; break }
            prev = c
        }
        guard bare else { return b }
        var out: [UInt8] = []
        out.reserveCapacity(b.count + b.count / 16)
        prev = 0
        for c in b {
            if c == 10 && prev != 13 { out.append(13) }
            out.append(c)
            prev = c
        }
        return out
    }
}

/// BINARY / BINARY.SIZE on a part whose Content-Transfer-Encoding Roost cannot decode. The
/// server answers `NO [UNKNOWN-CTE]` (RFC 9051 §7.1 response code, §7.5.2: "it MUST fail the
/// request and issue a "NO" response that contains the "UNKNOWN-CTE" response code").
public struct BinaryError: Error, Hashable, Sendable {
    public var encoding: String
    public var responseCode: String { "UNKNOWN-CTE" }
}

/// A partial range `<origin.count>` (RFC 9051 §6.4.5: "If the starting octet is beyond the end
/// of the text, an empty string is returned"; a fetch past the end is truncated).
public struct Partial: Hashable, Sendable {
    public var origin: Int
    public var count: Int

    public init(origin: Int, count: Int) {
        self.origin = origin
        self.count = count
    }

    public func apply<C: RandomAccessCollection>(_ data: C) -> C.SubSequence where C.Index == Int {
        let lo = data.startIndex + min(origin, data.count)
        let hi = lo + min(count, data.endIndex - lo)
        return data[lo..<hi]
    }
}
