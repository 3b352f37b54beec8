/// RFC 6376 §3.4: the simple and relaxed canonicalisations of header fields and the body.
/// Input has CRLF line endings (see `normalizedLineEndings`).
enum DKIMCanonicalization {
    static let cr: UInt8 = 0x0d, lf: UInt8 = 0x0a, sp: UInt8 = 0x20, tab: UInt8 = 0x09

    /// Bare LFs become CRLF, as SMTP would have carried them (messages read from files often
    /// have LF endings); returns the input unchanged when there are none.
    static func normalizedLineEndings(_ bytes: [UInt8]) -> [UInt8] {
        var needs = false
        for (i, b) in bytes.enumerated() where b == lf && (i == 0 || bytes[i - 1] != cr) { needs = true; break }
        guard needs else { return bytes }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 32)
        for (i, b) in bytes.enumerated() {
            if b == lf && (i == 0 || bytes[i - 1] != cr) { out.append(cr) }
            out.append(b)
        }
        return out
    }

    /// One whole header field (name, colon, value with folding, final CRLF) canonicalised,
    /// ending in CRLF.
    static func header(_ field: ArraySlice<UInt8>, _ c: DKIMSignature.Canonicalization) -> [UInt8] {
        switch c {
        case .simple:
            var out = Array(field)
            if !out.hasSuffix([cr, lf]) { out += [cr, lf] }
            return out
        case .relaxed:
            guard let colon = field.firstIndex(of: UInt8(ascii: ":")) else { return Array(field) + [cr, lf] }
            var out: [UInt8] = []
            out.reserveCapacity(field.count)
            // §3.4.2: lowercase the name, drop WSP before and after the colon.
            for b in field[field.startIndex..<colon] where b != sp && b != tab {
                out.append(b >= 0x41 && b <= 0x5a ? b + 0x20 : b)
            }
            out.append(UInt8(ascii: ":"))
            // Unfold, reduce WSP runs to one SP, drop WSP at the start and end of the value.
            var pendingSpace = false
            var wroteValue = false
            for b in field[(colon + 1)...] {
                if b == cr || b == lf { continue }
                if b == sp || b == tab { pendingSpace = true; continue }
                if pendingSpace && wroteValue { out.append(sp) }
                pendingSpace = false
                out.append(b)
                wroteValue = true
            }
            out += [cr, lf]
            return out
        }
    }

    /// The canonical body (§3.4.3, §3.4.4).
    static func body(_ body: ArraySlice<UInt8>, _ c: DKIMSignature.Canonicalization) -> [UInt8] {
        switch c {
        case .simple:
            var out = Array(body)
            if out.isEmpty { return [cr, lf] }
            if !out.hasSuffix([cr, lf]) { out += [cr, lf] }
            while out.count >= 4 && out.hasSuffix([cr, lf, cr, lf]) { out.removeLast(2) }
            return out
        case .relaxed:
            var out: [UInt8] = []
            out.reserveCapacity(body.count)
            // Empty lines seen but not yet written: written only when a non-empty line follows.
            var pendingEmptyLines = 0
            var line: [UInt8] = []
            var i = body.startIndex
            while i < body.endIndex {
                let lineEnd = body[i...].firstIndex(of: lf) ?? body.endIndex
                var contentEnd = lineEnd
                if contentEnd > i && body[contentEnd - 1] == cr && lineEnd < body.endIndex { contentEnd -= 1 }
                line.removeAll(keepingCapacity: true)
                var pendingSpace = false
                for b in body[i..<contentEnd] {
                    if b == sp || b == tab { pendingSpace = true; continue }
                    if pendingSpace { line.append(sp) }
                    pendingSpace = false
                    line.append(b)
                }
                if line.isEmpty {
                    pendingEmptyLines += 1
                } else {
                    for _ in 0..<pendingEmptyLines { out += [cr, lf] }
                    pendingEmptyLines = 0
                    out += line
                    out += [cr, lf]
                }
                i = lineEnd < body.endIndex ? lineEnd + 1 : body.endIndex
            }
            return out
        }
    }
}

extension Array where Element == UInt8 {
    func hasSuffix(_ suffix: [UInt8]) -> Bool {
        count >= suffix.count && self[(count - suffix.count)...].elementsEqual(suffix)
    }
}
