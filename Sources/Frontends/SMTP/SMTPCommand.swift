public import Journal

/// MAIL FROM parameters Roost announces (RFC 1870 SIZE, RFC 6152 8BITMIME, RFC 6531 SMTPUTF8,
/// RFC 3461 RET/ENVID, RFC 4954 §5 AUTH), typed; `raw` keeps them as given, for the event.
public struct SMTPMailParameters: Hashable, Sendable {
    public enum Body: String, Sendable, Hashable { case sevenBit = "7BIT", eightBitMIME = "8BITMIME" }
    public var size: Int?
    public var body: Body?
    public var smtpUTF8 = false
    /// RFC 3461 §4.3: FULL or HDRS.
    public var ret: String?
    /// RFC 3461 §4.4, xtext as given.
    public var envelopeID: String?
    /// RFC 4954 §5, xtext as given.
    public var auth: String?
    public var raw: [SMTPParameter] = []
    public init() {}
}

/// RCPT TO parameters (RFC 3461 §4.1 NOTIFY, §4.2 ORCPT).
public struct SMTPRecipientParameters: Hashable, Sendable {
    public var notify: String?
    public var originalRecipient: String?
    public var raw: [SMTPParameter] = []
    public init() {}
}

/// One SMTP command (RFC 5321 §4.1.1, RFC 3207 STARTTLS, RFC 4954 AUTH, RFC 3030 BDAT).
public enum SMTPCommand: Hashable, Sendable {
    case ehlo(String)
    case helo(String)
    /// nil reverse path is the null sender `<>`.
    case mail(from: SMTPMailbox?, SMTPMailParameters)
    case rcpt(to: SMTPMailbox, SMTPRecipientParameters)
    case data
    case bdat(size: Int, last: Bool)
    case rset
    case noop
    case quit
    case vrfy(String)
    case help
    case startTLS
    /// `initialResponse` nil when absent, "=" for an empty one (RFC 4954 §4).
    case auth(mechanism: String, initialResponse: String?)

    /// The verb, as metrics label it.
    public var verb: String {
        switch self {
        case .ehlo: "EHLO"
        case .helo: "HELO"
        case .mail: "MAIL"
        case .rcpt: "RCPT"
        case .data: "DATA"
        case .bdat: "BDAT"
        case .rset: "RSET"
        case .noop: "NOOP"
        case .quit: "QUIT"
        case .vrfy: "VRFY"
        case .help: "HELP"
        case .startTLS: "STARTTLS"
        case .auth: "AUTH"
        }
    }
}

/// Why a command line did not parse.
public struct SMTPParseError: Error, Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// Longer than `SMTPLimits.commandLength` (RFC 5321 §4.5.3.1.4): 500 5.5.2.
        case tooLong
        /// Not a command Roost knows (EXPN, TURN, …): 500 5.5.2 (RFC 5321 §4.2.4).
        case unknownCommand
        /// Bytes that are not text, or a line not ended by CRLF: 500 5.5.2.
        case malformed
        /// Bad arguments: 501 with `enhanced` (5.5.4, or 5.1.7/5.1.3 for a bad address).
        case syntax(verb: String, enhanced: String, message: String)
        /// A parameter Roost does not announce: 555 5.5.4 (RFC 5321 §4.1.1.11).
        case unsupportedParameter(verb: String, keyword: String)
        /// A BDAT whose size cannot be read: the chunk cannot be framed, so the connection ends.
        case unframeableBDAT
    }
    public var kind: Kind
    init(_ kind: Kind) { self.kind = kind }
}

