extension Envelope {
    /// Dovecot's placeholders for an address with no domain or no local part. The envelope has
    /// no way to say "missing" (a NIL host means a group marker, RFC 9051 §7.5.2), so a
    /// placeholder must go there; these are the ones clients already see from Dovecot.
    static let missingDomain = Array("MISSING_DOMAIN".utf8)
    static let missingMailbox = Array("MISSING_MAILBOX".utf8)

    /// The envelope of the header of `part` (the top-level message by default, or the root of an
    /// encapsulated message/rfc822), RFC 9051 §7.5.2.
    public init(of message: Message, header part: MessagePart? = nil) {
        let fields = part?.fields ?? message.root.fields
        let limits = message.limits
        self = message.bytes.withUnsafeBufferPointer { b in
            ViewScratch.with { Envelope(fields: fields, b, limits, $0) }
        }
    }

    /// The envelope of `fields` in the message bytes `b`. Address lists are read in place (or
    /// unfolded into `scratch`): only the strings the envelope keeps are allocated.
    init(fields: [HeaderField], _ b: UnsafeBufferPointer<UInt8>, _ limits: Limits, _ scratch: ViewScratch) {
        var date: [UInt8]?, subject: [UInt8]?, inReplyTo: [UInt8]?, messageID: [UInt8]?
        var from: [EnvelopeAddress]?, sender: [EnvelopeAddress]?, replyTo: [EnvelopeAddress]?
        var to: [EnvelopeAddress]?, cc: [EnvelopeAddress]?, bcc: [EnvelopeAddress]?
        for f in fields {
            guard let k = EnvelopeField(b, f.nameRange) else { continue }
            // RFC 5322 §3.6 allows each of these once. When a message repeats one anyway, the
            // last value counts and address lists are joined, as Dovecot does, so clients see
            // the same envelope from Roost as from the server they migrated from.
            let r = f.structuredValueRange(limits)
            switch k {
            case .date: date = unfold(b, r)
            case .subject: subject = unfold(b, r)
            case .inReplyTo: inReplyTo = unfold(b, r)
            case .messageID: messageID = unfold(b, r)
            case .from: EnvelopeAddressParser.append(b, r, to: &from, scratch)
            case .sender: EnvelopeAddressParser.append(b, r, to: &sender, scratch)
            case .replyTo: EnvelopeAddressParser.append(b, r, to: &replyTo, scratch)
            case .to: EnvelopeAddressParser.append(b, r, to: &to, scratch)
            case .cc: EnvelopeAddressParser.append(b, r, to: &cc, scratch)
            case .bcc: EnvelopeAddressParser.append(b, r, to: &bcc, scratch)
            }
        }
        // "If the Sender or Reply-To header fields are absent ... or are present but empty, the
        // server sets the corresponding member of the envelope to be the same value as the from
        // member" (RFC 9051 §7.5.2). Empty From/To/Cc/Bcc lists are NIL.
        if from?.isEmpty == true { from = nil }
        if to?.isEmpty == true { to = nil }
        if cc?.isEmpty == true { cc = nil }
        if bcc?.isEmpty == true { bcc = nil }
        if sender?.isEmpty ?? true { sender = from }
        if replyTo?.isEmpty ?? true { replyTo = from }
        self.init(
            date: date, subject: subject, from: from, sender: sender, replyTo: replyTo, to: to, cc: cc,
            bcc: bcc, inReplyTo: inReplyTo, messageID: messageID)
    }
}

/// The header fields the envelope reads.
enum EnvelopeField: UInt16 {
    case date, subject, from, sender, replyTo, to, cc, bcc, inReplyTo, messageID

