/// The MIME header fields of one part as IMAP reports them: the bytes as sent (case kept,
/// quoting removed, nothing decoded). Part 1's `MessagePart` has the same fields decoded and
/// lowercased for programs; BODYSTRUCTURE wants what the sender wrote (RFC 9051 §7.5.2:
/// "A string giving the Content-ID header field value", and so on).
///
/// Kept as the value ranges (cut at `Limits.maxStructuredFieldLength`) of the first field of
/// each name: the builder unfolds the strings it keeps into arrays and reads the others in
/// place (`ViewScratch.withUnfolded`).
struct RawMIMEFields {
    var contentType: Range<Int>?
    var transferEncoding: Range<Int>?
    var id: Range<Int>?
    var description: Range<Int>?
    var md5: Range<Int>?
    var disposition: Range<Int>?
    var location: Range<Int>?

    init(_ b: UnsafeBufferPointer<UInt8>, _ fields: [HeaderField], _ limits: Limits) {
        for f in fields {
            let n = f.nameRange
            guard n.count >= 10, ASCII.lower(b[n.lowerBound]) == 99, ASCII.lower(b[n.lowerBound + 7]) == 45 else { continue }
            switch n.count {
            case 10 where id == nil && b.equalsLowercase(n, "content-id"):
                id = f.structuredValueRange(limits)
            case 11 where md5 == nil && b.equalsLowercase(n, "content-md5"):
                md5 = f.structuredValueRange(limits)
            case 12 where contentType == nil && b.equalsLowercase(n, "content-type"):
                contentType = f.structuredValueRange(limits)
            case 16 where location == nil && b.equalsLowercase(n, "content-location"):
                location = f.structuredValueRange(limits)
            case 19 where description == nil && b.equalsLowercase(n, "content-description"):
                description = f.structuredValueRange(limits)
            case 19 where disposition == nil && b.equalsLowercase(n, "content-disposition"):
                disposition = f.structuredValueRange(limits)
            case 25 where transferEncoding == nil && b.equalsLowercase(n, "content-transfer-encoding"):
                transferEncoding = f.structuredValueRange(limits)
            default:
                break
            }
        }
    }
}

/// Lenient reading of `token "/" token *(";" parameter)` (RFC 2045 §5.1) and of
/// `disposition-type *(";" parameter)` (RFC 2183 §2), keeping bytes as written.
enum RawMIMEValue {
    /// Skips whitespace and (nested) comments, RFC 5322 §3.2.2, in a value read in place (also
    /// what `ParameterParser.skipCFWS` runs).
    static func skipCFWS(_ b: UnsafeBufferPointer<UInt8>, _ from: Int) -> Int {
        var i = from
        let n = b.count
        while i < n {
            if ASCII.isFWS(b[i]) {
                i += 1
            } else if b[i] == 40 {
                var depth = 0
                while i < n {
                    if b[i] == ASCII.backslash { i += 2; continue }
                    if b[i] == 40 { depth += 1 }
                    if b[i] == 41 { depth -= 1; if depth == 0 { i += 1; break } }
                    i += 1
                }
            } else {
                break
            }
        }
        return min(i, n)
    }

    /// The first token after CFWS and where it ends.
    static func token(_ v: UnsafeBufferPointer<UInt8>, from: Int) -> (Range<Int>, Int) {
        var i = skipCFWS(v, from)
        let s = i
        while i < v.count && ContentType.isTokenByte(v[i]) { i += 1 }
        return (s..<i, i)
    }

    /// `type/subtype` as written, and where the parameters start; nil without a subtype.
    static func mediaType(_ v: UnsafeBufferPointer<UInt8>) -> (type: UnsafeBufferPointer<UInt8>, subtype: UnsafeBufferPointer<UInt8>, rest: Int)? {
        let (t, e) = token(v, from: 0)
        var i = skipCFWS(v, e)
        guard !t.isEmpty, i < v.count, v[i] == 47 else { return nil }
        let (s, e2) = token(v, from: i + 1)
        guard !s.isEmpty else { return nil }
        i = e2
        return (UnsafeBufferPointer(rebasing: v[t]), UnsafeBufferPointer(rebasing: v[s]), i)
    }

