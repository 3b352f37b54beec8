/// A command that does not parse (RFC 9051 §7.1.3 `BAD`). The tag is kept when it was read so
/// the server can answer `tag BAD`; without one the answer is `* BAD`.
public struct IMAPParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public var tag: String?
    public var hint: String
    public init(tag: String?, hint: String) { self.tag = tag; self.hint = hint }
    public var description: String { hint }
}

/// Parses one complete command (RFC 9051 §9 `command`) as it came over the wire, literals
/// included (`{n}` CRLF and n bytes, as the framer assembled them). Pure and bounded: nesting
/// depth and list lengths are capped (`IMAPLimits`); every failure is an `IMAPParseError`.
public enum IMAPParser {
    /// `utf8Accept`: the session enabled UTF8=ACCEPT, which changes two rules (RFC 6855 §3, §4):
    /// APPEND takes the `UTF8 (literal8)` data item, and SEARCH may not name a CHARSET.
    public static func parse(_ bytes: [UInt8], utf8Accept: Bool = false) -> Result<(tag: String, command: IMAPCommand), IMAPParseError> {
        var p = Cursor(bytes)
        p.utf8Accept = utf8Accept
        let tag: String
        do throws(Cursor.Failure) {
            tag = try p.tag()
        } catch {
            return .failure(IMAPParseError(tag: nil, hint: error.hint))
        }
        do throws(Cursor.Failure) {
            try p.space()
            let command = try p.command()
            guard p.atEnd else { throw Cursor.Failure("unexpected bytes after the command") }
            return .success((tag, command))
        } catch {
            return .failure(IMAPParseError(tag: tag, hint: error.hint))
        }
    }

    /// The tag of a command line, if it starts with one (for answering a line that was too long).
    public static func tag(of line: [UInt8]) -> String? {
        var p = Cursor(line)
        guard let tag = try? p.tag(), !p.atEnd, p.peek == 32 else { return nil }
        return tag
    }
}

/// The byte cursor the grammar reads with; one method per grammar rule.
struct Cursor {
    struct Failure: Error {
        var hint: String
        init(_ hint: String) { self.hint = hint }
    }

    let b: [UInt8]
    var i = 0
    var depth = 0
    /// UTF8=ACCEPT is enabled (see `IMAPParser.parse`).
    var utf8Accept = false

    init(_ bytes: [UInt8]) { b = bytes }

    var atEnd: Bool { i >= b.count }
    var peek: UInt8? { i < b.count ? b[i] : nil }

    // MARK: Characters (RFC 9051 §9)

