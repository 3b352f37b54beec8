/// An SPF record (RFC 7208 §4.6, §12 grammar) parsed in full before anything is evaluated: a
/// syntax error anywhere makes the whole record a permerror (§4.6). Pure; bounded by the
/// record length limit.
public struct SPFRecord: Hashable, Sendable {
    public enum Qualifier: Character, Hashable, Sendable {
        case pass = "+", fail = "-", softfail = "~", neutral = "?"

        var result: SPFResult.Code {
            switch self {
            case .pass: .pass
            case .fail: .fail
            case .softfail: .softfail
            case .neutral: .neutral
            }
        }
    }

    public enum Mechanism: Hashable, Sendable {
        case all
        case include(MacroString)
        case a(MacroString?, ip4Prefix: Int, ip6Prefix: Int)
        case mx(MacroString?, ip4Prefix: Int, ip6Prefix: Int)
        case ptr(MacroString?)
        case ip4(IPAddress, prefix: Int)
        case ip6(IPAddress, prefix: Int)
        case exists(MacroString)

        /// Mechanisms that query DNS count toward the limit of 10 (§4.6.4).
        var queriesDNS: Bool {
            switch self {
            case .all, .ip4, .ip6: false
            case .include, .a, .mx, .ptr, .exists: true
            }
        }
    }

    public struct Directive: Hashable, Sendable {
        public var qualifier: Qualifier
        public var mechanism: Mechanism
        /// The term as written in the record, for evidence ("-all", "include:_spf.example.com").
        public var text: String
    }

    public var directives: [Directive]
    public var redirect: MacroString?
    public var explanation: MacroString?

    /// Longest record accepted (all TXT strings joined); longer ones are a permerror.
    public static let maximumLength = 4096

    public struct SyntaxError: Error, Hashable, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// True for TXT text that is an SPF record at all: "v=spf1" (any case) then a space or the
    /// end (§4.5). Other TXT records at the name are none of SPF's business.
    public static func isSPF(_ text: [UInt8]) -> Bool {
        let version = Array("v=spf1".utf8)
        guard text.count >= version.count else { return false }
        for (i, byte) in version.enumerated() where lowercaseASCII(text[i]) != byte { return false }
        return text.count == version.count || text[version.count] == 0x20
    }

    public init(parsing text: [UInt8]) throws(SyntaxError) {
        guard text.count <= Self.maximumLength else { throw SyntaxError(description: "record longer than \(Self.maximumLength) bytes") }
        guard Self.isSPF(text) else { throw SyntaxError(description: "not an SPF record") }
        guard text.allSatisfy({ $0 >= 0x20 && $0 < 0x7f }) else {
            throw SyntaxError(description: "record has characters outside printable ASCII")
        }
        directives = []
        redirect = nil
        explanation = nil
        let terms = text.dropFirst(6).split(separator: 0x20).map { String(decoding: $0, as: UTF8.self) }
        for term in terms { try parseTerm(term) }
    }

    public init(parsing text: String) throws(SyntaxError) {
        try self.init(parsing: Array(text.utf8))
    }

    private mutating func parseTerm(_ term: String) throws(SyntaxError) {
        let bytes = Array(term.utf8)
        // A modifier is `name "=" macro-string` with name = ALPHA *(ALPHA / DIGIT / "-" / "_" / ".").
        if let equals = bytes.firstIndex(of: UInt8(ascii: "=")), Self.isModifierName(bytes[..<equals]) {
            let name = String(decoding: bytes[..<equals], as: UTF8.self).lowercased()
            let value = String(decoding: bytes[(equals + 1)...], as: UTF8.self)
            switch name {
            case "redirect":
                guard redirect == nil else { throw SyntaxError(description: "redirect= appears twice") }
                redirect = try Self.domainSpec(value, term: term)
            case "exp":
                guard explanation == nil else { throw SyntaxError(description: "exp= appears twice") }
                explanation = try Self.domainSpec(value, term: term)
            default:
                // Unknown modifiers are ignored, but their value must still be a macro-string (§6).
                _ = try MacroString(parsing: value, context: .domain)
            }
            return
        }
        var rest = Substring(term)
        var qualifier = Qualifier.pass
        if let first = rest.first, let q = Qualifier(rawValue: first) {
            qualifier = q
            rest = rest.dropFirst()
        }
        let nameEnd = rest.firstIndex(where: { $0 == ":" || $0 == "/" }) ?? rest.endIndex
        let name = rest[..<nameEnd].lowercased()
        let argument = rest[nameEnd...]
        let mechanism: Mechanism
        switch name {
        case "all":
            guard argument.isEmpty else { throw SyntaxError(description: "\"all\" takes no argument: \(term)") }
            mechanism = .all
        case "include", "exists":
            guard argument.first == ":" else { throw SyntaxError(description: "\(name) needs a domain: \(term)") }
            let spec = try Self.domainSpec(String(argument.dropFirst()), term: term)
            mechanism = name == "include" ? .include(spec) : .exists(spec)
        case "a", "mx":
            let (domain, v4, v6) = try Self.domainAndDualCIDR(argument, term: term)
            mechanism = name == "a" ? .a(domain, ip4Prefix: v4, ip6Prefix: v6) : .mx(domain, ip4Prefix: v4, ip6Prefix: v6)
        case "ptr":
            if argument.isEmpty {
                mechanism = .ptr(nil)
            } else {
                guard argument.first == ":" else { throw SyntaxError(description: "ptr takes no prefix length: \(term)") }
                mechanism = .ptr(try Self.domainSpec(String(argument.dropFirst()), term: term))
            }
        case "ip4", "ip6":
            guard argument.first == ":" else { throw SyntaxError(description: "\(name) needs an address: \(term)") }
            var network = argument.dropFirst()
            let maximum = name == "ip4" ? 32 : 128
            var prefix = maximum
            if let slash = network.firstIndex(of: "/") {
                guard let length = Self.cidrLength(network[network.index(after: slash)...], maximum: maximum) else {
                    throw SyntaxError(description: "bad prefix length: \(term)")
                }
                prefix = length
                network = network[..<slash]
            }
            guard let address = IPAddress(String(network)), address.isIPv4 == (name == "ip4") else {
                throw SyntaxError(description: "bad \(name) address: \(term)")
            }
            mechanism = name == "ip4" ? .ip4(address, prefix: prefix) : .ip6(address, prefix: prefix)
        default:
            throw SyntaxError(description: "unknown mechanism: \(term)")
        }
        directives.append(Directive(qualifier: qualifier, mechanism: mechanism, text: term))
    }

