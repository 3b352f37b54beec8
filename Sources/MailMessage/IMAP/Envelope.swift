/// The ENVELOPE of a message (RFC 9051 §7.5.2, RFC 3501 §7.4.2): the raw header values IMAP
/// clients cache and show in message lists.
///
/// Values are the header bytes as sent, unfolded (RFC 5322 §2.2.3: CRLF removed, the WSP after
/// it kept) and trimmed, never decoded: encoded words stay encoded (RFC 9051 §7.5.2 fills the
/// envelope "by parsing the [RFC5322] header into the component parts"; decoding is the
/// client's job) and 8-bit bytes stay as they are (they go out as literals).
public struct Envelope: Hashable, Sendable {
    public var date: [UInt8]?
    public var subject: [UInt8]?
    public var from: [EnvelopeAddress]?
    public var sender: [EnvelopeAddress]?
    public var replyTo: [EnvelopeAddress]?
    public var to: [EnvelopeAddress]?
    public var cc: [EnvelopeAddress]?
    public var bcc: [EnvelopeAddress]?
    public var inReplyTo: [UInt8]?
    public var messageID: [UInt8]?

    public init(
        date: [UInt8]? = nil, subject: [UInt8]? = nil, from: [EnvelopeAddress]? = nil,
        sender: [EnvelopeAddress]? = nil, replyTo: [EnvelopeAddress]? = nil, to: [EnvelopeAddress]? = nil,
        cc: [EnvelopeAddress]? = nil, bcc: [EnvelopeAddress]? = nil, inReplyTo: [UInt8]? = nil,
        messageID: [UInt8]? = nil
    ) {
        self.date = date
        self.subject = subject
        self.from = from
        self.sender = sender
        self.replyTo = replyTo
        self.to = to
        self.cc = cc
        self.bcc = bcc
        self.inReplyTo = inReplyTo
        self.messageID = messageID
    }
}

/// One `address` of an envelope address list (RFC 9051 §9): a mailbox, or a group marker.
/// A group start has `host` nil and `mailbox` the group name; a group end has both nil
/// (RFC 9051 §7.5.2, RFC 3501 §7.4.2).
public struct EnvelopeAddress: Hashable, Sendable {
    /// The phrase (display name) after removing RFC 5322 quoting; encoded words left as sent.
    public var name: [UInt8]?
    /// The obs-route (RFC 5322 §4.4), e.g. `@a,@b`.
    public var adl: [UInt8]?
    /// The local part after removing quoting, or the group name.
    public var mailbox: [UInt8]?
    public var host: [UInt8]?

    public init(name: [UInt8]? = nil, adl: [UInt8]? = nil, mailbox: [UInt8]?, host: [UInt8]?) {
        self.name = name
        self.adl = adl
        self.mailbox = mailbox
        self.host = host
    }

    public static func groupStart(_ name: [UInt8]) -> EnvelopeAddress {
        EnvelopeAddress(mailbox: name, host: nil)
    }

    public static let groupEnd = EnvelopeAddress(mailbox: nil, host: nil)

    public var isGroupStart: Bool { host == nil && mailbox != nil }
    public var isGroupEnd: Bool { host == nil && mailbox == nil }
}

extension IMAPWriter {
    /// `envelope` (RFC 9051 §9).
    public mutating func envelope(_ e: Envelope) {
        open()
        nstring(e.date)
        space()
        nstring(e.subject)
        space()
        addressList(e.from)
        space()
        addressList(e.sender)
        space()
        addressList(e.replyTo)
        space()
        addressList(e.to)
        space()
        addressList(e.cc)
        space()
        addressList(e.bcc)
        space()
        nstring(e.inReplyTo)
        space()
        nstring(e.messageID)
        close()
    }

    /// `"(" 1*address ")" / nil`: the addresses follow each other with no space between
    /// (RFC 9051 §9 env-from and friends).
    mutating func addressList(_ list: [EnvelopeAddress]?) {
        guard let list, !list.isEmpty else { return nilValue() }
        open()
        for a in list {
            open()
            nstring(a.name)
            space()
            nstring(a.adl)
            space()
            nstring(a.mailbox)
            space()
            nstring(a.host)
            close()
        }
        close()
    }
}
