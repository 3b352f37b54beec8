import Journal
import MailMessage
import Projections

extension IMAPSession {
    // MARK: SEARCH (RFC 9051 §6.4.4, RFC 3501 §6.4.4, RFC 4731 ESEARCH, RFC 5182 SEARCHRES)

    func search(_ tag: String, _ key: SearchKey, returns: [SearchReturn]?, uid: Bool, _ command: IMAPCommand) async throws {
        // SEARCH MODSEQ is a CONDSTORE enabling command (RFC 7162 §3.1).
        if key.mentionsModseq { try enableCondStore() }
        try refreshListing()
        let listing = self.listing ?? MailboxListing(messages: [], modseq: 0)
        let current = self.current
        let lastUID = current.uids.last ?? 0
        var matches: [(number: Int, uid: UInt32)] = []
        let saved = Set(current.savedSearch)
        // Header keys read the cached ENVELOPEs a range of UIDs at a time, not one query each.
        let needsEnvelope = key.mentionsEnvelope
        var views: [UInt32: [UInt8]] = [:]
        var viewsThrough = -1
        for (index, u) in current.uids.enumerated() {
            guard !current.expungedPending.contains(u), let info = listing.message(uid: u) else { continue }
            var context = SearchContext(info: info, number: index + 1, count: current.count, lastUID: lastUID,
                                        saved: saved, journal: journal, store: store)
            if needsEnvelope {
                if index > viewsThrough {
                    viewsThrough = min(index + Self.viewsChunk, current.uids.count) - 1
                    views = try store.cachedViews(mailbox: current.mailbox, uids: u...current.uids[viewsThrough])
                }
                context.preloadedViews = .some(views[u])
            }
            context.recent = current.recent.contains(u)
            if try context.matches(key) { matches.append((index + 1, u)) }
        }
        // RFC 7162 §3.1.5: with a MODSEQ key, the highest MODSEQ of the messages found.
        let highest = key.mentionsModseq ? matches.compactMap { listing.message(uid: $0.uid)?.modseq }.max() : nil
        if let returns {
            var options = returns.isEmpty ? [SearchReturn.all] : returns
            if options.contains(.save) {
                // RFC 5182 §2.4: with SAVE and MIN/MAX only, the saved result is those too.
                let onlyEnds = options.allSatisfy { $0 == .save || $0 == .min || $0 == .max } && options.count > 1
                var saved = matches.map(\.uid)
                if onlyEnds {
                    saved = [options.contains(.min) ? matches.first?.uid : nil, options.contains(.max) ? matches.last?.uid : nil].compactMap { $0 }
                }
                selected?.savedSearch = saved
                options.removeAll { $0 == .save }
                if options.isEmpty {
                    try await done(tag, command, "SEARCH completed (saved)")
                    return
                }
            }
            send(.data(Array(esearch(tag: tag, matches, options: options, uid: uid, modseq: highest).utf8)))
        } else if state.rev2 {
            send(.data(Array(esearch(tag: tag, matches, options: [.all], uid: uid, modseq: highest).utf8)))
        } else {
            let values = matches.map { uid ? String($0.uid) : String($0.number) }
            let modseq = highest.map { ["(MODSEQ \($0))"] } ?? []
            send(.data(Array((["SEARCH"] + values + modseq).joined(separator: " ").utf8)))
        }
        try await done(tag, command, "SEARCH completed")
    }

    private func esearch(tag: String, _ matches: [(number: Int, uid: UInt32)], options: [SearchReturn], uid: Bool, modseq: UInt64? = nil) -> String {
        let values = matches.map { uid ? $0.uid : UInt32($0.number) }
        var text = "ESEARCH (TAG \"\(tag)\")"
        if uid { text += " UID" }
        if options.contains(.min), let first = values.first { text += " MIN \(first)" }
        if options.contains(.max), let last = values.last { text += " MAX \(last)" }
        if options.contains(.all), !values.isEmpty { text += " ALL \(Self.uidSet(values))" }
        if options.contains(.count) { text += " COUNT \(values.count)" }
        if let modseq { text += " MODSEQ \(modseq)" }
        return text
    }
}

