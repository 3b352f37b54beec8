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
            case .from: e.from = (e.from ?? []) + EnvelopeAddressParser.parse(v)
            case .sender: e.sender = (e.sender ?? []) + EnvelopeAddressParser.parse(v)
            case .replyTo: e.replyTo = (e.replyTo ?? []) + EnvelopeAddressParser.parse(v)
            case .to: e.to = (e.to ?? []) + EnvelopeAddressParser.parse(v)
            case .cc: e.cc = (e.cc ?? []) + EnvelopeAddressParser.parse(v)
            case .bcc: e.bcc = (e.bcc ?? []) + EnvelopeAddressParser.parse(v)
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
enum EnvelopeAddressParser {
    typealias Token = StructuredLexer.Token

    /// Parses the list up to the first thing that is not an address; the rest is dropped (a
    /// broken list yields the addresses before the break, as Dovecot reads it). An open group
    /// is closed with its end marker so the list stays well formed.
    static func parse(_ value: [UInt8]) -> [EnvelopeAddress] {
        let t = StructuredLexer.tokens(value, dotIsSpecial: false)
        var out: [EnvelopeAddress] = []
        var i = 0
        while i < t.count {
            if case .special(44) = t[i] {
                i += 1  // obs-addr-list: empty elements
                continue
            }
            guard parseAddress(t, &i, inGroup: false, into: &out) else { break }
            guard i < t.count else { break }
            guard case .special(44) = t[i] else { break }
        }
        return out
    }

    /// One address: a group, a name-addr, an addr-spec, or a bare phrase (broken). False when
    /// what follows cannot be read as an address.
    private static func parseAddress(_ t: [Token], _ i: inout Int, inGroup: Bool, into out: inout [EnvelopeAddress]) -> Bool {
        var phrase: [[UInt8]] = []
        var comment: [UInt8]?
        while i < t.count {
            switch t[i] {
            case .atom(let w), .quoted(let w):
                phrase.append(w)
                i += 1
            case .domainLiteral(let w):
                phrase.append([91] + w + [93])
                i += 1
            case .comment(let c):
                if comment == nil { comment = c }
                i += 1
            case .special(let c):
                switch c {
                case 60:  // '<' name-addr
                    i += 1
                    var a = parseAngle(t, &i)
                    a.name = phrase.isEmpty ? trailingComment(t, &i) ?? comment.flatMap(nonEmpty) : joinPhrase(phrase)
                    _ = trailingComment(t, &i)
                    out.append(a)
                    return true
                case 58 where !inGroup:  // ':' group
                    i += 1
                    out.append(.groupStart(joinPhrase(phrase)))
                    while i < t.count {
                        if case .special(let d) = t[i] {
                            if d == 59 { i += 1; break }
                            if d == 44 { i += 1; continue }
                        }
                        guard parseAddress(t, &i, inGroup: true, into: &out) else {
                            out.append(.groupEnd)
                            return false
                        }
                        if i < t.count, case .special(let d) = t[i], d == 44 || d == 59 { continue }
                        if i < t.count {
                            out.append(.groupEnd)
                            return false
                        }
                    }
                    out.append(.groupEnd)
                    _ = trailingComment(t, &i)
                    return true
                case 64:  // '@': the phrase was the local part of an addr-spec
                    i += 1
                    let local = phrase.reduce(into: [UInt8]()) { $0 += $1 }
                    let domain = parseDomain(t, &i)
                    let name = trailingComment(t, &i) ?? comment.flatMap(nonEmpty)
                    out.append(EnvelopeAddress(
                        name: name, mailbox: local.isEmpty ? Envelope.missingMailbox : local,
                        host: domain.isEmpty ? Envelope.missingDomain : domain))
                    return true
                default:
                    // ',' or ';' or a stray special after a bare phrase with no address.
                    return bare(phrase, comment, into: &out)
                }
            }
        }
        return bare(phrase, comment, into: &out)
    }

