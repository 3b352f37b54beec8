// Mailbox events. A new user's \Sent \Drafts \Junk \Trash \Archive are created by these events,
// written by whoever creates the user, never invented by the projector.

public struct MailboxCreated: EventBody {
    public static let type = EventType.mailboxCreated
    public var context: EventContext
    public var mailbox: MailboxID
    public var user: UserID
    /// The full hierarchical name with "/" as separator, e.g. "Archive/2026"; "INBOX" for the inbox.
    public var name: String
    /// Chosen once here (RFC 9051 §2.3.1.1), never re-generated on replay.
    public var uidValidity: UInt32
    /// RFC 6154 attributes such as `\Junk`.
    public var specialUse: [String]
    public init(context: EventContext, mailbox: MailboxID, user: UserID, name: String, uidValidity: UInt32, specialUse: [String] = []) {
        self.context = context; self.mailbox = mailbox; self.user = user; self.name = name
        self.uidValidity = uidValidity; self.specialUse = specialUse
    }
    public func encode(to w: inout FieldWriter) {
        w.message(1, context); w.uint(2, mailbox.rawValue); w.uint(3, user.rawValue); w.string(4, name)
        w.uint(5, UInt64(uidValidity))
        for s in specialUse { w.string(6, s) }
    }
    public init(from r: inout FieldReader) throws {
        self.init(context: .system("unknown"), mailbox: MailboxID(rawValue: 0), user: UserID(rawValue: 0), name: "", uidValidity: 0)
        while let (n, v) = try r.next() {
            switch n {
            case 1: context = try v.message(EventContext.self, depth: r.depth)
            case 2: mailbox = MailboxID(rawValue: try v.uint())
            case 3: user = UserID(rawValue: try v.uint())
            case 4: name = try v.string()
            case 5: uidValidity = UInt32(truncatingIfNeeded: try v.uint())
            case 6: specialUse.append(try v.string())
            default: break
            }
        }
    }
}

public struct MailboxRenamed: EventBody {
    public static let type = EventType.mailboxRenamed
    public var context: EventContext
    public var mailbox: MailboxID
    public var newName: String
    public init(context: EventContext, mailbox: MailboxID, newName: String) {
        self.context = context; self.mailbox = mailbox; self.newName = newName
    }
    public func encode(to w: inout FieldWriter) { w.message(1, context); w.uint(2, mailbox.rawValue); w.string(3, newName) }
    public init(from r: inout FieldReader) throws {
        self.init(context: .system("unknown"), mailbox: MailboxID(rawValue: 0), newName: "")
        while let (n, v) = try r.next() {
            switch n {
            case 1: context = try v.message(EventContext.self, depth: r.depth)
            case 2: mailbox = MailboxID(rawValue: try v.uint())
            case 3: newName = try v.string()
            default: break
            }
        }
    }
}

public struct MailboxDeleted: EventBody {
    public static let type = EventType.mailboxDeleted
    public var context: EventContext
    public var mailbox: MailboxID
    public init(context: EventContext, mailbox: MailboxID) { self.context = context; self.mailbox = mailbox }
    public func encode(to w: inout FieldWriter) { w.message(1, context); w.uint(2, mailbox.rawValue) }
    public init(from r: inout FieldReader) throws {
        self.init(context: .system("unknown"), mailbox: MailboxID(rawValue: 0))
        while let (n, v) = try r.next() {
            switch n {
            case 1: context = try v.message(EventContext.self, depth: r.depth)
            case 2: mailbox = MailboxID(rawValue: try v.uint())
            default: break
            }
        }
    }
}

/// Subscriptions are by name (RFC 9051 §6.3.7: a name may be subscribed without existing).
public struct MailboxSubscription: Hashable, Sendable {
    public var context: EventContext
    public var user: UserID
    public var name: String
    public init(context: EventContext, user: UserID, name: String) { self.context = context; self.user = user; self.name = name }
    func encode(to w: inout FieldWriter) { w.message(1, context); w.uint(2, user.rawValue); w.string(3, name) }
    init(from r: inout FieldReader) throws {
        self.init(context: .system("unknown"), user: UserID(rawValue: 0), name: "")
        while let (n, v) = try r.next() {
            switch n {
            case 1: context = try v.message(EventContext.self, depth: r.depth)
            case 2: user = UserID(rawValue: try v.uint())
            case 3: name = try v.string()
            default: break
            }
        }
    }
}

public struct MailboxSubscribed: EventBody {
    public static let type = EventType.mailboxSubscribed
    public var subscription: MailboxSubscription
    public init(_ subscription: MailboxSubscription) { self.subscription = subscription }
    public func encode(to w: inout FieldWriter) { subscription.encode(to: &w) }
    public init(from r: inout FieldReader) throws { subscription = try MailboxSubscription(from: &r) }
}

public struct MailboxUnsubscribed: EventBody {
    public static let type = EventType.mailboxUnsubscribed
    public var subscription: MailboxSubscription
    public init(_ subscription: MailboxSubscription) { self.subscription = subscription }
    public func encode(to w: inout FieldWriter) { subscription.encode(to: &w) }
    public init(from r: inout FieldReader) throws { subscription = try MailboxSubscription(from: &r) }
}
