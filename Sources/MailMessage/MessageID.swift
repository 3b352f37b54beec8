/// msg-id lists (RFC 5322 §3.6.4: Message-ID, In-Reply-To, References; RFC 2045 §7 Content-ID).
public enum MessageID {
    /// All ids in the value, without angle brackets. Ids without brackets (obsolete and
    /// broken forms) are taken word by word; comments and phrases (RFC 5322 §4.5.4) are skipped.
    public static func parseList(_ value: [UInt8]) -> [String] {
        var out: [String] = []
        var i = 0
        let n = value.count
        var sawBracket = false
        while i < n {
            i = ParameterParser.skipCFWS(value, i)
            guard i < n else { break }
            if value[i] == 60 {
                sawBracket = true
                let s = i + 1
                var j = s
                while j < n && value[j] != 62 { j += 1 }
                let id = value[s..<j].filter { !ASCII.isFWS($0) }
                if !id.isEmpty { out.append(String(decoding: id, as: UTF8.self)) }
                i = j + 1
            } else if value[i] == ASCII.quote {
                // A quoted phrase (obs-phrase in In-Reply-To): skip it.
                var j = i + 1
                while j < n && value[j] != ASCII.quote {
                    if value[j] == ASCII.backslash { j += 1 }
                    j += 1
                }
                i = j + 1
            } else {
                let s = i
                while i < n && !ASCII.isFWS(value[i]) && value[i] != 60 && value[i] != 40 && value[i] != 44 { i += 1 }
                let word = value[s..<i]
                // Without brackets only something id-like (has '@') counts.
                if !sawBracket && word.contains(64) { out.append(String(decoding: word, as: UTF8.self)) }
                if i == s { i += 1 }
            }
        }
        return out
    }

    /// The first id, or the trimmed value when it has no id shape at all.
    public static func parseOne(_ value: [UInt8]) -> String? {
        if let first = parseList(value).first { return first }
        let s = ParameterParser.skipCFWS(value, 0)
        var e = value.count
        while e > s && ASCII.isFWS(value[e - 1]) { e -= 1 }
        return e > s ? String(decoding: value[s..<e], as: UTF8.self) : nil
    }
}