/// Parses one command line (without CRLF). Pure and bounded.
///
/// RFC 5321 §2.4: verbs are case-insensitive. Roost tolerates a space after `MAIL FROM:` and
/// `RCPT TO:` (many clients send one) but nothing else outside the grammar.
public enum SMTPCommandParser {
    public static func parse(_ line: some Collection<UInt8>) -> Result<SMTPCommand, SMTPParseError> {
        guard line.count <= SMTPLimits.lineLength else { return .failure(.init(.tooLong)) }
        // Text: printable ASCII, space, tab, and UTF-8 (RFC 6531 addresses); no controls.
        guard !line.isEmpty, line.allSatisfy({ $0 >= 0x20 && $0 != 0x7F || $0 == 0x09 }) else { return .failure(.init(.malformed)) }
        let bytes = Array(line)[...]
        guard SMTPPathParser.isValidUTF8(bytes) else { return .failure(.init(.malformed)) }
        let text = String(decoding: bytes, as: UTF8.self)
        let verbEnd = text.firstIndex(of: " ") ?? text.endIndex
        let verb = text[..<verbEnd].uppercased()
        let rest = verbEnd == text.endIndex ? Substring("") : text[text.index(after: verbEnd)...]
        if verb != "AUTH" && line.count > SMTPLimits.commandLength { return .failure(.init(.tooLong)) }
        func syntax(_ message: String, _ enhanced: String = "5.5.4") -> Result<SMTPCommand, SMTPParseError> {
            .failure(.init(.syntax(verb: verb, enhanced: enhanced, message: message)))
        }
        // Trimmed as a Substring: a String made from a reversed Character sequence cost more than
        // the rest of the parse.
        var trimmed = rest.drop(while: { $0 == " " })
        while trimmed.last == " " { trimmed = trimmed.dropLast() }
        let argument = String(trimmed)

        switch verb {
        case "EHLO", "HELO":
            // RFC 5321 §4.1.1.1: a domain or an address literal; the HELO check judges it later.
            guard !argument.isEmpty, !argument.contains(" ") else { return syntax("\(verb) needs a domain or address literal") }
            return .success(verb == "EHLO" ? .ehlo(argument) : .helo(argument))
        case "MAIL":
            return mail(rest)
        case "RCPT":
            return rcpt(rest)
        case "DATA", "RSET", "QUIT", "STARTTLS":
            guard argument.isEmpty else { return syntax("\(verb) takes no arguments") }
            switch verb {
            case "DATA": return .success(.data)
            case "RSET": return .success(.rset)
            case "QUIT": return .success(.quit)
            default: return .success(.startTLS)
            }
        case "NOOP":
            // RFC 5321 §4.1.1.9: a parameter string is allowed and ignored.
            return .success(.noop)
        case "HELP":
            return .success(.help)
        case "VRFY":
            guard !argument.isEmpty else { return syntax("VRFY needs an argument") }
            return .success(.vrfy(argument))
        case "BDAT":
            guard let (size, last) = bdat(argument) else { return .failure(.init(.unframeableBDAT)) }
            return .success(.bdat(size: size, last: last))
        case "AUTH":
            let args = argument.split(separator: " ", omittingEmptySubsequences: true)
            guard args.count == 1 || args.count == 2 else { return syntax("AUTH mechanism [initial-response]") }
            return .success(.auth(mechanism: args[0].uppercased(), initialResponse: args.count == 2 ? String(args[1]) : nil))
        default:
            return .failure(.init(.unknownCommand))
        }
    }

    /// RFC 3030 §2: `BDAT chunk-size [SP end-marker]`. Shared with the framer, which must agree
    /// exactly on which lines start a chunk.
    static func bdat(_ argument: some StringProtocol) -> (Int, Bool)? {
        let parts = argument.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 1 || (parts.count == 2 && parts[1].uppercased() == "LAST") else { return nil }
        guard let size = number(parts[0]) else { return nil }
        return (size, parts.count == 2)
    }

    static func number(_ text: some StringProtocol) -> Int? {
        guard !text.isEmpty, text.utf8.count <= SMTPLimits.numberDigits, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int(text)
    }

