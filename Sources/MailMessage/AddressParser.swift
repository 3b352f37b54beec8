/// Parses address lists (From, To, Cc, Bcc, Reply-To, Sender; RFC 5322 §3.4) including the
/// obsolete forms of §4.4 (routes, empty list elements, phrases with dots) and the usual
/// breakage: missing `>`, bare names, `Name addr@host` without brackets.
public enum AddressParser {
    typealias Token = StructuredLexer.Token

    /// Parses a field value (raw or unfolded bytes).
    public static func parseList(_ value: [UInt8]) -> [Address] {
        let t = StructuredLexer.tokens(value)
        var i = 0
        var out: [Address] = []
        while i < t.count {
            if case .special(let c) = t[i], c == 44 || c == 59 || c == 62 {
                i += 1  // obs-addr-list empty element, or stray ';' / '>'
                continue
            }
            let before = i
            if let a = parseAddress(t, &i, inGroup: false) { out.append(a) }
            if i == before { i += 1 }
        }
        return out
    }

    /// Parses a single mailbox (e.g. Sender); the first one when there are several.
    public static func parseMailbox(_ value: [UInt8]) -> Mailbox? {
        parseList(value).lazy.flatMap(\.mailboxes).first
    }

    private static func parseAddress(_ t: [Token], _ i: inout Int, inGroup: Bool) -> Address? {
        // Collect the phrase: words, dots and comments up to a structural special.
        var phrase: [Token] = []
        while i < t.count {
            if case .special(let c) = t[i], c != 46 {
                if c == 60 {  // '<' angle-addr
                    i += 1
                    var m = parseAngle(t, &i)
                    m.displayName = displayName(phrase) ?? trailingComment(t, &i)
                    return .mailbox(m)
                }
                if c == 58 && !inGroup {  // ':' group
                    i += 1
                    var members: [Mailbox] = []
                    while i < t.count {
                        if case .special(let d) = t[i] {
                            if d == 59 { i += 1; break }
                            if d == 44 || d == 58 || d == 62 { i += 1; continue }
                        }
                        let before = i
                        if let a = parseAddress(t, &i, inGroup: true) { members.append(contentsOf: a.mailboxes) }
                        if i == before { i += 1 }
                    }
                    return .group(name: displayName(phrase) ?? "", members: members)
                }
                if c == 64 {  // '@': the phrase's tail was a local part
                    i += 1
                    let (name, local) = splitLocal(phrase)
                    let domain = parseDomain(t, &i)
                    let comment = trailingComment(t, &i)
                    if i < t.count, case .special(60) = t[i] {
                        // `jang@host <jang@host.it>`: an unquoted display name holding an '@'
                        // (forbidden by RFC 5322 §3.2.5, common in the wild).
                        i += 1
                        var m = parseAngle(t, &i)
                        let written = [name, local + (domain.map { "@" + $0 } ?? "")].compactMap { $0 }.joined(separator: " ")
                        m.displayName = written
                        return .mailbox(m)
                    }
                    return .mailbox(Mailbox(displayName: name ?? comment, localPart: local, domain: domain))
                }
                break  // ',' ';' '>' or others end this address
            }
            phrase.append(t[i])
            i += 1
        }
        // No '@' and no '<': a bare word (broken mail, or an address without domain).
        let words = phrase.filter { if case .comment = $0 { return false } else { return true } }
        guard !words.isEmpty else { return nil }
        let local = joinWords(words, spaced: false)
        let comment = phrase.lazy.compactMap { tok -> String? in
            if case .comment(let v) = tok { return EncodedWords.decode(v).text } else { return nil }
        }.first
        return .mailbox(Mailbox(displayName: comment, localPart: String(decoding: local, as: UTF8.self), domain: nil))
    }