    /// A phrase with no '@' and no '<': one word is read as a local part without a domain,
    /// several as a display name without an address.
    private static func bare(_ phrase: [[UInt8]], _ comment: [UInt8]?, into out: inout [EnvelopeAddress]) -> Bool {
        switch phrase.count {
        case 0:
            return false
        case 1:
            out.append(EnvelopeAddress(name: comment.flatMap(nonEmpty), mailbox: phrase[0], host: Envelope.missingDomain))
        default:
            out.append(EnvelopeAddress(name: joinPhrase(phrase), mailbox: Envelope.missingMailbox, host: Envelope.missingDomain))
        }
        return true
    }

    /// Inside `<...>`: optional obs-route `@a,@b:`, then local-part `@` domain, then `>`.
    private static func parseAngle(_ t: [Token], _ i: inout Int) -> EnvelopeAddress {
        var route: [UInt8] = []
        // obs-route: "@" domain *("," ["@" domain]) ":"
        if i < t.count, case .special(64) = t[i] {
            var j = i
            var r: [UInt8] = []
            var ok = false
            while j < t.count {
                if case .special(let c) = t[j] {
                    if c == 58 { ok = true; j += 1; break }
                    if c == 62 { break }
                    r.append(c)
                } else if case .atom(let w) = t[j] {
                    r += w
                } else if case .domainLiteral(let w) = t[j] {
                    r += [91] + w + [93]
                }
                j += 1
            }
            if ok {
                route = r
                i = j
            }
        }
        var local: [UInt8] = []
        var domain: [UInt8] = []
        var sawAt = false
        while i < t.count {
            switch t[i] {
            case .special(62):
                i += 1
                return make(local, domain, sawAt, route)
            case .special(64) where !sawAt:
                sawAt = true
            case .atom(let w), .quoted(let w):
                if sawAt { domain += w } else { local += w }
            case .domainLiteral(let w):
                if sawAt { domain += [91] + w + [93] } else { local += w }
            case .special(44) where !sawAt, .special(59) where !sawAt:
                // A missing '>' (broken): the address ends at the list separator.
                return make(local, domain, sawAt, route)
            default:
                break
            }
            i += 1
        }
        return make(local, domain, sawAt, route)
    }

    private static func make(_ local: [UInt8], _ domain: [UInt8], _ sawAt: Bool, _ route: [UInt8]) -> EnvelopeAddress {
        EnvelopeAddress(
            adl: route.isEmpty ? nil : route,
            mailbox: local.isEmpty ? (sawAt || !domain.isEmpty ? Envelope.missingMailbox : []) : local,
            host: domain.isEmpty ? (local.isEmpty && !sawAt ? [] : Envelope.missingDomain) : domain)
    }

    /// domain: atoms (with dots) or a domain literal, up to a list separator.
    private static func parseDomain(_ t: [Token], _ i: inout Int) -> [UInt8] {
        var d: [UInt8] = []
        while i < t.count {
            switch t[i] {
            case .atom(let w): d += w
            case .domainLiteral(let w): d += [91] + w + [93]
            case .comment: return d
            case .quoted(let w): d += w
            case .special(let c):
                if c == 44 || c == 59 || c == 60 || c == 58 || c == 62 { return d }
            }
            i += 1
            // A word after whitespace ends the domain ("a@b c@d" is two broken addresses).
            if i < t.count, case .atom = t[i] { return d }
        }
        return d
    }

    /// A comment right after the address, used as the name when there is no phrase
    /// (`joe@example.com (Joe Blow)`, RFC 5322 §4.4 practice).
    private static func trailingComment(_ t: [Token], _ i: inout Int) -> [UInt8]? {
        var found: [UInt8]?
        while i < t.count, case .comment(let c) = t[i] {
            if found == nil, !c.isEmpty { found = c }
            i += 1
        }
        return found
    }

    private static func nonEmpty(_ b: [UInt8]) -> [UInt8]? { b.isEmpty ? nil : b }

    /// Words of a phrase joined by one space (RFC 5322 §3.2.5; FWS between words is a space).
    private static func joinPhrase(_ words: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        for (k, w) in words.enumerated() {
            if k > 0 { out.append(32) }
            out += w
        }
        return out
    }
}
