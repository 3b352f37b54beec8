/// A FETCH section specification (RFC 9051 §6.4.5.1, §9 `section-spec`): the text between the
/// brackets of `BODY[...]`, `BODY.PEEK[...]`, `BINARY[...]`.
///
///     section-spec    = section-msgtext / (section-part ["." section-text])
///     section-msgtext = "HEADER" / "HEADER.FIELDS" [".NOT"] SP header-list / "TEXT"
///     section-part    = nz-number *("." nz-number)
///     section-text    = section-msgtext / "MIME"
///
/// The empty section means the whole message.
public struct SectionSpec: Hashable, Sendable {
    public enum Text: Hashable, Sendable {
        case header
        /// Field names as the client sent them (matching is case-insensitive).
        case headerFields([[UInt8]])
        case headerFieldsNot([[UInt8]])
        case text
        /// Only after a part number (RFC 9051 §6.4.5.1 "MUST be prefixed by one or more
        /// numeric part specifiers").
        case mime
    }

    /// Part numbers, outermost first; empty for the message itself.
    public var part: [Int]
    public var text: Text?

    public init(part: [Int] = [], text: Text? = nil) {
        self.part = part
        self.text = text
    }

    public static let whole = SectionSpec()

    /// Bounds on what a client may send (RFC 9051 sets none; these are far past real use).
    public enum Bounds {
        /// Part numbers in one section (nesting depth). Part 1 stops structuring at 50 levels.
        public static let maxPartDepth = 64
        /// A part number: nz-number is at most 4294967295 (RFC 9051 §9 "number").
        public static let maxPartNumber = 4_294_967_295
        /// Field names in one HEADER.FIELDS list.
        public static let maxFieldNames = 256
        /// Bytes of one field name (RFC 5322 §2.1.1 caps a whole line at 998).
        public static let maxFieldNameLength = 998
        /// Bytes of the whole section text.
        public static let maxLength = 16 * 1024
    }

    /// Parses the section text (without the brackets). Keywords are case-insensitive
    /// (RFC 9051 §9: "ABNF literal strings are case-insensitive" per RFC 5234 §2.3).
    public static func parse<C: Collection>(_ text: C) throws(SectionSpecError) -> SectionSpec where C.Element == UInt8 {
        var p = SectionParser(Array(text))
        return try p.parse()
    }

    public static func parse(_ text: String) throws(SectionSpecError) -> SectionSpec {
        try parse(Array(text.utf8))
    }

    /// The canonical text, as a server echoes it in the FETCH response (keywords uppercase).
    public var wireText: [UInt8] {
        var out: [UInt8] = []
        for (k, n) in part.enumerated() {
            if k > 0 { out.append(46) }
            out += Array(String(n).utf8)
        }
        guard let text else { return out }
        if !part.isEmpty { out.append(46) }
        func list(_ names: [[UInt8]]) {
            out += [32, 40]
            for (k, n) in names.enumerated() {
                if k > 0 { out.append(32) }
                var w = IMAPWriter()
                w.astring(n)
                out += w.bytes
            }
            out.append(41)
        }
        switch text {
        case .header: out += Array("HEADER".utf8)
        case .text: out += Array("TEXT".utf8)
        case .mime: out += Array("MIME".utf8)
        case .headerFields(let names):
            out += Array("HEADER.FIELDS".utf8)
            list(names)
        case .headerFieldsNot(let names):
            out += Array("HEADER.FIELDS.NOT".utf8)
            list(names)
        }
        return out
    }
}

/// Why a section text did not parse; `offset` is the byte where it went wrong. The server
/// answers it with `tag BAD` (RFC 9051 §7.1.3: a syntax error).
public struct SectionSpecError: Error, Hashable, Sendable {
    public var hint: String
    public var offset: Int

    public init(_ hint: String, at offset: Int) {
        self.hint = hint
        self.offset = offset
    }
}

extension IMAPWriter {
    /// `astring` (RFC 9051 §9): an atom of ASTRING-CHAR when possible, a string otherwise.
    public mutating func astring(_ s: [UInt8]) {
        if !s.isEmpty, s.allSatisfy(SectionParser.isAstringChar) {
            raw(s)
        } else {
            string(s)
        }
    }
}

struct SectionParser {
    let b: [UInt8]
    var i = 0

    init(_ b: [UInt8]) { self.b = b }