    private static func isModifierName(_ name: ArraySlice<UInt8>) -> Bool {
        guard let first = name.first, isAlpha(first) else { return false }
        return name.allSatisfy { isAlpha($0) || isDigit($0) || $0 == 0x2d || $0 == 0x5f || $0 == 0x2e }
    }

    /// `[":" domain-spec] [dual-cidr-length]` after "a" or "mx". The prefix lengths are taken from
    /// the end, so a domain-spec may itself contain "/" (RFC 7208 §7.1 allows any visible
    /// character but "%" in a macro-literal).
    private static func domainAndDualCIDR(_ argument: Substring, term: String) throws(SyntaxError) -> (MacroString?, Int, Int) {
        var rest = argument
        var v4 = 32, v6 = 128
        /// A trailing "/digits" (or "//digits"): the digits, and the text before the slashes.
        func trailingLength(_ text: Substring, slashes: String) -> (Substring, Substring)? {
            let digits = text.reversed().prefix(while: { $0.isASCII && $0.isNumber })
            guard !digits.isEmpty else { return nil }
            let head = text.dropLast(digits.count)
            guard head.hasSuffix(slashes) else { return nil }
            let before = head.dropLast(slashes.count)
            if slashes == "/" && before.hasSuffix("/") { return nil }
            return (before, text.suffix(digits.count))
        }
        if let (before, digits) = trailingLength(rest, slashes: "//") {
            guard let length = cidrLength(digits, maximum: 128) else { throw SyntaxError(description: "bad IPv6 prefix length: \(term)") }
            v6 = length
            rest = before
        }
        if let (before, digits) = trailingLength(rest, slashes: "/") {
            guard let length = cidrLength(digits, maximum: 32) else { throw SyntaxError(description: "bad IPv4 prefix length: \(term)") }
            v4 = length
            rest = before
        }
        if rest.isEmpty { return (nil, v4, v6) }
        guard rest.first == ":" else { throw SyntaxError(description: "bad mechanism argument: \(term)") }
        return (try domainSpec(String(rest.dropFirst()), term: term), v4, v6)
    }

    /// `"0" / %x31-39 0*2DIGIT` up to `maximum`: no leading zeros.
    private static func cidrLength(_ text: Substring, maximum: Int) -> Int? {
        guard !text.isEmpty, text.count <= 3, text.allSatisfy({ $0.isASCII && $0.isNumber }),
              !(text.count > 1 && text.first == "0"), let value = Int(text), value <= maximum else { return nil }
        return value
    }

    /// A domain-spec: a macro-string ending in a macro-expand or in "." toplabel ["."] (§7.1).
    static func domainSpec(_ text: String, term: String) throws(SyntaxError) -> MacroString {
        guard !text.isEmpty else { throw SyntaxError(description: "empty domain: \(term)") }
        let spec = try MacroString(parsing: text, context: .domain)
        guard spec.endsInValidDomainEnd else { throw SyntaxError(description: "domain must end in a top-level label or a macro: \(term)") }
        return spec
    }

    static func isAlpha(_ b: UInt8) -> Bool { (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) }
    static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    static func lowercaseASCII(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5a ? b + 0x20 : b }
}

/// A macro-string (RFC 7208 §7.1): literal text and `%{…}` expansions, checked when parsed.
public struct MacroString: Hashable, Sendable, CustomStringConvertible {
    public enum Context: Sendable {
        /// In a record's domain-spec or modifier: c, r and t are not allowed, nor spaces.
        case domain
        /// An explanation string from an exp= TXT record: c, r, t and spaces are allowed.
        case explanation
    }