    /// `FROM:<path> [params]` (RFC 5321 §4.1.1.2).
    private static func mail(_ rest: Substring) -> Result<SMTPCommand, SMTPParseError> {
        guard let (path, params) = split(rest, prefix: "FROM:") else {
            return .failure(.init(.syntax(verb: "MAIL", enhanced: "5.5.4", message: "use MAIL FROM:<address>")))
        }
        var parameters = SMTPMailParameters()
        for (keyword, value) in params {
            parameters.raw.append(SMTPParameter(keyword: keyword, value: value))
            func bad(_ m: String) -> Result<SMTPCommand, SMTPParseError> { .failure(.init(.syntax(verb: "MAIL", enhanced: "5.5.4", message: m))) }
            switch keyword {
            case "SIZE":
                guard parameters.size == nil, let v = value, let n = number(v) else { return bad("bad SIZE parameter") }
                parameters.size = n
            case "BODY":
                guard parameters.body == nil, let v = value else { return bad("bad BODY parameter") }
                guard let body = SMTPMailParameters.Body(rawValue: v.uppercased()) else {
                    return .failure(.init(.unsupportedParameter(verb: "MAIL", keyword: "BODY=\(v)")))
                }
                parameters.body = body
            case "SMTPUTF8":
                guard !parameters.smtpUTF8, value == nil else { return bad("SMTPUTF8 takes no value") }
                parameters.smtpUTF8 = true
            case "RET":
                guard parameters.ret == nil, let v = value?.uppercased(), v == "FULL" || v == "HDRS" else { return bad("RET must be FULL or HDRS") }
                parameters.ret = v
            case "ENVID":
                guard parameters.envelopeID == nil, let v = value, v.utf8.count <= 100, isXtext(v) else { return bad("bad ENVID parameter") }
                parameters.envelopeID = v
            case "AUTH":
                guard parameters.auth == nil, let v = value, isXtext(v) else { return bad("bad AUTH parameter") }
                parameters.auth = v
            default:
                return .failure(.init(.unsupportedParameter(verb: "MAIL", keyword: keyword)))
            }
        }
        switch SMTPPathParser.parse(path.utf8, allowNull: true, utf8: parameters.smtpUTF8) {
        case .success(let mailbox): return .success(.mail(from: mailbox, parameters))
        case .failure(let failure): return .failure(.init(.syntax(verb: "MAIL", enhanced: "5.1.7", message: pathMessage(failure, "sender"))))
        }
    }

    /// `TO:<path> [params]` (RFC 5321 §4.1.1.3). `<Postmaster>` without a domain is not
    /// accepted: Roost's postmaster is an ordinary alias at each domain.
    private static func rcpt(_ rest: Substring) -> Result<SMTPCommand, SMTPParseError> {
        guard let (path, params) = split(rest, prefix: "TO:") else {
            return .failure(.init(.syntax(verb: "RCPT", enhanced: "5.5.4", message: "use RCPT TO:<address>")))
        }
        var parameters = SMTPRecipientParameters()
        for (keyword, value) in params {
            parameters.raw.append(SMTPParameter(keyword: keyword, value: value))
            func bad(_ m: String) -> Result<SMTPCommand, SMTPParseError> { .failure(.init(.syntax(verb: "RCPT", enhanced: "5.5.4", message: m))) }
            switch keyword {
            case "NOTIFY":
                // RFC 3461 §4.1: NEVER alone, or a list of SUCCESS, FAILURE, DELAY.
                guard parameters.notify == nil, let v = value?.uppercased() else { return bad("bad NOTIFY parameter") }
                let items = v.split(separator: ",", omittingEmptySubsequences: false)
                let valid = items == ["NEVER"] || (!items.isEmpty && Set(items).count == items.count
                    && items.allSatisfy { ["SUCCESS", "FAILURE", "DELAY"].contains($0) })
                guard valid else { return bad("NOTIFY must be NEVER or SUCCESS, FAILURE, DELAY") }
                parameters.notify = v
            case "ORCPT":
                // RFC 3461 §4.2: addr-type ";" xtext.
                guard parameters.originalRecipient == nil, let v = value, let semi = v.firstIndex(of: ";"),
                      semi != v.startIndex, v.utf8.count <= 500, isXtext(v[v.index(after: semi)...]) else { return bad("bad ORCPT parameter") }
                parameters.originalRecipient = v
            default:
                return .failure(.init(.unsupportedParameter(verb: "RCPT", keyword: keyword)))
            }
        }
        switch SMTPPathParser.parse(path.utf8, allowNull: false, utf8: true) {
        case .success(let mailbox?): return .success(.rcpt(to: mailbox, parameters))
        case .success(nil), .failure(.syntax), .failure(.nonASCII):
            return .failure(.init(.syntax(verb: "RCPT", enhanced: "5.1.3", message: "bad recipient address syntax")))
        case .failure(.tooLong):
            return .failure(.init(.syntax(verb: "RCPT", enhanced: "5.1.3", message: "recipient address too long")))
        }
    }

