extension Envelope {
    /// Dovecot's placeholders for an address with no domain or no local part. The envelope has
    /// no way to say "missing" (a NIL host means a group marker, RFC 9051 §7.5.2), so a
    /// placeholder must go there; these are the ones clients already see from Dovecot.
    static let missingDomain = Array("MISSING_DOMAIN".utf8)
    static let missingMailbox = Array("MISSING_MAILBOX".utf8)

    /// The envelope of the header of `part` (the top-level message by default, or the root of an
    /// encapsulated message/rfc822), RFC 9051 §7.5.2.
    public init(of message: Message, header part: MessagePart? = nil) {
        let p = part ?? message.root
        var e = Envelope()
        for f in p.fields {
            guard let k = EnvelopeField(message.bytes, f.nameRange) else { continue }
            // RFC 5322 §3.6 allows each of these once. When a message repeats one anyway, the
            // last value counts and address lists are joined, as Dovecot does, so clients see
            // the same envelope from Roost as from the server they migrated from.
            let v = message.unfoldedValue(of: f)
            switch k {
            case .date: e.date = v
            case .subject: e.subject = v
            case .inReplyTo: e.inReplyTo = v
            case .messageID: e.messageID = v
            case .from: EnvelopeAddressParser.append(v, to: &e.from)
            case .sender: EnvelopeAddressParser.append(v, to: &e.sender)
            case .replyTo: EnvelopeAddressParser.append(v, to: &e.replyTo)
            case .to: EnvelopeAddressParser.append(v, to: &e.to)
            case .cc: EnvelopeAddressParser.append(v, to: &e.cc)
            case .bcc: EnvelopeAddressParser.append(v, to: &e.bcc)
            }
        }
        // "If the Sender or Reply-To header fields are absent ... or are present but empty, the
        // server sets the corresponding member of the envelope to be the same value as the from
        // member" (RFC 9051 §7.5.2). Empty From/To/Cc/Bcc lists are NIL.
        if e.from?.isEmpty == true { e.from = nil }
        if e.to?.isEmpty == true { e.to = nil }
        if e.cc?.isEmpty == true { e.cc = nil }
        if e.bcc?.isEmpty == true { e.bcc = nil }
        if e.sender?.isEmpty ?? true { e.sender = e.from }
        if e.replyTo?.isEmpty ?? true { e.replyTo = e.from }
        self = e
    }
}

/// The header fields the envelope reads.
enum EnvelopeField: UInt16 {
    case date, subject, from, sender, replyTo, to, cc, bcc, inReplyTo, messageID

    init?(_ bytes: [UInt8], _ name: Range<Int>) {
        let r: EnvelopeField?
        switch name.count {
        case 2: r = bytes.matchesLowercase(name, "to") ? .to : (bytes.matchesLowercase(name, "cc") ? .cc : nil)
        case 3: r = bytes.matchesLowercase(name, "bcc") ? .bcc : nil
        case 4: r = bytes.matchesLowercase(name, "date") ? .date : (bytes.matchesLowercase(name, "from") ? .from : nil)
        case 6: r = bytes.matchesLowercase(name, "sender") ? .sender : nil
        case 7: r = bytes.matchesLowercase(name, "subject") ? .subject : nil
        case 8: r = bytes.matchesLowercase(name, "reply-to") ? .replyTo : nil
        case 10: r = bytes.matchesLowercase(name, "message-id") ? .messageID : nil
        case 11: r = bytes.matchesLowercase(name, "in-reply-to") ? .inReplyTo : nil
        default: r = nil
        }
        guard let r else { return nil }
        self = r
    }
}

extension Array where Element == UInt8 {
    /// ASCII case-insensitive comparison of `self[range]` with a lowercase literal.
    @inline(__always)
    func matchesLowercase(_ range: Range<Int>, _ lowercase: StaticString) -> Bool {
        guard range.count == lowercase.utf8CodeUnitCount else { return false }
        let lit = lowercase.utf8Start
        var j = 0
        for i in range {
            if ASCII.lower(self[i]) != lit[j] { return false }
            j += 1
        }
        return true
    }
}

