import MailMessage

/// The header keys SEARCH can answer from the projection's cached ENVELOPE instead of reading the
/// message from the journal (issue 11: header searches over a big mailbox without the bodies):
/// SUBJECT, FROM, TO, CC, BCC and the SENT* dates. Values are matched the way `SearchContext`
/// matches a header field: its decoded text, case-insensitively.
struct SearchEnvelope {
    let envelope: Envelope

    /// Nil when the cached bytes are missing or from a format this version cannot read: the
    /// caller then parses the message.
    init?(cached: [UInt8]?) {
        guard let cached, let decoded = try? CachedViews.decode(cached) else { return nil }
        envelope = decoded.envelope
    }

    func subjectContains(_ s: String) -> Bool {
        guard let subject = envelope.subject else { return false }
        if s.isEmpty { return true }
        return SearchContext.contains(EncodedWords.decode(subject).text, s)
    }

    /// `Name <mailbox@host>, …` with the names decoded; group names as they are.
    func addressesContain(_ list: [EnvelopeAddress]?, _ s: String) -> Bool {
        guard let list, !list.isEmpty else { return false }
        if s.isEmpty { return true }
        var text = ""
        for address in list {
            if let name = address.name { text += EncodedWords.decode(name).text + " " }
            var spec: [UInt8] = address.mailbox ?? []
            if let host = address.host { spec += [UInt8(ascii: "@")] + host }
            text += "<" + String(decoding: spec, as: UTF8.self) + ">, "
        }
        return SearchContext.contains(text, s)
    }

    /// The day of the Date header in the sender's zone, as `SearchContext.sentDay`.
    var sentDay: Int? {
        guard let date = envelope.date, let parsed = DateParser.parse(date) else { return nil }
        return Cursor.daysSinceEpoch(year: parsed.year, month: parsed.month, day: parsed.day)
    }
}