    mutating func parse() throws(SectionSpecError) -> SectionSpec {
        guard b.count <= SectionSpec.Bounds.maxLength else {
            throw SectionSpecError("section longer than \(SectionSpec.Bounds.maxLength) bytes", at: SectionSpec.Bounds.maxLength)
        }
        var spec = SectionSpec()
        if b.isEmpty { return spec }
        while i < b.count, ASCII.isDigit(b[i]) {
            guard spec.part.count < SectionSpec.Bounds.maxPartDepth else {
                throw SectionSpecError("more than \(SectionSpec.Bounds.maxPartDepth) part numbers", at: i)
            }
            spec.part.append(try number())
            if i == b.count { return spec }
            guard b[i] == 46 else { throw SectionSpecError("expected '.' after a part number", at: i) }
            i += 1
            guard i < b.count else { throw SectionSpecError("section ends after '.'", at: i) }
        }
        let start = i
        let word = keyword()
        switch word {
        case "HEADER":
            spec.text = .header
        case "TEXT":
            spec.text = .text
        case "MIME":
            guard !spec.part.isEmpty else {
                throw SectionSpecError("MIME needs a part number before it", at: start)
            }
            spec.text = .mime
        case "HEADER.FIELDS":
            spec.text = .headerFields(try headerList())
        case "HEADER.FIELDS.NOT":
            spec.text = .headerFieldsNot(try headerList())
        default:
            throw SectionSpecError("expected a part number, HEADER, HEADER.FIELDS, HEADER.FIELDS.NOT, TEXT or MIME", at: start)
        }
        guard i == b.count else { throw SectionSpecError("unexpected bytes after the section", at: i) }
        return spec
    }

    /// nz-number: no leading zero, at most 4294967295.
    mutating func number() throws(SectionSpecError) -> Int {
        let start = i
        guard b[i] != 48 else { throw SectionSpecError("part numbers start at 1 and have no leading zero", at: i) }
        var n = 0
        while i < b.count, ASCII.isDigit(b[i]) {
            n = n * 10 + Int(b[i] - 48)
            i += 1
            guard n <= SectionSpec.Bounds.maxPartNumber else { throw SectionSpecError("part number too large", at: start) }
        }
        return n
    }

    /// Letters and dots, uppercased.
    mutating func keyword() -> String {
        let s = i
        while i < b.count, ASCII.isAlpha(b[i]) || b[i] == 46 { i += 1 }
        return String(decoding: b[s..<i].map { $0 >= 97 && $0 <= 122 ? $0 - 32 : $0 }, as: UTF8.self)
    }

    /// `SP "(" header-fld-name *(SP header-fld-name) ")"`; header-fld-name = astring.
    mutating func headerList() throws(SectionSpecError) -> [[UInt8]] {
        guard i < b.count, b[i] == 32 else { throw SectionSpecError("expected a space before the field list", at: i) }
        i += 1
        guard i < b.count, b[i] == 40 else { throw SectionSpecError("expected '(' to start the field list", at: i) }
        i += 1
        var names: [[UInt8]] = []
        while true {
            guard i < b.count else { throw SectionSpecError("unterminated field list", at: i) }
            guard names.count < SectionSpec.Bounds.maxFieldNames else {
                throw SectionSpecError("more than \(SectionSpec.Bounds.maxFieldNames) field names", at: i)
            }
            names.append(try astring())
            guard i < b.count else { throw SectionSpecError("unterminated field list", at: i) }
            if b[i] == 41 {
                i += 1
                return names
            }
            guard b[i] == 32 else { throw SectionSpecError("expected a space or ')' in the field list", at: i) }
            i += 1
        }
    }

    /// astring = 1*ASTRING-CHAR / quoted (literals are resolved by the command parser).
    mutating func astring() throws(SectionSpecError) -> [UInt8] {
        let start = i
        var out: [UInt8] = []
        if b[i] == 34 {
            i += 1
            while true {
                guard i < b.count else { throw SectionSpecError("unterminated quoted field name", at: start) }
                let c = b[i]
                if c == 34 { i += 1; break }
                if c == 92 {
                    i += 1
                    guard i < b.count, b[i] == 34 || b[i] == 92 else {
                        throw SectionSpecError("only \\\" and \\\\ may be escaped", at: i)
                    }
                }
                guard b[i] != 13, b[i] != 10, b[i] != 0 else { throw SectionSpecError("CR, LF or NUL in a quoted string", at: i) }
                out.append(b[i])
                i += 1
                guard out.count <= SectionSpec.Bounds.maxFieldNameLength else { throw SectionSpecError("field name too long", at: start) }
            }
        } else {
            while i < b.count, Self.isAstringChar(b[i]) {
                out.append(b[i])
                i += 1
                guard out.count <= SectionSpec.Bounds.maxFieldNameLength else { throw SectionSpecError("field name too long", at: start) }
            }
        }
        guard !out.isEmpty else { throw SectionSpecError("expected a field name", at: start) }
        // RFC 5322 §3.6.8: field-name = 1*ftext, ftext = %d33-57 / %d59-126.
        guard out.allSatisfy({ $0 >= 33 && $0 <= 126 && $0 != 58 }) else {
            throw SectionSpecError("a field name is printable ASCII without ':'", at: start)
        }
        return out
    }

    /// ASTRING-CHAR = ATOM-CHAR / resp-specials: any CHAR except "(" ")" "{" SP CTL "%" "*"
    /// DQUOTE "\" (RFC 9051 §9); "]" (resp-specials) is allowed by the grammar but ends the
    /// section in `BODY[...]`, so it never reaches here.
    static func isAstringChar(_ c: UInt8) -> Bool {
        switch c {
        case 0...32, 127...255, 40, 41, 123, 37, 42, 34, 92, 93: return false
        default: return true
        }
    }
}
