/// Mailbox names as IMAP uses them: "/" is the hierarchy separator (RFC 9051 §5.1.1), INBOX is
/// case-insensitive, and LIST patterns use `*` (anything) and `%` (anything but "/").
enum MailboxNames {
    static let separator: Character = "/"

    /// A name a client may create: not empty, no wildcards or controls, no empty levels.
    /// A trailing separator is dropped (RFC 9051 §6.3.4). Nil when invalid.
    static func validated(_ name: String) -> String? {
        var name = name
        while name.hasSuffix("/") { name.removeLast() }
        guard !name.isEmpty, name.utf8.count <= 512 else { return nil }
        for u in name.unicodeScalars where !isAllowed(u) { return nil }
        if name.hasPrefix("/") || name.contains("//") { return nil }
        return normalized(name)
    }

    /// RFC 6855 §3 (Net-Unicode, RFC 5198 §2): no C0 or C1 controls, DEL, LINE SEPARATOR or
    /// PARAGRAPH SEPARATOR; and no LIST wildcards.
    static func isAllowed(_ u: Unicode.Scalar) -> Bool {
        switch u.value {
        case 0..<0x20, 0x7f...0x9f, 0x2028, 0x2029: false
        case 0x2a, 0x25: false // "*" and "%"
        default: true
        }
    }

    /// INBOX in any case, and as the first level of a hierarchy, is INBOX.
    static func normalized(_ name: String) -> String {
        if name.uppercased() == "INBOX" { return "INBOX" }
        if name.count > 6, name.prefix(6).uppercased() == "INBOX/" { return "INBOX" + name.dropFirst(5) }
        return name
    }

    /// The names above `name` in the hierarchy, outermost first ("a/b/c" → ["a", "a/b"]).
    static func parents(of name: String) -> [String] {
        let levels = name.split(separator: separator, omittingEmptySubsequences: false)
        guard levels.count > 1 else { return [] }
        return (1..<levels.count).map { levels[0..<$0].joined(separator: "/") }
    }

    /// Whether `name` matches a LIST pattern (RFC 9051 §6.3.9).
    static func matches(_ name: String, pattern: String) -> Bool {
        let n = Array(name.unicodeScalars), p = Array(pattern.unicodeScalars)
        // Iterative matcher with memo: patterns are short, names too.
        var memo = [Int: Bool]()
        func match(_ i: Int, _ j: Int) -> Bool {
            let key = i * (p.count + 1) + j
            if let hit = memo[key] { return hit }
            let result: Bool
            if j == p.count {
                result = i == n.count
            } else if p[j] == "*" {
                result = match(i, j + 1) || (i < n.count && match(i + 1, j))
            } else if p[j] == "%" {
                result = match(i, j + 1) || (i < n.count && n[i] != "/" && match(i + 1, j))
            } else {
                result = i < n.count && n[i] == p[j] && match(i + 1, j + 1)
            }
            memo[key] = result
            return result
        }
        return match(0, 0)
    }

    /// The canonical pattern for LIST: the reference and the pattern joined, INBOX's case folded.
    static func pattern(reference: String, _ pattern: String) -> String {
        if pattern.hasPrefix("/") || reference.isEmpty { return normalizedPattern(pattern) }
        if reference.hasSuffix("/") { return normalizedPattern(reference + pattern) }
        return normalizedPattern(reference + "/" + pattern)
    }

    private static func normalizedPattern(_ pattern: String) -> String {
        if pattern.prefix(5).uppercased() == "INBOX", pattern.count == 5 || pattern.dropFirst(5).first == "/" {
            return "INBOX" + pattern.dropFirst(5)
        }
        return pattern
    }
}
