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
        var current = message.root  // the root of the (encapsulated) message being numbered
        var picked: MessagePart?
        for n in numbers {
            let list: [MessagePart]
            if let p = picked {
                switch p.body {
                case .multipart(let m): list = m.parts
                case .message(let inner): list = inner.multipart?.parts ?? [inner]
                    current = inner
                case .single: return nil
                }
            } else {
                list = current.multipart?.parts ?? [current]
            }
            guard n >= 1, n <= list.count else { return nil }
            picked = list[n - 1]
        }
        return picked
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
            return bytes[p.headerRange]
        case .header:
            guard let (root, _) = messageRoot(spec.part) else { return empty }
            return bytes[root.headerRange]
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
            if hit != not { out += bytes[f.range] }
        }
        let h = bytes[root.headerRange]
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
            if p.transferEncoding.isIdentity { return bytes }
        } else {
            guard let found = part(numbers) else { return [] }
            p = found
        }
        var decoded: [UInt8]
        switch p.transferEncoding {
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

    /// BINARY.SIZE: the size of what BINARY sends (RFC 9051 §7.5.2 "MUST match").
    public func binarySize(_ numbers: [Int]) throws(BinaryError) -> Int {
        if let p = numbers.isEmpty ? message.root : part(numbers), p.transferEncoding.isIdentity {
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
