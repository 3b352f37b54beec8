/// The message-content FETCH data items (RFC 9051 §6.4.5, RFC 3501 §6.4.5 for the RFC822.*
/// forms), parsed from one `fetch-att` text such as `BODY.PEEK[1.HEADER.FIELDS (From)]<0.100>`.
/// FLAGS, UID, INTERNALDATE and MODSEQ belong to the mailbox, not the message bytes, and are
/// left to the server.
public enum FetchItem: Hashable, Sendable {
    case envelope
    case bodyStructure
    /// BODY without a section: BODYSTRUCTURE without extension data.
    case body
    case rfc822Size
    /// RFC 3501 §6.4.5: RFC822 = BODY[], RFC822.HEADER = BODY.PEEK[HEADER], RFC822.TEXT = BODY[TEXT].
    case rfc822
    case rfc822Header
    case rfc822Text
    case bodySection(SectionSpec, partial: Partial?, peek: Bool)
    case binary(part: [Int], partial: Partial?, peek: Bool)
    case binarySize(part: [Int])

    /// Whether fetching it sets \Seen (RFC 9051 §6.4.5: BODY[...] and BINARY[...] do, the
    /// .PEEK forms do not; RFC 3501: RFC822 and RFC822.TEXT do).
    public var setsSeen: Bool {
        switch self {
        case .bodySection(_, _, let peek), .binary(_, _, let peek): return !peek
        case .rfc822, .rfc822Text: return true
        default: return false
        }
    }

    public static func parse(_ text: String) throws(FetchItemError) -> FetchItem {
        try parse(Array(text.utf8))
    }

    public static func parse(_ t: [UInt8]) throws(FetchItemError) -> FetchItem {
        guard t.count <= SectionSpec.Bounds.maxLength + 64 else { throw FetchItemError("fetch item too long", at: 0) }
        var i = 0
        while i < t.count, t[i] != 91 { i += 1 }
        let name = String(decoding: t[0..<i].map { $0 >= 97 && $0 <= 122 ? $0 - 32 : $0 }, as: UTF8.self)
        guard i < t.count else {
            switch name {
            case "ENVELOPE": return .envelope
            case "BODYSTRUCTURE": return .bodyStructure
            case "BODY": return .body
            case "RFC822.SIZE": return .rfc822Size
            case "RFC822": return .rfc822
            case "RFC822.HEADER": return .rfc822Header
            case "RFC822.TEXT": return .rfc822Text
            default: throw FetchItemError("unknown fetch item", at: 0)
            }
        }
        // The section runs to the matching ']' (a quoted field name may contain one).
        let open = i
        i += 1
        var quoted = false
        while i < t.count {
            let c = t[i]
            if quoted {
                if c == 92 { i += 1 } else if c == 34 { quoted = false }
            } else if c == 34 {
                quoted = true
            } else if c == 93 {
                break
            }
            i += 1
        }
        guard i < t.count else { throw FetchItemError("missing ']'", at: open) }
        let sectionBytes = t[(open + 1)..<i]
        i += 1
        var partial: Partial?
        if i < t.count {
            partial = try parsePartial(t, i)
        }
        let spec: SectionSpec
        do { spec = try SectionSpec.parse(sectionBytes) } catch {
            throw FetchItemError("bad section: \(error.hint)", at: open + 1 + error.offset)
        }
        switch name {
        case "BODY", "BODY.PEEK":
            return .bodySection(spec, partial: partial, peek: name == "BODY.PEEK")
        case "BINARY", "BINARY.PEEK", "BINARY.SIZE":
            // section-binary = "[" [section-part] "]"
            guard spec.text == nil else { throw FetchItemError("BINARY takes part numbers only", at: open + 1) }
            if name == "BINARY.SIZE" {
                guard partial == nil else { throw FetchItemError("BINARY.SIZE takes no partial", at: open) }
                return .binarySize(part: spec.part)
            }
            return .binary(part: spec.part, partial: partial, peek: name == "BINARY.PEEK")
        default:
            throw FetchItemError("unknown fetch item", at: 0)
        }
    }

