/// One `attribute=value` parameter of Content-Type or Content-Disposition (RFC 2045 §5.1),
/// after RFC 2231 continuations (`name*0=`, `name*1=`) are joined and `name*=charset'lang'%XX`
/// is decoded.
public struct MIMEParameter: Hashable, Sendable {
    /// Lowercased attribute, without the RFC 2231 `*n` / `*` markers.
    public var name: String
    public var value: String
    /// RFC 2231 §4 charset, when the value carried one.
    public var charset: String?
    /// RFC 2231 §4 language, when the value carried one.
    public var language: String?

    public init(name: String, value: String, charset: String? = nil, language: String? = nil) {
        self.name = name
        self.value = value
        self.charset = charset
        self.language = language
    }
}

extension Array where Element == MIMEParameter {
    /// The value of the parameter `name` (lowercase), if present.
    public subscript(parameter name: String) -> String? {
        first(where: { $0.name == name })?.value
    }
}

/// Parses `; attr=value; attr*0*=...` lists leniently: unquoted values with spaces or `=`
/// (`boundary=----=_NextPart`), missing semicolons, and unterminated quotes are all accepted,
/// as the mail programs that produce them expect.
enum ParameterParser {
    struct Piece {
        var name: [UInt8]
        var section: Int?
        var extended: Bool
        var value: [UInt8]
        var quoted: Bool
    }

    static func parse(_ b: [UInt8], from start: Int) -> [MIMEParameter] {
        var pieces: [Piece] = []
        var i = start
        let n = b.count
        while i < n {
            i = skipCFWS(b, i)
            while i < n && (b[i] == ASCII.semicolon || ASCII.isFWS(b[i])) { i += 1 }
            if i >= n { break }
            let attrStart = i
            while i < n && b[i] != ASCII.equals && b[i] != ASCII.semicolon && !ASCII.isFWS(b[i]) && b[i] != 40 { i += 1 }
            let attr = attrStart..<i
            i = skipCFWS(b, i)
            guard i < n && b[i] == ASCII.equals, !attr.isEmpty else {
                // An attribute with no value: skip to the next ';'.
                if i == attrStart { i += 1 }
                while i < n && b[i] != ASCII.semicolon { i += 1 }
                continue
            }
            i += 1
            while i < n && ASCII.isFWS(b[i]) { i += 1 }
            var value: [UInt8] = []
            var quoted = false
            if i < n && b[i] == ASCII.quote {
                quoted = true
                i += 1
                var e = i
                while e < n && b[e] != ASCII.quote && b[e] != ASCII.backslash { e += 1 }
                if e < n && b[e] == ASCII.quote {
                    // No escapes (the usual boundary or file name): the inside in one copy.
                    value = Array(b[i..<e])
                    i = e
                }
                while i < n && b[i] != ASCII.quote {
                    if b[i] == ASCII.backslash && i + 1 < n { i += 1 }
                    value.append(b[i])
                    i += 1
                }
                i += 1  // closing quote (or past the end when unterminated)
            } else {
                let vStart = i
                while i < n && b[i] != ASCII.semicolon && !ASCII.isFWS(b[i]) { i += 1 }
                var vEnd = i
                // "name=foo bar.pdf": words after the value that are not a new attribute belong to it.
                while true {
                    var j = i
                    while j < n && ASCII.isFWS(b[j]) { j += 1 }
                    guard j < n, b[j] != ASCII.semicolon, b[j] != 40 else { break }
                    var k = j
                    var hasEquals = false
                    while k < n && b[k] != ASCII.semicolon && !ASCII.isFWS(b[k]) {
                        if b[k] == ASCII.equals { hasEquals = true }
                        k += 1
                    }
                    if hasEquals { break }
                    vEnd = k
                    i = k
                }
                value = Array(b[vStart..<vEnd])
            }
            pieces.append(splitName(b[attr], value: value, quoted: quoted))
            if pieces.count >= ParameterLimits.maxParameters { break }
        }
        return combine(pieces)
    }

    /// Skips whitespace and (nested) comments, RFC 5322 §3.2.2.
    static func skipCFWS(_ b: [UInt8], _ from: Int) -> Int {
        b.withUnsafeBufferPointer { RawMIMEValue.skipCFWS($0, from) }
    }