    static func isAtomChar(_ c: UInt8) -> Bool {
        guard c > 0x20, c < 0x7f else { return false }
        switch c {
        case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "{"), UInt8(ascii: "%"), UInt8(ascii: "*"),
             UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "]"): return false
        default: return true
        }
    }
    static func isAStringChar(_ c: UInt8) -> Bool { isAtomChar(c) || c == UInt8(ascii: "]") }
    static func isListChar(_ c: UInt8) -> Bool { isAStringChar(c) || c == UInt8(ascii: "%") || c == UInt8(ascii: "*") }

    mutating func expect(_ c: UInt8, _ what: String) throws(Failure) {
        guard peek == c else { throw Failure("expected \(what)") }
        i += 1
    }

    mutating func space() throws(Failure) { try expect(32, "a space") }

    mutating func skip(_ c: UInt8) -> Bool {
        if peek == c { i += 1; return true }
        return false
    }

    /// Case-insensitive keyword match, consumed only if it matches and ends there.
    mutating func keyword(_ word: String) -> Bool {
        let w = Array(word.utf8)
        guard i + w.count <= b.count else { return false }
        for k in 0..<w.count where upper(b[i + k]) != w[k] { return false }
        if i + w.count < b.count, Self.isAtomChar(b[i + w.count]) && b[i + w.count] != UInt8(ascii: "[") { return false }
        i += w.count
        return true
    }

    func upper(_ c: UInt8) -> UInt8 { c >= 97 && c <= 122 ? c - 32 : c }

    mutating func tag() throws(Failure) -> String {
        let s = i
        while let c = peek, Self.isAStringChar(c), c != UInt8(ascii: "+") { i += 1 }
        guard i > s else { throw Failure("missing tag") }
        return String(decoding: b[s..<i], as: UTF8.self)
    }

    mutating func atom() throws(Failure) -> String {
        let s = i
        while let c = peek, Self.isAtomChar(c) { i += 1 }
        guard i > s else { throw Failure("expected an atom") }
        return String(decoding: b[s..<i], as: UTF8.self)
    }

    mutating func number() throws(Failure) -> Int {
        let s = i
        var n = 0
        while let c = peek, c >= 48, c <= 57 {
            guard i - s < 18 else { throw Failure("number too large") }
            n = n * 10 + Int(c - 48)
            i += 1
        }
        guard i > s else { throw Failure("expected a number") }
        return n
    }

    mutating func nzNumber32() throws(Failure) -> UInt32 {
        let n = try number()
        guard n > 0, n <= Int(UInt32.max) else { throw Failure("invalid message number") }
        return UInt32(n)
    }

    // MARK: Strings

    /// `quoted` (RFC 9051 §9): quoted-specials escaped with a backslash; 8-bit allowed (UTF-8).
    mutating func quoted() throws(Failure) -> [UInt8] {
        try expect(34, "a quoted string")
        var out: [UInt8] = []
        while let c = peek {
            i += 1
            switch c {
            case 34: return out
            case 92:
                guard let e = peek, e == 34 || e == 92 else { throw Failure("invalid escape in a quoted string") }
                out.append(e)
                i += 1
            case 13, 10, 0: throw Failure("CR, LF or NUL in a quoted string")
            default: out.append(c)
            }
        }
        throw Failure("unterminated quoted string")
    }

    /// `literal` / `literal8`: the framer guaranteed the bytes are present.
    mutating func literal(allowBinary: Bool = false) throws(Failure) -> [UInt8] {
        let binary = skip(UInt8(ascii: "~"))
        if binary && !allowBinary { throw Failure("literal8 not allowed here") }
        try expect(UInt8(ascii: "{"), "a literal")
        let n = try number()
        _ = skip(UInt8(ascii: "+"))
        try expect(UInt8(ascii: "}"), "'}'")
        try expect(13, "CRLF after the literal header")
        try expect(10, "CRLF after the literal header")
        guard b.count - i >= n else { throw Failure("truncated literal") }
        let out = Array(b[i..<(i + n)])
        i += n
        if !binary, out.contains(0) { throw Failure("NUL in a literal") }
        return out
    }

    mutating func string() throws(Failure) -> [UInt8] {
        switch peek {
        case 34: return try quoted()
        case UInt8(ascii: "{"), UInt8(ascii: "~"): return try literal()
        default: throw Failure("expected a string")
        }
    }

    mutating func astring() throws(Failure) -> [UInt8] {
        switch peek {
        case 34, UInt8(ascii: "{"): return try string()
        default:
            let s = i
            while let c = peek, Self.isAStringChar(c) { i += 1 }
            guard i > s else { throw Failure("expected a string or atom") }
            return Array(b[s..<i])
        }
    }

    mutating func astringText() throws(Failure) -> String {
        let bytes = try astring()
        guard let text = String(validating: bytes, as: UTF8.self) else { throw Failure("invalid UTF-8") }
        return text
    }

    mutating func nstring() throws(Failure) -> String? {
        if keyword("NIL") { return nil }
        let bytes = try string()
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `mailbox`: INBOX in any case means INBOX (RFC 9051 §5.1).
    mutating func mailbox() throws(Failure) -> String {
        let name = try astringText()
        return name.uppercased() == "INBOX" ? "INBOX" : name
    }

    /// `list-mailbox`: list-chars (wildcards allowed) or a string.
    mutating func listMailbox() throws(Failure) -> String {
        if peek == 34 || peek == UInt8(ascii: "{") { return String(decoding: try string(), as: UTF8.self) }
        let s = i
        while let c = peek, Self.isListChar(c) { i += 1 }
        guard i > s else { throw Failure("expected a mailbox pattern") }
        return String(decoding: b[s..<i], as: UTF8.self)
    }

    // MARK: Lists

    mutating func enter() throws(Failure) {
        depth += 1
        guard depth <= IMAPLimits.nestingDepth else { throw Failure("nesting too deep") }
    }

    mutating func leave() { depth -= 1 }

    /// `flag`: `\Answered` etc., `\Extension`, or a keyword atom.
    mutating func flag() throws(Failure) -> String {
        if skip(92) {
            if skip(UInt8(ascii: "*")) { return "\\*" }
            let name = try atom()
            // System flags in their canonical case (RFC 9051 §2.3.2).
            for known in ["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft", "\\Recent"]
            where known.lowercased() == "\\" + name.lowercased() { return known }
            return "\\" + name
        }
        return try atom()
    }

    mutating func flagList() throws(Failure) -> [String] {
        try expect(UInt8(ascii: "("), "'('")
        var flags: [String] = []
        if skip(UInt8(ascii: ")")) { return flags }
        while true {
            flags.append(try flag())
            guard flags.count <= IMAPLimits.listItems else { throw Failure("too many flags") }
            if skip(UInt8(ascii: ")")) { return flags }
            try space()
        }
    }

    mutating func sequenceSet() throws(Failure) -> SequenceSet {
        if skip(UInt8(ascii: "$")) { return SequenceSet(ranges: [], isSaved: true) }
        var ranges: [SequenceSet.Range] = []
        repeat {
            let from = try seqNumber()
            var to = from
            if skip(UInt8(ascii: ":")) { to = try seqNumber() }
            ranges.append(.init(from, to))
            guard ranges.count <= IMAPLimits.listItems else { throw Failure("sequence set too long") }
        } while skip(UInt8(ascii: ","))
        return SequenceSet(ranges: ranges)
    }

    mutating func seqNumber() throws(Failure) -> SequenceSet.Bound {
        if skip(UInt8(ascii: "*")) { return .last }
        guard let c = peek, c >= 49, c <= 57 else { throw Failure("invalid sequence set") }
        return .number(try nzNumber32())
    }

    // MARK: Dates

    static let months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]

    /// `date` (RFC 9051 §9): date-text or DQUOTE date-text DQUOTE; date-text = d-Mon-yyyy.
    mutating func date() throws(Failure) -> SearchDate {
        let quotedDate = skip(34)
        let day = try number()
        try expect(UInt8(ascii: "-"), "'-' in the date")
        let month = try monthName()
        try expect(UInt8(ascii: "-"), "'-' in the date")
        let year = try number()
        if quotedDate { try expect(34, "'\"' to end the date") }
        guard day >= 1, day <= 31, year >= 1, year <= 9999 else { throw Failure("invalid date") }
        return SearchDate(day: Self.daysSinceEpoch(year: year, month: month, day: day))
    }

    mutating func monthName() throws(Failure) -> Int {
        guard i + 3 <= b.count else { throw Failure("invalid month") }
        let name = String(decoding: b[i..<(i + 3)].map(upper), as: UTF8.self)
        guard let m = Self.months.firstIndex(of: name) else { throw Failure("invalid month") }
        i += 3
        return m + 1
    }

    /// `date-time` (RFC 9051 §9): "dd-Mon-yyyy hh:mm:ss +zzzz", day space-padded or 2 digits.
    mutating func dateTime() throws(Failure) -> (micros: Int64, zoneMinutes: Int16) {
        try expect(34, "a quoted date-time")
        _ = skip(32)
        let day = try number()
        try expect(UInt8(ascii: "-"), "'-' in the date-time")
        let month = try monthName()
        try expect(UInt8(ascii: "-"), "'-' in the date-time")
        let year = try number()
        try space()
        let hour = try number()
        try expect(UInt8(ascii: ":"), "':'")
        let minute = try number()
        try expect(UInt8(ascii: ":"), "':'")
        let second = try number()
        try space()
        let sign: Int
        if skip(UInt8(ascii: "+")) { sign = 1 } else if skip(UInt8(ascii: "-")) { sign = -1 } else { throw Failure("expected a zone") }
        let zoneStart = i
        let zone = try number()
        guard i - zoneStart == 4 else { throw Failure("the zone has four digits") }
        try expect(34, "'\"' to end the date-time")
        guard day >= 1, day <= 31, year >= 1, year <= 9999, hour < 24, minute < 60, second < 61, zone % 100 < 60 else {
            throw Failure("invalid date-time")
        }
        let offset = sign * ((zone / 100) * 60 + zone % 100)
        let days = Int64(Self.daysSinceEpoch(year: year, month: month, day: day))
        let seconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offset * 60)
        return (seconds * 1_000_000, Int16(offset))
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