/// Evaluates SEARCH keys against one message. The message is parsed only when a key needs its
/// header or text, and at most once.
struct SearchContext {
    let info: MessageInfo
    let number: Int
    let count: Int
    let lastUID: UInt32
    let saved: Set<UInt32>
    let journal: Journal
    /// The message is `\Recent` in this session (RFC 3501 §2.3.2; never in IMAP4rev2).
    var recent = false
    /// Where the cached ENVELOPE comes from, for header keys without reading the message.
    let store: ProjectionStore?
    private var parsed: Message?
    private var cachedEnvelope: SearchEnvelope??
    /// The message's cached views when the caller read them already (nil inside: it has none).
    var preloadedViews: [UInt8]??

    init(info: MessageInfo, number: Int, count: Int, lastUID: UInt32, saved: Set<UInt32>, journal: Journal,
         store: ProjectionStore? = nil) {
        self.info = info
        self.number = number
        self.count = count
        self.lastUID = lastUID
        self.saved = saved
        self.journal = journal
        self.store = store
    }

    /// The projection's ENVELOPE, when there is one this version can read (and the message has
    /// not been parsed already, which answers just as well).
    private mutating func envelope() throws -> SearchEnvelope? {
        if parsed != nil { return nil }
        if let cachedEnvelope { return cachedEnvelope }
        let found = SearchEnvelope(cached: try preloadedViews ?? store?.cachedViews(mailbox: info.mailbox, uid: info.uid))
        cachedEnvelope = .some(found)
        return found
    }

    private mutating func message() throws -> Message {
        if let parsed { return parsed }
        let message = Message(bytes: try StoredMessage.bytes(of: info, from: journal))
        parsed = message
        return message
    }

    private func has(_ flag: String) -> Bool { info.flags.contains { $0.lowercased() == flag.lowercased() } }

    /// The day of the internal date (UTC), for BEFORE / ON / SINCE.
    private var internalDay: Int { Int((info.internalDate >= 0 ? info.internalDate : info.internalDate - 86_399_999_999) / 86_400_000_000) }

    mutating func matches(_ key: SearchKey) throws -> Bool {
        switch key {
        case .all: return true
        case .answered: return has("\\Answered")
        case .deleted: return has("\\Deleted")
        case .draft: return has("\\Draft")
        case .flagged: return has("\\Flagged")
        case .seen: return has("\\Seen")
        case .unanswered: return !has("\\Answered")
        case .undeleted: return !has("\\Deleted")
        case .undraft: return !has("\\Draft")
        case .unflagged: return !has("\\Flagged")
        case .unseen: return !has("\\Seen")
        // RFC 3501 §6.4.4: NEW is RECENT UNSEEN, OLD is NOT RECENT.
        case .recent: return recent
        case .new: return recent && !has("\\Seen")
        case .old: return !recent
        case .keyword(let flag): return has(flag)
        case .unkeyword(let flag): return !has(flag)
        case .larger(let n): return info.size > n
        case .smaller(let n): return info.size < n
        case .uid(let set): return set.isSaved ? saved.contains(info.uid) : set.contains(info.uid, last: lastUID)
        case .modseq(let n): return info.modseq >= n
        case .sequence(let set): return set.isSaved ? saved.contains(info.uid) : set.contains(UInt32(number), last: UInt32(count))
        case .before(let date): return internalDay < date.day
        case .on(let date): return internalDay == date.day
        case .since(let date): return internalDay >= date.day
        case .sentBefore(let date): return try sentDay().map { $0 < date.day } ?? false
        case .sentOn(let date): return try sentDay().map { $0 == date.day } ?? false
        case .sentSince(let date): return try sentDay().map { $0 >= date.day } ?? false
        case .from(let s):
            if let e = try envelope() { return e.addressesContain(e.envelope.from, s) }
            return try header("from", contains: s)
        case .to(let s):
            if let e = try envelope() { return e.addressesContain(e.envelope.to, s) }
            return try header("to", contains: s)
        case .cc(let s):
            if let e = try envelope() { return e.addressesContain(e.envelope.cc, s) }
            return try header("cc", contains: s)
        case .bcc(let s):
            if let e = try envelope() { return e.addressesContain(e.envelope.bcc, s) }
            return try header("bcc", contains: s)
        case .subject(let s):
            if let e = try envelope() { return e.subjectContains(s) }
            return try header("subject", contains: s)
        case .header(let field, let s): return try header(field.lowercased(), contains: s)
        case .body(let s): return try bodyContains(s, headers: false)
        case .text(let s):
            let m = try message()
            if Self.contains(String(decoding: m.bytes[m.root.headerRange], as: UTF8.self), s) { return true }
            return try bodyContains(s, headers: true)
        case .not(let inner): return try !matches(inner)
        case .or(let a, let b): return try matches(a) || matches(b)
        case .and(let keys):
            for k in keys where try !matches(k) { return false }
            return true
        }
    }

