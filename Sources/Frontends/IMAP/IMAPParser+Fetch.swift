import MailMessage

extension Cursor {
    /// FETCH set (macro | att | "(" att *(SP att) ")") (RFC 9051 §6.4.5).
    mutating func fetch(uid: Bool) throws(Failure) -> IMAPCommand {
        try space()
        let set = try sequenceSet()
        try space()
        var attributes: [FetchAttribute] = []
        if skip(UInt8(ascii: "(")) {
            repeat {
                attributes.append(contentsOf: try fetchAttribute(macros: false))
                guard attributes.count <= 256 else { throw Failure("too many FETCH items") }
            } while skip(32)
            try expect(UInt8(ascii: ")"), "')' to end the FETCH items")
        } else {
            attributes = try fetchAttribute(macros: true)
        }
        let modifiers = skip(32) ? try fetchModifiers() : FetchModifiers()
        // UID FETCH always returns UID (RFC 9051 §6.4.9).
        if uid, !attributes.contains(.uid) { attributes.insert(.uid, at: 0) }
        return .fetch(set, attributes, uid: uid, modifiers: modifiers)
    }

    mutating func fetchAttribute(macros: Bool) throws(Failure) -> [FetchAttribute] {
        let s = i
        // The item runs to a space or ')' outside its section brackets and partial.
        var inSection = false, quoted = false
        while let c = peek {
            if quoted {
                if c == 92 { i += 1 } else if c == 34 { quoted = false }
            } else if inSection {
                if c == 34 { quoted = true } else if c == UInt8(ascii: "]") { inSection = false }
            } else if c == UInt8(ascii: "[") {
                inSection = true
            } else if c == 32 || c == UInt8(ascii: ")") || c == 13 || c == 10 {
                break
            }
            i += 1
        }
        // A backslash as the last byte steps past the end.
        i = min(i, b.count)
        guard i > s else { throw Failure("expected a FETCH item") }
        let text = Array(b[s..<i])
        switch String(decoding: text, as: UTF8.self).uppercased() {
        case "FLAGS": return [.flags]
        case "UID": return [.uid]
        case "INTERNALDATE": return [.internalDate]
        case "MODSEQ": return [.modseq]
        case "ALL" where macros: return [.flags, .internalDate, .content(.rfc822Size), .content(.envelope)]
        case "FAST" where macros: return [.flags, .internalDate, .content(.rfc822Size)]
        case "FULL" where macros: return [.flags, .internalDate, .content(.rfc822Size), .content(.envelope), .content(.body)]
        default:
            do {
                return [.content(try FetchItem.parse(text))]
            } catch {
                throw Failure("bad FETCH item: \(error.hint)")
            }
        }
    }
}