    /// Parameters with RFC 2231 continuations joined (RFC 9051 §7.5.2: "Servers SHOULD decode
    /// parameter-value continuations"): `name*0`, `name*1` become `name`; when the first section
    /// is extended (`name*0*`, or `name*`), the result is `name*` with the value still in its
    /// RFC 2231 §4 `charset'language'%XX` form, which clients decode. Plain parameters come
    /// first, in order, then the joined ones, as Dovecot sends them.
    static func parameters(_ v: UnsafeBufferPointer<UInt8>, from start: Int) -> [BodyParameter] {
        struct Section {
            var base: [UInt8]
            var lowerBase: [UInt8]
            var number: Int
            var extended: Bool
            var value: [UInt8]
        }
        var plain: [BodyParameter] = []
        var sections: [Section] = []
        var i = start
        let n = v.count
        var count = 0
        while i < n && count < ParameterLimits.maxParameters {
            while i < n && (v[i] == ASCII.semicolon || ASCII.isFWS(v[i])) { i += 1 }
            i = skipCFWS(v, i)
            guard i < n else { break }
            let aStart = i
            while i < n && v[i] != ASCII.equals && v[i] != ASCII.semicolon && !ASCII.isFWS(v[i]) && v[i] != 40 && v[i] != ASCII.quote { i += 1 }
            let attr = v[aStart..<i]
            i = skipCFWS(v, i)
            guard !attr.isEmpty, i < n, v[i] == ASCII.equals else {
                // No value: skip to the next ';'.
                if i == aStart { i += 1 }
                while i < n && v[i] != ASCII.semicolon { i += 1 }
                continue
            }
            i += 1
            while i < n && ASCII.isFWS(v[i]) { i += 1 }
            var value: [UInt8] = []
            if i < n && v[i] == ASCII.quote {
                i += 1
                var e = i
                while e < n && v[e] != ASCII.quote && v[e] != ASCII.backslash { e += 1 }
                if e < n && v[e] == ASCII.quote {
                    // No escapes: the inside as is.
                    value = InternedWords.array(UnsafeBufferPointer(rebasing: v[i..<e]))
                    i = e
                }
                while i < n && v[i] != ASCII.quote {
                    if v[i] == ASCII.backslash && i + 1 < n { i += 1 }
                    value.append(v[i])
                    i += 1
                }
                i += 1
            } else {
                let s = i
                while i < n && v[i] != ASCII.semicolon && !ASCII.isFWS(v[i]) { i += 1 }
                value = InternedWords.array(UnsafeBufferPointer(rebasing: v[s..<i]))
            }
            // RFC 2045 §5.1: parameters are separated by ";". Anything else after a value
            // (a missing ';', a second word) is skipped up to the next ';', as Dovecot does.
            i = skipCFWS(v, i)
            if i < n && v[i] != ASCII.semicolon {
                while i < n && v[i] != ASCII.semicolon { i += 1 }
            }
            count += 1
            // RFC 2231 §3, §4: name*N, name*N*, name*
            if let star = attr.firstIndex(of: 42), star > attr.startIndex {
                let base = Array(attr[attr.startIndex..<star])
                var rest = attr[(star + 1)...]
                var extended = false
                if rest.last == 42 {
                    extended = true
                    rest = rest.dropLast()
                }
                if rest.isEmpty && extended {
                    sections.append(Section(base: base, lowerBase: base.map(ASCII.lower), number: 0, extended: true, value: value))
                    continue
                }
                if !rest.isEmpty, rest.count <= 4, rest.allSatisfy(ASCII.isDigit) {
                    let num = rest.reduce(0) { $0 * 10 + Int($1 - 48) }
                    sections.append(Section(base: base, lowerBase: base.map(ASCII.lower), number: num, extended: extended, value: value))
                    continue
                }
            }
            plain.append(BodyParameter(name: InternedWords.array(UnsafeBufferPointer(rebasing: attr)), value: value))
        }
        guard !sections.isEmpty else { return plain }
        var done = Set<[UInt8]>()
        for s in sections where !done.contains(s.lowerBase) {
            done.insert(s.lowerBase)
            var same = sections.filter { $0.lowerBase == s.lowerBase }
            same.sort { $0.number < $1.number }
            var joined: [UInt8] = []
            var seen = Set<Int>()
            for p in same where seen.insert(p.number).inserted { joined += p.value }
            let name = same[0].extended ? s.base + [42] : s.base
            plain.append(BodyParameter(name: name, value: joined))
        }
        return plain
    }
}