/// Reads an address list into envelope addresses (RFC 5322 §3.4, obsolete forms of §4.4),
/// keeping the phrase, local part and domain as sent: quoting removed, nothing decoded.
///
/// The lexer yields ranges into the value (no array per token); the texts the envelope keeps
/// are copied out of them once, into the arrays of the result.
enum EnvelopeAddressParser {
    enum Kind: UInt8 {
        case atom, quoted, comment, domainLiteral, special
    }

    /// A token of the value: `s..<e` is the atom, or the inside of the quotes, parentheses or
    /// brackets, still escaped; `ch` is the byte of a special.
    struct Token {
        var kind: Kind
        var ch: UInt8
        var s: Int
        var e: Int
    }

    /// Parses the list up to the first thing that is not an address; the rest is dropped (a
    /// broken list yields the addresses before the break, as Dovecot reads it). An open group
    /// is closed with its end marker so the list stays well formed.
    static func parse(_ value: [UInt8]) -> [EnvelopeAddress] {
        var out: [EnvelopeAddress] = []
        parse(value, into: &out)
        return out
    }

    /// `parse`, joined to the list already there (nil counts as empty).
    static func append(_ value: [UInt8], to list: inout [EnvelopeAddress]?) {
        var l = list ?? []
        list = nil
        parse(value, into: &l)
        list = l
    }

    /// `parse`, appending to `out`.
    static func parse(_ value: [UInt8], into out: inout [EnvelopeAddress]) {
        let p = Parser(b: value, t: tokens(value))
        let n = p.t.count
        var i = 0
        while i < n {
            if p.isSpecial(i, 44) {
                i += 1  // obs-addr-list: empty elements
                continue
            }
            guard p.parseAddress(&i, inGroup: false, into: &out) else { break }
            guard i < n else { break }
            guard p.isSpecial(i, 44) else { break }
        }
    }

    /// The tokens of `StructuredLexer.tokens(b, dotIsSpecial: false)`, as ranges.
    static func tokens(_ b: [UInt8]) -> [Token] {
        var out: [Token] = []
        out.reserveCapacity(16)
        var i = 0
        let n = b.count
        while i < n {
            let c = b[i]
            if ASCII.isFWS(c) {
                i += 1
                continue
            }
            switch c {
            case ASCII.quote:
                // RFC 5322 §3.2.4 quoted-string; an unterminated one runs to the end.
                i += 1
                let s = i
                while i < n && b[i] != ASCII.quote {
                    i += (b[i] == ASCII.backslash && i + 1 < n) ? 2 : 1
                }
                out.append(Token(kind: .quoted, ch: 0, s: s, e: i))
                i += 1
            case 40:
                // RFC 5322 §3.2.2 comment, nested; unterminated runs to the end.
                var depth = 1
                i += 1
                let s = i
                var e = n
                while i < n {
                    let d = b[i]
                    if d == ASCII.backslash && i + 1 < n {
                        i += 2
                        continue
                    }
                    if d == 40 { depth += 1 }
                    if d == 41 {
                        depth -= 1
                        if depth == 0 {
                            e = i
                            i += 1
                            break
                        }
                    }
                    i += 1
                }
                out.append(Token(kind: .comment, ch: 0, s: s, e: e))
            case 91:
                // §3.4.1 domain-literal.
                i += 1
                let s = i
                while i < n && b[i] != 93 { i += 1 }
                out.append(Token(kind: .domainLiteral, ch: 0, s: s, e: i))
                i += 1
            case 41, 60, 62, 58, 59, 64, 44, ASCII.backslash, 93:
                out.append(Token(kind: .special, ch: c, s: i, e: i + 1))
                i += 1
            default:
                let s = i
                while i < n && StructuredLexer.isAtext(b[i], dotIsSpecial: false) { i += 1 }
                if i == s { i += 1 }  // a control byte: drop it
                else { out.append(Token(kind: .atom, ch: 0, s: s, e: i)) }
            }
        }
        return out
    }

    struct Parser {
        let b: [UInt8]
        let t: [Token]

        @inline(__always)
        func isSpecial(_ i: Int, _ c: UInt8) -> Bool { t[i].kind == .special && t[i].ch == c }

        @inline(__always)
        func isWord(_ k: Int) -> Bool {
            let kind = t[k].kind
            return kind == .atom || kind == .quoted || kind == .domainLiteral
        }

