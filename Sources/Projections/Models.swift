public import Journal

/// A mailbox as the front-ends see it.
public struct MailboxInfo: Sendable, Hashable {
    public var id: MailboxID
    public var user: UserID
    public var name: String
    public var uidValidity: UInt32
    public var uidNext: UInt32
    public var highestModseq: UInt64
    public var specialUse: [String]
    public var messageCount: Int

    public init(id: MailboxID, user: UserID, name: String, uidValidity: UInt32, uidNext: UInt32, highestModseq: UInt64,
                specialUse: [String], messageCount: Int) {
        self.id = id; self.user = user; self.name = name; self.uidValidity = uidValidity; self.uidNext = uidNext
        self.highestModseq = highestModseq; self.specialUse = specialUse; self.messageCount = messageCount
    }
}

/// A message in a mailbox.
public struct MessageInfo: Sendable, Hashable {
    public var mailbox: MailboxID
    public var uid: UInt32
    public var ref: MessageRef
    public var modseq: UInt64
    /// Sorted, as IMAP names them (`\Seen`, keywords).
    public var flags: [String]
    /// Microseconds since the Unix epoch.
    public var internalDate: Int64
    /// RFC822.SIZE: added header plus stored bytes.
    public var size: Int
    /// The event holding the stored message bytes (message-received or message-appended).
    public var bodySequence: UInt64
    /// The message-delivered event holding the header Roost added, if any.
    public var headerSequence: UInt64?

    public init(mailbox: MailboxID, uid: UInt32, ref: MessageRef, modseq: UInt64, flags: [String], internalDate: Int64,
                size: Int, bodySequence: UInt64, headerSequence: UInt64?) {
        self.mailbox = mailbox; self.uid = uid; self.ref = ref; self.modseq = modseq; self.flags = flags
        self.internalDate = internalDate; self.size = size; self.bodySequence = bodySequence; self.headerSequence = headerSequence
    }
}

public struct UserInfo: Sendable, Hashable {
    public var id: UserID
    public var domain: DomainID
    public var localPart: String
    public var address: String
    public var passwordHash: String
    public var displayName: String?
}

/// Where mail for an address goes, after aliases, subaddressing and catch-alls.
public struct Destination: Sendable, Hashable {
    public var users: [UserID]
    public var forwardTo: [String]
    public var isEmpty: Bool { users.isEmpty && forwardTo.isEmpty }
}

/// A mailbox's changes after a MODSEQ (`ProjectionStore.changes(mailbox:since:)`).
public struct MailboxChanges: Sendable, Hashable {
    /// The mailbox now (its `messageCount` is not filled in); nil when it no longer exists.
    public var mailbox: MailboxInfo?
    /// Messages added or changed, in UID order.
    public var changed: [MessageInfo]
    /// UIDs expunged, ascending.
    public var expunged: [UInt32]
}

/// What changed in a mailbox, for IDLE and other sessions that have it selected.
public struct MailboxChange: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case added(uid: UInt32)
        case flagsChanged(uid: UInt32, flags: [String])
        case expunged(uid: UInt32)
        case renamed(to: String)
        case deleted
    }
    public var mailbox: MailboxID
    public var kind: Kind
    /// The MODSEQ of the change (the sequence number of the event).
    public var modseq: UInt64
}

/// IMAP flag sets are kept sorted and without duplicates, so equal sets are equal strings.
enum FlagSet {
    static func encode(_ flags: some Sequence<String>) -> String {
        Set(flags.filter { !$0.isEmpty && !$0.contains(" ") && $0.lowercased() != "\\recent" })
            .sorted().joined(separator: " ")
    }

    static func decode(_ text: String) -> [String] {
        text.isEmpty ? [] : text.split(separator: " ").map(String.init)
    }
}

extension Int64 {
    /// Ids are random unsigned 64-bit values; SQLite integers are signed.
    init(id: some StableID) { self = Int64(bitPattern: id.rawValue) }
}

extension StableID {
    init(column: Int64) { self.init(rawValue: UInt64(bitPattern: column)) }
}