    /// `name`, `name*`, `name*3`, `name*3*` (RFC 2231 §3, §4).
    static func splitName(_ attr: ArraySlice<UInt8>, value: [UInt8], quoted: Bool) -> Piece {
        var lower = attr.map(ASCII.lower)
        var extended = false
        if lower.count > 1 && lower.last == 42 {
            extended = true
            lower.removeLast()
        }
        guard let star = lower.lastIndex(of: 42) else {
            return Piece(name: lower, section: nil, extended: extended, value: value, quoted: quoted)
        }
        let digits = lower[(star + 1)...]
        if !digits.isEmpty, digits.count <= 4, digits.allSatisfy(ASCII.isDigit), star > 0 {
            let num = digits.reduce(0) { $0 * 10 + Int($1 - 48) }
            return Piece(name: Array(lower[..<star]), section: num, extended: extended, value: value, quoted: quoted)
        }
        // Not RFC 2231 after all: keep the attribute as written.
        return Piece(name: attr.map(ASCII.lower), section: nil, extended: false, value: value, quoted: quoted)
    }

    static func combine(_ pieces: [Piece]) -> [MIMEParameter] {
        var result: [MIMEParameter] = []
        result.reserveCapacity(pieces.count)
        // The usual list: plain parameters with different names, nothing to join.
        if pieces.allSatisfy({ $0.section == nil && !$0.extended }) {
            var unique = true
            for k in pieces.indices where unique {
                for j in 0..<k where pieces[j].name == pieces[k].name { unique = false }
            }
            if unique {
                for p in pieces {
                    result.append(MIMEParameter(name: String(decoding: p.name, as: UTF8.self), value: plainValue(p.value)))
                }
                return result
            }
        }
        for (idx, p) in pieces.enumerated() where !pieces[..<idx].contains(where: { $0.name == p.name }) {
            let name = String(decoding: p.name, as: UTF8.self)
            // RFC 2231 forms of this name win over a plain one (mail programs send both for
            // old readers: `filename="a.txt"; filename*=utf-8''%C3%A4.txt`).
            let same = pieces[idx...].filter { $0.name == p.name }
            let rfc2231 = same.filter { $0.section != nil || $0.extended }
            if rfc2231.isEmpty {
                result.append(MIMEParameter(name: name, value: plainValue(p.value)))
                continue
            }
            let ordered = rfc2231.sorted { ($0.section ?? 0) < ($1.section ?? 0) }
            var bytes: [UInt8] = []
            var charset: String?
            var language: String?
            var seenSections = Set<Int>()
            for (k, piece) in ordered.enumerated() {
                if !seenSections.insert(piece.section ?? 0).inserted { continue }
                var v = piece.value[...]
                if piece.extended {
                    if k == 0 {
                        // charset'language'value (RFC 2231 §4); both parts may be empty.
                        if let q1 = v.firstIndex(of: 39), let q2 = v[(q1 + 1)...].firstIndex(of: 39) {
                            let cs = v[v.startIndex..<q1]
                            let lang = v[(q1 + 1)..<q2]
                            if !cs.isEmpty { charset = String(decoding: cs, as: UTF8.self) }
                            if !lang.isEmpty { language = String(decoding: lang, as: UTF8.self) }
                            v = v[(q2 + 1)...]
                        }
                    }
                    bytes.append(contentsOf: percentDecode(v))
                } else {
                    bytes.append(contentsOf: v)
                }
            }
            let value: String
            if let charset {
                value = Charset.decode(bytes, charset: charset).text
            } else {
                value = plainValue(bytes)
            }
            result.append(MIMEParameter(name: name, value: value, charset: charset, language: language))
        }
        return result
    }

    /// A value without an RFC 2231 charset: RFC 2047 words inside it are decoded (forbidden by
    /// RFC 2047 §5 but sent by many mailers for file names); 8-bit bytes are UTF-8 or 1252.
    static func plainValue(_ v: [UInt8]) -> String {
        var hasWord = false
        var i = 0
        while i + 1 < v.count {
            if v[i] == ASCII.equals && v[i + 1] == 63 { hasWord = true; break }
            i += 1
        }
        if hasWord { return EncodedWords.decode(v).text }
        return Charset.fallbackText(v)
    }

    static func percentDecode(_ v: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(v.count)
        var i = v.startIndex
        while i < v.endIndex {
            if v[i] == 37, i + 2 < v.endIndex, let h = hexValue(v[i + 1]), let l = hexValue(v[i + 2]) {
                out.append(h << 4 | l)
                i += 3
            } else {
                out.append(v[i])
                i += 1
            }
        }
        return out
    }

    static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 48...57: return b - 48
        case 65...70: return b - 55
        case 97...102: return b - 87
        default: return nil
        }
    }
}
