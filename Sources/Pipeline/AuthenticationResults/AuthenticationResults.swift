public import MailMessage

/// The Authentication-Results header field (RFC 8601) Roost adds at delivery, built from the
/// recorded SPF, DKIM and DMARC decisions; and the handling of such fields that arrive with
/// a message claiming to be Roost's (§5: a forged claim must not reach the reader).
public enum AuthenticationResults {
    /// The field, folded one result a line, ending in CRLF. Stages that did not run or were
    /// skipped (trusted clients) are left out; no results at all is `; none` (§2.2).
    public static func field(authservID: String, decisions: [StageDecision], mailFrom: String, helo: String) -> [UInt8] {
        var results: [String] = []
        if let spf = decisions.last(where: { $0.stage == "spf" }), spf.result != "skipped" {
            let property = mailFrom.isEmpty ? "smtp.helo=\(clean(helo))" : "smtp.mailfrom=\(clean(mailFrom))"
            results.append("spf=\(clean(spf.result)) \(property)")
        }
        if let dkim = decisions.last(where: { $0.stage == "dkim" }), dkim.result != "skipped" {
            let signatures = DKIMStage.results(in: dkim)
            if signatures.isEmpty {
                results.append("dkim=none")
            }
            for s in signatures {
                var text = "dkim=\(s.status.rawValue)"
                if let reason = s.reason { text += " reason=\(quoted(reason))" }
                if let d = s.domain { text += " header.d=\(clean(d))" }
                if let i = s.identity { text += " header.i=\(clean(i))" }
                if let selector = s.selector { text += " header.s=\(clean(selector))" }
                if let a = s.algorithm { text += " header.a=\(clean(a))" }
                if let b = s.signaturePrefix { text += " header.b=\(quoted(b))" }
                results.append(text)
            }
        }
        if let dmarc = decisions.last(where: { $0.stage == "dmarc" }), dmarc.result != "skipped",
           let r = DMARCStage.result(in: dmarc) {
            var text = "dmarc=\(r.status.rawValue)"
            // The requested and applied policies as a comment, as large receivers write them.
            if let p = r.policy { text += " (p=\(p.rawValue) dis=\(r.disposition.rawValue))" }
            if let from = r.fromDomain { text += " header.from=\(clean(from))" }
            results.append(text)
        }
        let body = results.isEmpty ? "; none" : results.map { ";\r\n\t" + $0 }.joined()
        return Array(("Authentication-Results: " + clean(authservID) + body + "\r\n").utf8)
    }

    /// The top-level Authentication-Results fields whose authserv-id is ours (case-insensitive):
    /// they came with the message, so they are claims by someone else.
    public static func forgedFields(in message: Message, authservID: String) -> [HeaderField] {
        let ours = authservID.lowercased()
        return message.fields(named: "authentication-results").filter {
            Self.authservID(of: Array(message.rawValue(of: $0)))?.lowercased() == ours
        }
    }

    /// The name forged fields are renamed to: kept for the audit, never read as a result.
    public static let renamedFieldName = "X-Roost-Untrusted-Authentication-Results"

    /// The message with every forged field renamed (nil when there is none). Used before the
    /// message is stored, like Message-ID completion for submission: the stored message is
    /// the one Roost accepted.
    public static func renamingForged(_ bytes: [UInt8], authservID: String) -> [UInt8]? {
        // Nearly every message has no such field: a look at the line starts of the header
        // saves parsing the whole message for nothing.
        guard mayHaveField(bytes) else { return nil }
        let message = Message(bytes: bytes)
        let forged = forgedFields(in: message, authservID: authservID)
        guard !forged.isEmpty else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + forged.count * 24)
        var position = 0
        for field in forged.sorted(by: { $0.nameRange.lowerBound < $1.nameRange.lowerBound }) {
            out += bytes[position..<field.nameRange.lowerBound]
            out += Array(renamedFieldName.utf8)
            position = field.nameRange.upperBound
        }
        out += bytes[position...]
        return out
    }

    /// Whether a line of the header section starts with `Authentication-Results` (any case).
    /// A superset of what the parser finds (it does not follow folding or obsolete syntax), so
    /// false means there is none.
    static func mayHaveField(_ bytes: [UInt8]) -> Bool {
        let name = Array("authentication-results".utf8)
        return bytes.withUnsafeBufferPointer { p in
            var start = 0
            while start < p.count {
                // An empty line ends the header section.
                if p[start] == 0x0A || (p[start] == 0x0D && start + 1 < p.count && p[start + 1] == 0x0A) { return false }
                if p.count - start >= name.count {
                    var k = 0
                    while k < name.count && (p[start + k] | 0x20) == name[k] { k += 1 }
                    if k == name.count { return true }
                }
                guard let lf = p[start...].firstIndex(of: 0x0A) else { return false }
                start = lf + 1
            }
            return false
        }
    }

    /// RFC 8601 §2.2: the authserv-id is the first value (token or quoted-string) of the field,
    /// after optional CFWS. Comments nest at most 8 deep; nil for anything unreadable.
    public static func authservID(of value: [UInt8]) -> String? {
        var i = 0
        func skipCFWS() -> Bool {
            var depth = 0
            while i < value.count {
                let b = value[i]
                if b == UInt8(ascii: "(") {
                    depth += 1
                    if depth > 8 { return false }
                } else if b == UInt8(ascii: ")") {
                    if depth == 0 { return false }
                    depth -= 1
                } else if b == UInt8(ascii: "\\") && depth > 0 {
                    i += 1
                } else if depth == 0 && !(b == 0x20 || b == 0x09 || b == 0x0d || b == 0x0a) {
                    return true
                }
                i += 1
            }
            return depth == 0
        }
        guard skipCFWS(), i < value.count else { return nil }
        var id: [UInt8] = []
        if value[i] == UInt8(ascii: "\"") {
            i += 1
            while i < value.count, value[i] != UInt8(ascii: "\"") {
                if value[i] == UInt8(ascii: "\\") { i += 1 }
                if i < value.count { id.append(value[i]) }
                i += 1
            }
            guard i < value.count else { return nil }
        } else {
            while i < value.count {
                let b = value[i]
                if b <= 0x20 || b >= 0x7f || b == UInt8(ascii: ";") || b == UInt8(ascii: "(") { break }
                id.append(b)
                i += 1
            }
        }
        return id.isEmpty ? nil : String(decoding: id, as: UTF8.self)
    }

    /// Printable ASCII without the characters that would end a value or the field.
    static func clean(_ text: String) -> String {
        String(text.unicodeScalars.map { s -> Character in
            s.isASCII && s.value > 0x20 && s.value < 0x7f && s != ";" && s != "(" && s != ")" && s != "\"" && s != "\\" ? Character(s) : "_"
        }.prefix(255))
    }

    /// An RFC 5322 quoted-string of printable ASCII.
    static func quoted(_ text: String) -> String {
        let inner = text.unicodeScalars.prefix(200).map { s -> String in
            if s == "\"" || s == "\\" { return "\\" + String(s) }
            return s.isASCII && s.value >= 0x20 && s.value < 0x7f ? String(s) : "?"
        }.joined()
        return "\"" + inner + "\""
    }
}