    /// partial = "<" number64 "." nz-number64 ">" (RFC 9051 §9).
    static func parsePartial(_ t: [UInt8], _ start: Int) throws(FetchItemError) -> Partial {
        var i = start
        guard t[i] == 60 else { throw FetchItemError("unexpected bytes after ']'", at: i) }
        i += 1
        func num() throws(FetchItemError) -> Int {
            let s = i
            var n = 0
            while i < t.count, ASCII.isDigit(t[i]) {
                // number64 is at most 2^63-1 (RFC 9051 §9); 18 digits always fit.
                guard i - s < 18 else { throw FetchItemError("number too large", at: s) }
                n = n * 10 + Int(t[i] - 48)
                i += 1
            }
            guard i > s else { throw FetchItemError("expected a number", at: s) }
            return n
        }
        let origin = try num()
        guard i < t.count, t[i] == 46 else { throw FetchItemError("expected '.' in the partial", at: i) }
        i += 1
        let countStart = i
        let count = try num()
        guard count > 0 else { throw FetchItemError("the partial length is nz-number64", at: countStart) }
        guard i < t.count, t[i] == 62, i + 1 == t.count else { throw FetchItemError("expected '>' to end the item", at: i) }
        return Partial(origin: origin, count: count)
    }
}

/// A fetch item that does not parse; the server answers `tag BAD` (RFC 9051 §7.1.3).
public struct FetchItemError: Error, Hashable, Sendable {
    public var hint: String
    public var offset: Int

    public init(_ hint: String, at offset: Int) {
        self.hint = hint
        self.offset = offset
    }
}

extension IMAPMessageView {
    /// Writes `name SP value` for one item, as it goes in a FETCH response (RFC 9051 §7.5.2).
    public func write(_ item: FetchItem, into w: inout IMAPWriter) throws(BinaryError) {
        switch item {
        case .envelope:
            w.raw("ENVELOPE ")
            w.envelope(envelope)
        case .bodyStructure:
            w.raw("BODYSTRUCTURE ")
            w.bodyStructure(bodyStructure, extensions: true)
        case .body:
            w.raw("BODY ")
            w.bodyStructure(bodyStructure, extensions: false)
        case .rfc822Size:
            w.raw("RFC822.SIZE ")
            w.number(rfc822Size)
        case .rfc822:
            w.raw("RFC822 ")
            w.literal(section(.whole))
        case .rfc822Header:
            w.raw("RFC822.HEADER ")
            w.literal(section(SectionSpec(text: .header)))
        case .rfc822Text:
            w.raw("RFC822.TEXT ")
            w.literal(section(SectionSpec(text: .text)))
        case .bodySection(let spec, let partial, _):
            w.raw("BODY[")
            w.raw(spec.wireText)
            w.raw("]")
            var data = section(spec)
            if let partial {
                w.raw("<")
                w.number(partial.origin)
                w.raw(">")
                data = partial.apply(data)
            }
            w.raw(" ")
            // Message text always goes as a literal (it has CRLFs; short header subsets too).
            w.literal(data)
        case .binary(let part, let partial, _):
            w.raw("BINARY[")
            w.raw(SectionSpec(part: part).wireText)
            w.raw("]")
            let full = try binary(part)
            var data = full[...]
            if let partial {
                w.raw("<")
                w.number(partial.origin)
                w.raw(">")
                data = partial.apply(full)
            }
            w.raw(" ")
            // RFC 9051 §7.5.2: a string when there is no NUL, literal8 otherwise.
            if data.contains(0) { w.literal8(data) } else { w.literal(data) }
        case .binarySize(let part):
            w.raw("BINARY.SIZE[")
            w.raw(SectionSpec(part: part).wireText)
            w.raw("] ")
            w.number(try binarySize(part))
        }
    }

    /// `* n FETCH (item item ...)` CRLF.
    public func fetchResponse(sequenceNumber n: Int, items: [FetchItem], utf8Quoted: Bool = false) throws(BinaryError) -> [UInt8] {
        var w = IMAPWriter(utf8Quoted: utf8Quoted, capacity: 512)
        w.raw("* ")
        w.number(n)
        w.raw(" FETCH (")
        for (k, item) in items.enumerated() {
            if k > 0 { w.space() }
            try write(item, into: &w)
        }
        w.raw(")\r\n")
        return w.bytes
    }
}