    /// The day of the Date header in the sender's zone (RFC 9051: "disregarding time and timezone").
    private mutating func sentDay() throws -> Int? {
        if let e = try envelope() { return e.sentDay }
        guard let date = try message().date else { return nil }
        return Cursor.daysSinceEpoch(year: date.year, month: date.month, day: date.day)
    }

    /// RFC 9051 §6.4.4: substring match, case-insensitive; an empty string matches every message
    /// that has the field.
    private mutating func header(_ name: String, contains s: String) throws -> Bool {
        let m = try message()
        let fields = m.fields(named: name)
        if s.isEmpty { return !fields.isEmpty }
        for field in fields {
            // The decoded text only: the raw form would match the charset names and base64 of
            // encoded words (Dovecot agrees; scripts/compare-search-dovecot.sh).
            if Self.contains(m.decodedValue(of: field), s) { return true }
        }
        return false
    }

    /// The decoded text of the text parts (and message/* parts other than an attached message,
    /// such as delivery reports); other parts (images, signatures, archives) are not text to
    /// search, as Dovecot also has it. With `headers` (TEXT), the MIME headers of the parts and
    /// the headers of attached messages count too; BODY is the text alone.
    private mutating func bodyContains(_ s: String, headers: Bool) throws -> Bool {
        let m = try message()
        var found = false
        func visit(_ part: MessagePart, top: Bool) {
            guard !found else { return }
            if headers, !top, Self.contains(String(decoding: m.bytes[part.headerRange], as: UTF8.self), s) {
                found = true
                return
            }
            switch part.body {
            case .multipart(let multipart): multipart.parts.forEach { visit($0, top: false) }
            case .message(let inner): visit(inner, top: false)
            case .single:
                let type = part.contentType.type
                if type == "text" || type == "message" {
                    if Self.contains(m.text(of: part).text, s) { found = true }
                }
            }
        }
        visit(m.root, top: true)
        return found
    }

    static func contains(_ haystack: String, _ needle: String) -> Bool {
        if needle.isEmpty { return true }
        // Most header text is ASCII: compared byte by byte the answer is the same, without
        // Foundation's search (which bridged to UTF-16 and was the top of a header SEARCH profile).
        if let found = asciiContains(haystack, needle) { return found }
        return haystack.lowercased().contains(needle.lowercased())
    }

    /// ASCII case-insensitive substring search; nil when either side is not all ASCII.
    static func asciiContains(_ haystack: String, _ needle: String) -> Bool? {
        var haystack = haystack, needle = needle
        return haystack.withUTF8 { h in
            needle.withUTF8 { n -> Bool? in
                guard !h.contains(where: { $0 >= 0x80 }), !n.contains(where: { $0 >= 0x80 }) else { return nil }
                guard !n.isEmpty else { return true }
                guard n.count <= h.count else { return false }
                @inline(__always) func lower(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b | 0x20 : b }
                let first = lower(n[0])
                for i in 0...(h.count - n.count) where lower(h[i]) == first {
                    var k = 1
                    while k < n.count, lower(h[i + k]) == lower(n[k]) { k += 1 }
                    if k == n.count { return true }
                }
                return false
            }
        }
    }
}

extension SearchKey {
    /// Whether a key SEARCH answers from the cached ENVELOPE appears anywhere.
    var mentionsEnvelope: Bool {
        switch self {
        case .from, .to, .cc, .bcc, .subject, .sentBefore, .sentOn, .sentSince: true
        case .not(let k): k.mentionsEnvelope
        case .or(let a, let b): a.mentionsEnvelope || b.mentionsEnvelope
        case .and(let keys): keys.contains { $0.mentionsEnvelope }
        default: false
        }
    }
}