        /// Appends the text of token `k`: an atom as is, a quoted string or comment without its
        /// escapes, a domain literal without whitespace (and in brackets with `brackets`).
        func append(_ k: Int, to out: inout [UInt8], brackets: Bool) {
            let tok = t[k]
            switch tok.kind {
            case .atom, .special:
                out.append(contentsOf: b[tok.s..<tok.e])
            case .quoted:
                var i = tok.s
                while i < tok.e {
                    if b[i] == ASCII.backslash && i + 1 < tok.e { i += 1 }
                    if b[i] != ASCII.cr && b[i] != ASCII.lf { out.append(b[i]) }
                    i += 1
                }
            case .comment:
                var i = tok.s
                while i < tok.e {
                    if b[i] == ASCII.backslash && i + 1 < tok.e {
                        out.append(b[i + 1])
                        i += 2
                        continue
                    }
                    out.append(b[i])
                    i += 1
                }
            case .domainLiteral:
                if brackets { out.append(91) }
                for i in tok.s..<tok.e where !ASCII.isFWS(b[i]) { out.append(b[i]) }
                if brackets { out.append(93) }
            }
        }

        func text(_ k: Int, brackets: Bool) -> [UInt8] {
            var out: [UInt8] = []
            out.reserveCapacity(t[k].e - t[k].s + 2)
            append(k, to: &out, brackets: brackets)
            return out
        }

        /// One address: a group, a name-addr, an addr-spec, or a bare phrase (broken). False when
        /// what follows cannot be read as an address.
        func parseAddress(_ i: inout Int, inGroup: Bool, into out: inout [EnvelopeAddress]) -> Bool {
            let phraseStart = i
            var words = 0
            var comment = -1
            while i < t.count {
                switch t[i].kind {
                case .atom, .quoted, .domainLiteral:
                    words += 1
                    i += 1
                case .comment:
                    if comment < 0 { comment = i }
                    i += 1
                case .special:
                    let phraseEnd = i
                    switch t[i].ch {
                    case 60:  // '<' name-addr
                        i += 1
                        var a = parseAngle(&i)
                        a.name = words == 0
                            ? trailingComment(&i) ?? nonEmptyComment(comment)
                            : joinPhrase(phraseStart, phraseEnd)
                        _ = trailingComment(&i)
                        out.append(a)
                        return true
                    case 58 where !inGroup:  // ':' group
                        i += 1
                        out.append(.groupStart(joinPhrase(phraseStart, phraseEnd)))
                        while i < t.count {
                            if t[i].kind == .special {
                                let d = t[i].ch
                                if d == 59 { i += 1; break }
                                if d == 44 { i += 1; continue }
                            }
                            guard parseAddress(&i, inGroup: true, into: &out) else {
                                out.append(.groupEnd)
                                return false
                            }
                            if i < t.count, isSpecial(i, 44) || isSpecial(i, 59) { continue }
                            if i < t.count {
                                out.append(.groupEnd)
                                return false
                            }
                        }
                        out.append(.groupEnd)
                        _ = trailingComment(&i)
                        return true
                    case 64:  // '@': the phrase was the local part of an addr-spec
                        i += 1
                        var local: [UInt8] = []
                        for k in phraseStart..<phraseEnd where isWord(k) { append(k, to: &local, brackets: true) }
                        let domain = parseDomain(&i)
                        let name = trailingComment(&i) ?? nonEmptyComment(comment)
                        out.append(EnvelopeAddress(
                            name: name, mailbox: local.isEmpty ? Envelope.missingMailbox : local,
                            host: domain.isEmpty ? Envelope.missingDomain : domain))
                        return true
                    default:
                        // ',' or ';' or a stray special after a bare phrase with no address.
                        return bare(phraseStart, phraseEnd, words, comment, into: &out)
                    }
                }
            }
            return bare(phraseStart, i, words, comment, into: &out)
        }

        /// A phrase with no '@' and no '<': one word is read as a local part without a domain,
        /// several as a display name without an address.
        func bare(_ from: Int, _ to: Int, _ words: Int, _ comment: Int, into out: inout [EnvelopeAddress]) -> Bool {
            switch words {
            case 0:
                return false
            case 1:
                var k = from
                while !isWord(k) { k += 1 }
                out.append(EnvelopeAddress(name: nonEmptyComment(comment), mailbox: text(k, brackets: true), host: Envelope.missingDomain))
            default:
                out.append(EnvelopeAddress(name: joinPhrase(from, to), mailbox: Envelope.missingMailbox, host: Envelope.missingDomain))
            }
            return true
        }