    @inline(__always)
    init?(_ b: UnsafeBufferPointer<UInt8>, _ name: Range<Int>) {
        let r: EnvelopeField?
        switch name.count {
        case 2: r = b.equalsLowercase(name, "to") ? .to : (b.equalsLowercase(name, "cc") ? .cc : nil)
        case 3: r = b.equalsLowercase(name, "bcc") ? .bcc : nil
        case 4: r = b.equalsLowercase(name, "date") ? .date : (b.equalsLowercase(name, "from") ? .from : nil)
        case 6: r = b.equalsLowercase(name, "sender") ? .sender : nil
        case 7: r = b.equalsLowercase(name, "subject") ? .subject : nil
        case 8: r = b.equalsLowercase(name, "reply-to") ? .replyTo : nil
        case 10: r = b.equalsLowercase(name, "message-id") ? .messageID : nil
        case 11: r = b.equalsLowercase(name, "in-reply-to") ? .inReplyTo : nil
        default: r = nil
        }
        guard let r else { return nil }
        self = r
    }
}

/// Reads an address list into envelope addresses (RFC 5322 §3.4, obsolete forms of §4.4),
/// keeping the phrase, local part and domain as sent: quoting removed, nothing decoded.
///
/// The lexer yields ranges into the value (no array per token), into scratch memory; the texts
/// the envelope keeps are assembled in scratch memory and copied out once, at their size.
enum EnvelopeAddressParser {
    enum Kind: UInt8 {
        case atom, quoted, comment, domainLiteral, special
    }

    /// A token of the value: `s..<e` is the atom, or the inside of the quotes, parentheses or
    /// brackets, still escaped; `ch` is the byte of a special. Offsets fit 32 bits: values are
    /// cut at `Limits.maxStructuredFieldLength`.
    struct Token {
        var kind: Kind
        var ch: UInt8
        var s: Int32
        var e: Int32

        @inline(__always) var start: Int { Int(s) }
        @inline(__always) var end: Int { Int(e) }
    }

    /// `parse` of the (unfolded, trimmed) value of `range` in `b`, joined to the list already
    /// there (nil counts as empty).
    static func append(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, to list: inout [EnvelopeAddress]?, _ scratch: ViewScratch) {
        var l = list ?? []
        list = nil
        scratch.withUnfolded(b, range) { parse($0, into: &l, scratch) }
        list = l
    }

    /// Parses the list up to the first thing that is not an address, appending to `out`; the
    /// rest is dropped (a broken list yields the addresses before the break, as Dovecot reads
    /// it). An open group is closed with its end marker so the list stays well formed.
    static func parse(_ value: UnsafeBufferPointer<UInt8>, into out: inout [EnvelopeAddress], _ scratch: ViewScratch) {
        // Token offsets are 32-bit (values are cut at `Limits.maxStructuredFieldLength` first;
        // this only matters for a limit set above 2 GiB).
        let value = value.count <= Int(Int32.max) ? value : UnsafeBufferPointer(rebasing: value[..<Int(Int32.max)])
        let room = scratch.tokens
        if let n = tokens(value, into: room.baseAddress!, capacity: room.count) {
            parse(Parser(b: value, t: UnsafeBufferPointer(start: room.baseAddress!, count: n), text: scratch.text), into: &out)
            return
        }
        // More tokens than the scratch holds: every token takes at least one byte.
        let heap = UnsafeMutablePointer<Token>.allocate(capacity: value.count)
        defer { heap.deallocate() }
        let n = tokens(value, into: heap, capacity: value.count)!
        parse(Parser(b: value, t: UnsafeBufferPointer(start: heap, count: n), text: scratch.text), into: &out)
    }

