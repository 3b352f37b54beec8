/// Tokens of an RFC 5322 structured field body (§3.2): atoms, quoted strings, comments,
/// domain literals and specials, with CFWS between them. Folding is already whitespace here.
/// 8-bit bytes are atom text (RFC 6532 §3.2 extends atext with UTF8-non-ascii).
struct StructuredLexer {
    enum Token: Equatable {
        case atom([UInt8])
        case quoted([UInt8])
        case comment([UInt8])
        case domainLiteral([UInt8])
        case special(UInt8)
    }

    static func tokens(_ b: [UInt8], dotIsSpecial: Bool = true) -> [Token] {
        var out: [Token] = []
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
                var v: [UInt8] = []
                i += 1
                while i < n && b[i] != ASCII.quote {
                    if b[i] == ASCII.backslash && i + 1 < n { i += 1 }
                    if b[i] != ASCII.cr && b[i] != ASCII.lf { v.append(b[i]) }
                    i += 1
                }
                i += 1
                out.append(.quoted(v))
            case 40:
                // RFC 5322 §3.2.2 comment, nested; unterminated runs to the end.
                var depth = 1
                var v: [UInt8] = []
                i += 1
                while i < n {
                    let d = b[i]
                    if d == ASCII.backslash && i + 1 < n {
                        v.append(b[i + 1])
                        i += 2
                        continue
                    }
                    if d == 40 { depth += 1 }
                    if d == 41 {
                        depth -= 1
                        if depth == 0 { i += 1; break }
                    }
                    v.append(d)
                    i += 1
                }
                out.append(.comment(v))
            case 91:
                // §3.4.1 domain-literal.
                var v: [UInt8] = []
                i += 1
                while i < n && b[i] != 93 {
                    if !ASCII.isFWS(b[i]) { v.append(b[i]) }
                    i += 1
                }
                i += 1
                out.append(.domainLiteral(v))
            case 41, 60, 62, 58, 59, 64, 44, ASCII.backslash, 93:
                out.append(.special(c))
                i += 1
            case 46 where dotIsSpecial:
                out.append(.special(c))
                i += 1
            default:
                let s = i
                while i < n && isAtext(b[i], dotIsSpecial: dotIsSpecial) { i += 1 }
                if i == s { i += 1 }  // a control byte: drop it
                else { out.append(.atom(Array(b[s..<i]))) }
            }
        }
        return out
    }

    @inline(__always)
    static func isAtext(_ c: UInt8, dotIsSpecial: Bool) -> Bool {
        switch c {
        case 0...32, 127, 34, 40, 41, 60, 62, 58, 59, 64, 44, 91, 92, 93: return false
        case 46: return !dotIsSpecial
        default: return true
        }
    }
}