    private static func pathMessage(_ failure: SMTPPathParser.Failure, _ what: String) -> String {
        switch failure {
        case .syntax: "bad \(what) address syntax"
        case .tooLong: "\(what) address too long"
        case .nonASCII: "\(what) address needs SMTPUTF8"
        }
    }

    /// Splits `FROM:<path> k=v k` into the path and the parameters (keywords uppercased).
    private static func split(_ rest: Substring, prefix: String) -> (Substring, [(String, String?)])? {
        guard rest.count >= prefix.count, rest.prefix(prefix.count).uppercased() == prefix else { return nil }
        let afterPrefix = rest.dropFirst(prefix.count).drop(while: { $0 == " " })
        guard afterPrefix.first == "<" else { return nil }
        // The path ends at the first ">" outside a quoted string.
        var inQuote = false, escaped = false
        var end: Substring.Index?
        for i in afterPrefix.indices {
            let c = afterPrefix[i]
            if escaped { escaped = false; continue }
            if inQuote && c == "\\" { escaped = true; continue }
            if c == "\"" { inQuote.toggle(); continue }
            if c == ">" && !inQuote { end = i; break }
        }
        guard let end else { return nil }
        let path = afterPrefix[...end]
        let tail = afterPrefix[afterPrefix.index(after: end)...]
        guard tail.isEmpty || tail.first == " " else { return nil }
        var params: [(String, String?)] = []
        for word in tail.split(separator: " ", omittingEmptySubsequences: true) {
            let eq = word.firstIndex(of: "=")
            let keyword = (eq.map { word[..<$0] } ?? word).uppercased()
            // RFC 5321 §4.1.2 esmtp-keyword and esmtp-value.
            guard let first = keyword.utf8.first, isAlnum(first), keyword.utf8.allSatisfy({ isAlnum($0) || $0 == UInt8(ascii: "-") }) else { return nil }
            var value: String?
            if let eq {
                let v = word[word.index(after: eq)...]
                guard !v.isEmpty, v.utf8.allSatisfy({ ($0 >= 33 && $0 <= 126 && $0 != UInt8(ascii: "=")) || $0 >= 0x80 }) else { return nil }
                value = String(v)
            }
            params.append((keyword, value))
        }
        return (path, params)
    }

    private static func isAlnum(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
    }

    /// RFC 3461 §4: xtext is printable ASCII except "+" and "=", with "+XX" hex escapes.
    static func isXtext(_ s: some StringProtocol) -> Bool {
        var bytes = s.utf8.makeIterator()
        while let b = bytes.next() {
            if b == UInt8(ascii: "+") {
                guard let h1 = bytes.next(), let h2 = bytes.next(), isUpperHex(h1), isUpperHex(h2) else { return false }
                continue
            }
            guard b >= 33 && b <= 126 && b != UInt8(ascii: "=") else { return false }
        }
        return true
    }

    private static func isUpperHex(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) }
}