    public enum Token: Hashable, Sendable {
        case literal(String)
        /// `letter` lowercase; `escaped` when written uppercase (URL-escape the result).
        case macro(letter: Character, escaped: Bool, rightParts: Int?, reversed: Bool, delimiters: [Character])
    }

    public var tokens: [Token]
    public let text: String

    public var description: String { text }

    public init(parsing text: String, context: Context) throws(SPFRecord.SyntaxError) {
        self.text = text
        tokens = []
        var literal = ""
        let bytes = Array(text.utf8)
        var i = 0
        func flush() { if !literal.isEmpty { tokens.append(.literal(literal)); literal = "" } }
        while i < bytes.count {
            let b = bytes[i]
            if b != UInt8(ascii: "%") {
                let allowed = (b >= 0x21 && b <= 0x7e) || (context == .explanation && b == 0x20)
                guard allowed else { throw SPFRecord.SyntaxError(description: "character \(b) not allowed in \"\(text)\"") }
                literal.unicodeScalars.append(Unicode.Scalar(b))
                i += 1
                continue
            }
            guard i + 1 < bytes.count else { throw SPFRecord.SyntaxError(description: "\"%\" at the end of \"\(text)\"") }
            switch bytes[i + 1] {
            case UInt8(ascii: "%"): literal += "%"; i += 2
            case UInt8(ascii: "_"): literal += " "; i += 2
            case UInt8(ascii: "-"): literal += "%20"; i += 2
            case UInt8(ascii: "{"):
                guard let close = bytes[(i + 2)...].firstIndex(of: UInt8(ascii: "}")) else {
                    throw SPFRecord.SyntaxError(description: "unclosed macro in \"\(text)\"")
                }
                let body = bytes[(i + 2)..<close]
                flush()
                tokens.append(try Self.macro(body, context: context, text: text))
                i = close + 1
            default:
                throw SPFRecord.SyntaxError(description: "\"%\" must be followed by {, %, _ or - in \"\(text)\"")
            }
        }
        flush()
    }

    private static func macro(_ body: ArraySlice<UInt8>, context: Context, text: String) throws(SPFRecord.SyntaxError) -> Token {
        guard let first = body.first else { throw SPFRecord.SyntaxError(description: "empty macro in \"\(text)\"") }
        let letter = Character(Unicode.Scalar(SPFRecord.lowercaseASCII(first)))
        let allowed: Set<Character> = context == .domain ? ["s", "l", "o", "d", "i", "p", "h", "v"]
                                                         : ["s", "l", "o", "d", "i", "p", "h", "v", "c", "r", "t"]
        guard allowed.contains(letter) else { throw SPFRecord.SyntaxError(description: "macro letter \(letter) not allowed in \"\(text)\"") }
        var rest = body.dropFirst()
        var digits = ""
        while let b = rest.first, SPFRecord.isDigit(b) { digits.unicodeScalars.append(Unicode.Scalar(b)); rest = rest.dropFirst() }
        var rightParts: Int?
        if !digits.isEmpty {
            guard digits.count <= 3, let value = Int(digits), value > 0 else {
                throw SPFRecord.SyntaxError(description: "bad macro part count in \"\(text)\"")
            }
            rightParts = value
        }
        var reversed = false
        if let b = rest.first, b == UInt8(ascii: "r") || b == UInt8(ascii: "R") { reversed = true; rest = rest.dropFirst() }
        var delimiters: [Character] = []
        for b in rest {
            guard ".-+,/_=".utf8.contains(b) else { throw SPFRecord.SyntaxError(description: "bad macro delimiter in \"\(text)\"") }
            delimiters.append(Character(Unicode.Scalar(b)))
        }
        return .macro(letter: letter, escaped: SPFRecord.isAlpha(first) && first < 0x61, rightParts: rightParts,
                      reversed: reversed, delimiters: delimiters)
    }

    /// domain-end = ( "." toplabel [ "." ] ) / macro-expand (§7.1). `%%`, `%_`, `%-` are
    /// macro-expands too, but they become literal text here; a literal ending is checked as text.
    var endsInValidDomainEnd: Bool {
        guard let last = tokens.last else { return false }
        if case .macro = last { return true }
        if text.hasSuffix("%%") || text.hasSuffix("%_") || text.hasSuffix("%-") { return true }
        guard case var .literal(tail) = last else { return false }
        if tail.hasSuffix(".") { tail.removeLast() }
        guard let dot = tail.lastIndex(of: ".") else { return false }
        return Self.isTopLabel(tail[tail.index(after: dot)...])
    }

    /// toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
    static func isTopLabel(_ label: Substring) -> Bool {
        let bytes = Array(label.utf8)
        guard !bytes.isEmpty else { return false }
        let alphanum = { (b: UInt8) in SPFRecord.isAlpha(b) || SPFRecord.isDigit(b) }
        if bytes.allSatisfy(alphanum) { return bytes.contains(where: SPFRecord.isAlpha) }
        guard bytes.allSatisfy({ alphanum($0) || $0 == 0x2d }), alphanum(bytes.first!), alphanum(bytes.last!) else { return false }
        return true
    }
}