        /// Inside `<...>`: optional obs-route `@a,@b:`, then local-part `@` domain, then `>`.
        func parseAngle(_ i: inout Int) -> EnvelopeAddress {
            var route: [UInt8] = []
            // obs-route: "@" domain *("," ["@" domain]) ":"
            if i < t.count, isSpecial(i, 64) {
                var j = i
                var ok = false
                while j < t.count {
                    if t[j].kind == .special {
                        if t[j].ch == 58 { ok = true; break }
                        if t[j].ch == 62 { break }
                    }
                    j += 1
                }
                if ok {
                    for k in i..<j {
                        switch t[k].kind {
                        case .special: route.append(t[k].ch)
                        case .atom: append(k, to: &route, brackets: false)
                        case .domainLiteral: append(k, to: &route, brackets: true)
                        case .quoted, .comment: break
                        }
                    }
                    i = j + 1
                }
            }
            var local: [UInt8] = []
            var domain: [UInt8] = []
            var sawAt = false
            while i < t.count {
                switch t[i].kind {
                case .special:
                    let c = t[i].ch
                    if c == 62 {
                        i += 1
                        return make(local, domain, sawAt, route)
                    }
                    if c == 64 && !sawAt {
                        sawAt = true
                    } else if (c == 44 || c == 59) && !sawAt {
                        // A missing '>' (broken): the address ends at the list separator.
                        return make(local, domain, sawAt, route)
                    }
                case .atom, .quoted:
                    if sawAt { append(i, to: &domain, brackets: false) } else { append(i, to: &local, brackets: false) }
                case .domainLiteral:
                    if sawAt { append(i, to: &domain, brackets: true) } else { append(i, to: &local, brackets: false) }
                case .comment:
                    break
                }
                i += 1
            }
            return make(local, domain, sawAt, route)
        }

        func make(_ local: [UInt8], _ domain: [UInt8], _ sawAt: Bool, _ route: [UInt8]) -> EnvelopeAddress {
            EnvelopeAddress(
                adl: route.isEmpty ? nil : route,
                mailbox: local.isEmpty ? (sawAt || !domain.isEmpty ? Envelope.missingMailbox : []) : local,
                host: domain.isEmpty ? (local.isEmpty && !sawAt ? [] : Envelope.missingDomain) : domain)
        }

        /// domain: atoms (with dots) or a domain literal, up to a list separator.
        func parseDomain(_ i: inout Int) -> [UInt8] {
            var d: [UInt8] = []
            while i < t.count {
                switch t[i].kind {
                case .atom, .quoted: append(i, to: &d, brackets: false)
                case .domainLiteral: append(i, to: &d, brackets: true)
                case .comment: return d
                case .special:
                    let c = t[i].ch
                    if c == 44 || c == 59 || c == 60 || c == 58 || c == 62 { return d }
                }
                i += 1
                // A word after whitespace ends the domain ("a@b c@d" is two broken addresses).
                if i < t.count, t[i].kind == .atom { return d }
            }
            return d
        }

        /// A comment right after the address, used as the name when there is no phrase
        /// (`joe@example.com (Joe Blow)`, RFC 5322 §4.4 practice).
        func trailingComment(_ i: inout Int) -> [UInt8]? {
            var found = -1
            while i < t.count, t[i].kind == .comment {
                if found < 0, t[i].s < t[i].e { found = i }
                i += 1
            }
            return found < 0 ? nil : text(found, brackets: false)
        }

        /// The first comment of the phrase, when it has text.
        func nonEmptyComment(_ k: Int) -> [UInt8]? {
            guard k >= 0, t[k].s < t[k].e else { return nil }
            return text(k, brackets: false)
        }

        /// Words of a phrase joined by one space (RFC 5322 §3.2.5; FWS between words is a space).
        func joinPhrase(_ from: Int, _ to: Int) -> [UInt8] {
            var out: [UInt8] = []
            out.reserveCapacity(t[max(from, to - 1)].e - t[from].s + 2)
            var first = true
            for k in from..<to where isWord(k) {
                if !first { out.append(32) }
                first = false
                append(k, to: &out, brackets: true)
            }
            return out
        }
    }
}
