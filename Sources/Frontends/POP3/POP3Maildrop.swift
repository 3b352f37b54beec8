public import Journal
public import Projections

/// The maildrop a POP3 session works on: a snapshot of the user's INBOX projection taken when
/// the session enters the TRANSACTION state. RFC 1939 §5 numbers the messages 1…n for the whole
/// session; mail that arrives later is seen by the next session.
public struct POP3Maildrop: Sendable, Hashable {
    public var user: UserID
    /// The INBOX, or nil when the user has none (an empty maildrop).
    public var mailbox: MailboxID?
    public var uidValidity: UInt32
    /// In UID order: message number n is `messages[n - 1]`.
    public var messages: [MessageInfo]

    public init(user: UserID, mailbox: MailboxID?, uidValidity: UInt32, messages: [MessageInfo]) {
        self.user = user
        self.mailbox = mailbox
        self.uidValidity = uidValidity
        self.messages = messages.sorted { $0.uid < $1.uid }
    }

    /// The unique-id listing of a message (RFC 1939 §7 UIDL): "<uidvalidity>.<uid>" in decimal,
    /// at most 21 characters of 0x30–0x39 and ".", inside the 0x21–0x7E, 1–70 character range the
    /// RFC asks for. IMAP names the same message by the same pair, so the id survives sessions,
    /// `roost rebuild` (both numbers are recorded in events) and is shared with IMAP.
    public func uniqueID(of message: MessageInfo) -> String {
        "\(uidValidity).\(message.uid)"
    }
}