    static func parse(_ p: Parser, into out: inout [EnvelopeAddress]) {
        let n = p.t.count
        if out.isEmpty {
            // One address per separator and one more, so a list is allocated once (groups add
            // their markers, and grow it).
            var commas = 1
            for k in 0..<n where p.isSpecial(k, 44) { commas += 1 }
            out.reserveCapacity(commas)
        }
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

    /// The tokens of `StructuredLexer.tokens(b, dotIsSpecial: false)`, as ranges, written at
    /// `out`; nil when there are more than `capacity`.
    static func tokens(_ b: UnsafeBufferPointer<UInt8>, into out: UnsafeMutablePointer<Token>, capacity: Int) -> Int? {
        Self.byteClasses.withUnsafeBufferPointer { classes in tokens(b, into: out, capacity: capacity, classes) }
    }

    /// What each byte starts or continues, for the lexer: 0 atext (RFC 5322 §3.2.3, with '.'
    /// and 8-bit bytes), 1 FWS, 2 anything else (quote, parenthesis, bracket, special, control).
    static let byteClasses: [UInt8] = (0...255).map { (c: Int) -> UInt8 in
        let b = UInt8(c)
        if ASCII.isFWS(b) { return 1 }
        return StructuredLexer.isAtext(b, dotIsSpecial: false) ? 0 : 2
    }

    @inline(__always)
    static func tokens(
        _ b: UnsafeBufferPointer<UInt8>, into out: UnsafeMutablePointer<Token>, capacity: Int, _ classes: UnsafeBufferPointer<UInt8>
    ) -> Int? {
        var count = 0
        var i = 0
        let n = b.count
        while i < n {
            let c = b[i]
            let k = classes[Int(c)]
            if k == 1 {
                i += 1
                continue
            }
            guard count < capacity else { return nil }
            if k == 0 {
                // An atom: the run of atext.
                let s = i
                i += 1
                while i < n && classes[Int(b[i])] == 0 { i += 1 }
                out[count] = Token(kind: .atom, ch: 0, s: Int32(s), e: Int32(i))
                count += 1
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
                out[count] = Token(kind: .quoted, ch: 0, s: Int32(s), e: Int32(i))
                count += 1
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
                out[count] = Token(kind: .comment, ch: 0, s: Int32(s), e: Int32(e))
                count += 1
            case 91:
                // §3.4.1 domain-literal.
                i += 1
                let s = i
                while i < n && b[i] != 93 { i += 1 }
                out[count] = Token(kind: .domainLiteral, ch: 0, s: Int32(s), e: Int32(i))
                count += 1
                i += 1
            case 41, 60, 62, 58, 59, 64, 44, ASCII.backslash, 93:
                out[count] = Token(kind: .special, ch: c, s: Int32(i), e: Int32(i + 1))
                count += 1
                i += 1
            default:
                i += 1  // a control byte: drop it
            }
        }
        return count
    }

    struct Parser {
        let b: UnsafeBufferPointer<UInt8>
        let t: UnsafeBufferPointer<Token>
        /// Scratch memory for the texts being assembled (see `TextBuilder`).
        let text: UnsafeMutableBufferPointer<UInt8>

        @inline(__always)
        func isSpecial(_ i: Int, _ c: UInt8) -> Bool { t[i].kind == .special && t[i].ch == c }

        @inline(__always)
        func isWord(_ k: Int) -> Bool {
            let kind = t[k].kind
            return kind == .atom || kind == .quoted || kind == .domainLiteral
        }

        /// The first or second half of `text`, for two texts assembled at once.
        @inline(__always)
        func half(_ second: Bool) -> UnsafeMutableBufferPointer<UInt8> {
            let h = text.count / 2
            return UnsafeMutableBufferPointer(rebasing: second ? text[h...] : text[..<h])
        }

        /// Appends the text of token `k`: an atom as is, a quoted string or comment without its
        /// escapes, a domain literal without whitespace (and in brackets with `brackets`).
        func append(_ k: Int, to out: inout TextBuilder, brackets: Bool) {
            let tok = t[k]
            let s = tok.start, e = tok.end
            switch tok.kind {
            case .atom, .special:
                out.append(b.baseAddress! + s, e - s)
            case .quoted:
                // At most the bytes inside the quotes.
                let w = out.room(e - s)
                var o = 0
                var i = s
                while i < e {
                    if b[i] == ASCII.backslash && i + 1 < e { i += 1 }
                    if b[i] != ASCII.cr && b[i] != ASCII.lf {
                        w[o] = b[i]
                        o += 1
                    }
                    i += 1
                }
                out.commit(o)
            case .comment:
                let w = out.room(e - s)
                var o = 0
                var i = s
                while i < e {
                    if b[i] == ASCII.backslash && i + 1 < e {
                        w[o] = b[i + 1]
                        o += 1
                        i += 2
                        continue
                    }
                    w[o] = b[i]
                    o += 1
                    i += 1
                }
                out.commit(o)
            case .domainLiteral:
                let w = out.room(e - s + 2)
                var o = 0
                if brackets {
                    w[o] = 91
                    o += 1
                }
                for i in s..<e where !ASCII.isFWS(b[i]) {
                    w[o] = b[i]
                    o += 1
                }
                if brackets {
                    w[o] = 93
                    o += 1
                }
                out.commit(o)
            }
        }

        func text(_ k: Int, brackets: Bool) -> [UInt8] {
            var out = TextBuilder(text)
            append(k, to: &out, brackets: brackets)
            return out.finish()
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
                        var lb = TextBuilder(text)
                        for k in phraseStart..<phraseEnd where isWord(k) { append(k, to: &lb, brackets: true) }
                        let local = lb.finish()
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
                let name = nonEmptyComment(comment)
                out.append(EnvelopeAddress(name: name, mailbox: text(k, brackets: true), host: Envelope.missingDomain))
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
                    var rb = TextBuilder(text)
                    for k in i..<j {
                        switch t[k].kind {
                        case .special: rb.append(t[k].ch)
                        case .atom: append(k, to: &rb, brackets: false)
                        case .domainLiteral: append(k, to: &rb, brackets: true)
                        case .quoted, .comment: break
                        }
                    }
                    route = rb.finish()
                    i = j + 1
                }
            }
            // The local part and the domain are assembled at once, each in half the scratch.
            var local = TextBuilder(half(false))
            var domain = TextBuilder(half(true))
            var sawAt = false
            while i < t.count {
                switch t[i].kind {
                case .special:
                    let c = t[i].ch
                    if c == 62 {
                        i += 1
                        return make(&local, &domain, sawAt, route)
                    }
                    if c == 64 && !sawAt {
                        sawAt = true
                    } else if (c == 44 || c == 59) && !sawAt {
                        // A missing '>' (broken): the address ends at the list separator.
                        return make(&local, &domain, sawAt, route)
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
            return make(&local, &domain, sawAt, route)
        }

        /// The address of `parseAngle`; finishes both builders.
        func make(_ lb: inout TextBuilder, _ db: inout TextBuilder, _ sawAt: Bool, _ route: [UInt8]) -> EnvelopeAddress {
            let local = lb.finish()
            let domain = db.finish()
            return EnvelopeAddress(
                adl: route.isEmpty ? nil : route,
                mailbox: local.isEmpty ? (sawAt || !domain.isEmpty ? Envelope.missingMailbox : []) : local,
                host: domain.isEmpty ? (local.isEmpty && !sawAt ? [] : Envelope.missingDomain) : domain)
        }

        /// domain: atoms (with dots) or a domain literal, up to a list separator.
        func parseDomain(_ i: inout Int) -> [UInt8] {
            var d = TextBuilder(text)
            while i < t.count {
                switch t[i].kind {
                case .atom, .quoted: append(i, to: &d, brackets: false)
                case .domainLiteral: append(i, to: &d, brackets: true)
                case .comment: return d.finish()
                case .special:
                    let c = t[i].ch
                    if c == 44 || c == 59 || c == 60 || c == 58 || c == 62 { return d.finish() }
                }
                i += 1
                // A word after whitespace ends the domain ("a@b c@d" is two broken addresses).
                if i < t.count, t[i].kind == .atom { return d.finish() }
            }
            return d.finish()
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
            var out = TextBuilder(text)
            var first = true
            for k in from..<to where isWord(k) {
                if !first { out.append(32) }
                first = false
                append(k, to: &out, brackets: true)
            }
            return out.finish()
        }
    }
}
