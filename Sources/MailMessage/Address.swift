/// A mailbox (RFC 5322 §3.4): optional display name and an addr-spec.
public struct Mailbox: Hashable, Sendable {
    /// Decoded display name (RFC 2047 words decoded). When the sender wrote only a comment
    /// (`joe@example.com (Joe Blow)`) the comment is used, as mail programs show it.
    public var displayName: String?
    /// The local part, unquoted.
    public var localPart: String
    /// nil for a bare word with no `@` (seen in broken mail and `undisclosed-recipients`).
    public var domain: String?
    /// RFC 5322 §4.4 obs-route domains, in order; usually empty.
    public var route: [String]

    public init(displayName: String? = nil, localPart: String, domain: String?, route: [String] = []) {
        self.displayName = displayName
        self.localPart = localPart
        self.domain = domain
        self.route = route
    }

    /// `local@domain`, with the local part quoted when it is not a dot-atom (RFC 5322 §3.4.1).
    public var address: String {
        let needsQuote = localPart.isEmpty ? false : !Self.isDotAtom(localPart)
        var local = localPart
        if needsQuote {
            local = "\"" + localPart.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\""
        }
        guard let domain else { return local }
        return local + "@" + domain
    }

    static func isDotAtom(_ s: String) -> Bool {
        let u = Array(s.utf8)
        if u.first == 46 || u.last == 46 { return false }
        var prevDot = false
        for c in u {
            if c == 46 {
                if prevDot { return false }
                prevDot = true
                continue
            }
            prevDot = false
            if !StructuredLexer.isAtext(c, dotIsSpecial: true) { return false }
        }
        return true
    }
}

/// An entry of an address list (RFC 5322 §3.4): a mailbox or a named group of mailboxes.
public enum Address: Hashable, Sendable {
    case mailbox(Mailbox)
    case group(name: String, members: [Mailbox])

    /// The mailboxes, flattening groups.
    public var mailboxes: [Mailbox] {
        switch self {
        case .mailbox(let m): return [m]
        case .group(_, let members): return members
        }
    }
}