    /// After '<': `[obs-route] addr-spec ">"` (RFC 5322 §3.4, §4.4).
    private static func parseAngle(_ t: [Token], _ i: inout Int) -> Mailbox {
        var route: [String] = []
        // obs-route = obs-domain-list ":" ; obs-domain-list = *(CFWS / ",") "@" domain *("," [CFWS] ["@" domain])
        var j = i
        var sawRoute = false
        while j < t.count {
            if case .special(64) = t[j] { sawRoute = true; break }
            if case .comment = t[j] { j += 1; continue }
            break
        }
        if sawRoute, route.isEmpty, hasRouteColon(t, from: j) {
            i = j
            while i < t.count {
                if case .special(58) = t[i] { i += 1; break }
                if case .special(64) = t[i] {
                    i += 1
                    route.append(parseDomain(t, &i) ?? "")
                    continue
                }
                i += 1
            }
        }
        var local: [Token] = []
        var domain: String?
        while i < t.count {
            if case .special(let c) = t[i] {
                if c == 62 { i += 1; break }
                if c == 64 {
                    i += 1
                    domain = parseDomain(t, &i)
                    continue
                }
                if c == 44 && domain != nil { break }  // missing '>'
                if c == 46 { local.append(t[i]); i += 1; continue }
                i += 1
                continue
            }
            if case .comment = t[i] { i += 1; continue }
            if domain == nil { local.append(t[i]) }
            i += 1
        }
        let localBytes = joinWords(local, spaced: false)
        return Mailbox(localPart: String(decoding: localBytes, as: UTF8.self), domain: domain, route: route)
    }

    /// Whether `@a.test,@b.test:` follows: only route tokens up to the colon (this also keeps
    /// the look-ahead short on hostile input).
    private static func hasRouteColon(_ t: [Token], from j: Int) -> Bool {
        var k = j
        while k < t.count {
            switch t[k] {
            case .special(58): return true
            case .special(64), .special(44), .special(46), .atom, .domainLiteral, .comment: k += 1
            default: return false
            }
        }
        return false
    }

    /// domain = dot-atom / domain-literal / obs-domain (RFC 5322 §3.4.1, §4.4).
    private static func parseDomain(_ t: [Token], _ i: inout Int) -> String? {
        var out: [UInt8] = []
        while i < t.count {
            switch t[i] {
            case .atom(let v):
                out.append(contentsOf: v)
            case .special(46):
                out.append(46)
            case .domainLiteral(let v):
                out.append(91)
                out.append(contentsOf: v)
                out.append(93)
            case .comment:
                // A comment ends the domain unless the domain goes on after it ("a (x) . b").
                if !out.isEmpty && out.last != 46 {
                    var k = i + 1
                    while k < t.count, case .comment = t[k] { k += 1 }
                    guard k < t.count, case .special(46) = t[k] else {
                        return String(decoding: out, as: UTF8.self)
                    }
                }
            default:
                return out.isEmpty ? nil : String(decoding: out, as: UTF8.self)
            }
            i += 1
        }
        return out.isEmpty ? nil : String(decoding: out, as: UTF8.self)
    }

    private static func trailingComment(_ t: [Token], _ i: inout Int) -> String? {
        var name: String?
        while i < t.count, case .comment(let v) = t[i] {
            if name == nil {
                let s = EncodedWords.decode(v).text
                if !s.isEmpty { name = s }
            }
            i += 1
        }
        return name
    }

    /// `Name local.part@` without brackets: the last dot-joined word run is the local part.
    private static func splitLocal(_ phrase: [Token]) -> (String?, String) {
        let words = phrase.filter { if case .comment = $0 { return false } else { return true } }
        var k = words.count
        var expectWord = true
        while k > 0 {
            let tok = words[k - 1]
            if expectWord {
                if case .special = tok { break }
                k -= 1
                expectWord = false
            } else if case .special(46) = tok {
                k -= 1
                expectWord = true
            } else {
                break
            }
        }
        let local = String(decoding: joinWords(Array(words[k...]), spaced: false), as: UTF8.self)
        return (displayName(Array(words[..<k])), local)
    }

    /// Display name from phrase tokens: words joined with spaces (dots attach to the word
    /// before, RFC 5322 §4.1 obs-phrase), then RFC 2047 words decoded (§5 (3)).
    static func displayName(_ phrase: [Token]) -> String? {
        let words = phrase.filter { if case .comment = $0 { return false } else { return true } }
        guard !words.isEmpty else { return nil }
        let joined = joinWords(words, spaced: true)
        let s = EncodedWords.decode(joined).text
        return s.isEmpty ? nil : s
    }

    private static func joinWords(_ words: [Token], spaced: Bool) -> [UInt8] {
        var out: [UInt8] = []
        var prevWasWord = false
        for w in words {
            switch w {
            case .atom(let v), .quoted(let v), .domainLiteral(let v):
                if spaced && prevWasWord { out.append(ASCII.space) }
                out.append(contentsOf: v)
                prevWasWord = true
            case .special(let c):
                out.append(c)
                prevWasWord = spaced && c == 46
            case .comment:
                break
            }
        }
        return out
    }
}
