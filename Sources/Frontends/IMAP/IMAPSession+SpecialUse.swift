extension IMAPSession {
    /// RFC 6154 §2 attributes a real mailbox can carry; `\All` and `\Flagged` would be
    /// virtual mailboxes, which Roost does not make.
    static let creatableSpecialUse = ["\\Archive", "\\Drafts", "\\Junk", "\\Sent", "\\Trash"]

    /// The USE attributes of a CREATE in their canonical case, or nil after answering
    /// `NO [USEATTR]` (RFC 6154 §3: the mailbox is then not created).
    func creatableSpecialUse(_ tag: String, _ uses: [String]) -> [String]? {
        var out: [String] = []
        for use in uses {
            guard let known = Self.creatableSpecialUse.first(where: { $0.lowercased() == use.lowercased() }) else {
                no(tag, code: "USEATTR", "\(use) is not a special use Roost can give a mailbox")
                return nil
            }
            if !out.contains(known) { out.append(known) }
        }
        return out
    }
}
