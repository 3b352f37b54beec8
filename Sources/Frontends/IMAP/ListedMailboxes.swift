/// Which names a LIST command shows, with which attributes (RFC 9051 §6.3.9, RFC 5258 §3–4,
/// RFC 6154 §2). Pure: the session gives it the user's mailboxes and subscriptions.
public struct ListedMailboxes: Sendable, Hashable {
    /// The selection and return options that change what is listed.
    public struct Options: Sendable, Hashable {
        /// The SUBSCRIBED selection option: subscribed names, existing or not.
        public var subscribedOnly = false
        /// The SPECIAL-USE selection option (RFC 6154 §3).
        public var specialUseOnly = false
        /// RECURSIVEMATCH (RFC 5258 §3): also names whose inferiors meet the selection, with CHILDINFO.
        public var recursiveMatch = false
        /// Whether `\Subscribed` is shown (RETURN (SUBSCRIBED), implied by the SUBSCRIBED selection).
        public var returnSubscribed = false
        /// `\NonExistent` (RFC 5258 §3.4, IMAP4rev2) instead of IMAP4rev1's `\Noselect`.
        public var nonExistentAttribute = "\\NonExistent"

        /// What CHILDINFO says an inferior meets: the selection options RECURSIVEMATCH modifies.
        public var childInfoCriteria: [String] {
            (subscribedOnly ? ["SUBSCRIBED"] : []) + (specialUseOnly ? ["SPECIAL-USE"] : [])
        }

        public init(subscribedOnly: Bool = false, specialUseOnly: Bool = false, recursiveMatch: Bool = false,
                    returnSubscribed: Bool = false, nonExistentAttribute: String = "\\NonExistent") {
            self.subscribedOnly = subscribedOnly; self.specialUseOnly = specialUseOnly; self.recursiveMatch = recursiveMatch
            self.returnSubscribed = returnSubscribed; self.nonExistentAttribute = nonExistentAttribute
        }
    }

    /// One LIST response.
    public struct Entry: Sendable, Hashable {
        public var name: String
        public var attributes: [String]
        /// `("CHILDINFO" (…))`: an inferior meets the selection criteria (RFC 5258 §4), named by
        /// `Options.childInfoCriteria`.
        public var childInfo: Bool
        /// The name itself meets the selection criteria and exists: LIST-STATUS answers for it
        /// (RFC 5819 §2 gives no STATUS for a name listed only for CHILDINFO).
        public var selectable: Bool
    }

    /// An existing mailbox as LIST needs it.
    public struct Mailbox: Sendable, Hashable {
        public var name: String
        public var specialUse: [String]

        public init(name: String, specialUse: [String]) { self.name = name; self.specialUse = specialUse }
    }

    public var mailboxes: [Mailbox]
    public var subscribed: Set<String>

    public init(mailboxes: [Mailbox], subscribed: Set<String>) { self.mailboxes = mailboxes; self.subscribed = subscribed }

    /// The responses for `patterns` under `reference` (RFC 9051 §6.3.9), sorted by name.
    public func entries(reference: String, patterns: [String], _ options: Options) -> [Entry] {
        let patterns = patterns.map { MailboxNames.pattern(reference: reference, $0) }
        let byName = Dictionary(mailboxes.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let existing = Set(byName.keys)
        func meetsSelection(_ name: String) -> Bool {
            if options.subscribedOnly, !subscribed.contains(name) { return false }
            if options.specialUseOnly, byName[name]?.specialUse.isEmpty ?? true { return false }
            return true
        }
        // Candidates: with SUBSCRIBED the subscribed names (and with RECURSIVEMATCH their
        // superiors, which may qualify for CHILDINFO); otherwise the mailboxes and their
        // superiors that do not exist (shown as \NonExistent).
        var names: Set<String>
        if options.subscribedOnly {
            names = subscribed
            if options.recursiveMatch { for name in subscribed { names.formUnion(MailboxNames.parents(of: name)) } }
        } else {
            names = existing
            for name in existing { names.formUnion(MailboxNames.parents(of: name)) }
        }
        // The names that meet the selection, for CHILDINFO's look at inferiors.
        let selected = options.recursiveMatch ? names.filter(meetsSelection) : []
        var out: [Entry] = []
        for name in names.sorted() where patterns.contains(where: { MailboxNames.matches(name, pattern: $0) }) {
            let info = byName[name]
            let meets = meetsSelection(name)
            let childInfo = options.recursiveMatch && selected.contains { $0.hasPrefix(name + "/") }
            guard meets || childInfo else { continue }
            var attributes: [String] = []
            if info == nil { attributes.append(options.nonExistentAttribute) }
            attributes.append(existing.contains { $0.hasPrefix(name + "/") } ? "\\HasChildren" : "\\HasNoChildren")
            if options.returnSubscribed, subscribed.contains(name) { attributes.append("\\Subscribed") }
            // RFC 6154 §2: special-use attributes are part of every LIST response.
            attributes += info?.specialUse ?? []
            out.append(Entry(name: name, attributes: attributes, childInfo: childInfo, selectable: meets && info != nil))
        }
        return out
    }
}
