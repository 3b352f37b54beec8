/// Stable identities, assigned once in the creation event; names are attributes of them, so a
/// rename is one event and nothing that refers to the id changes.
public protocol StableID: RawRepresentable<UInt64>, Hashable, Sendable, Comparable, CustomStringConvertible {
    init(rawValue: UInt64)
}

extension StableID {
    /// A fresh random id (never 0). Decided by whoever writes the creation event, never by a reader.
    public static func random() -> Self {
        var generator = SystemRandomNumberGenerator()
        return Self(rawValue: UInt64.random(in: 1...UInt64.max, using: &generator))
    }
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    public var description: String { String(rawValue, radix: 16) }
}

public struct UserID: StableID { public let rawValue: UInt64; public init(rawValue: UInt64) { self.rawValue = rawValue } }
public struct DomainID: StableID { public let rawValue: UInt64; public init(rawValue: UInt64) { self.rawValue = rawValue } }
public struct MailboxID: StableID { public let rawValue: UInt64; public init(rawValue: UInt64) { self.rawValue = rawValue } }

/// Names one message in one mailbox: the sequence number of the event that put it there
/// (delivered, appended, copied, moved) and its position among that event's messages. UIDs are
/// not stored in events; the projector assigns them from this, in journal order.
public struct MessageRef: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var event: UInt64
    public var ordinal: UInt32
    public init(event: UInt64, ordinal: UInt32 = 0) {
        self.event = event
        self.ordinal = ordinal
    }
    public static func < (a: Self, b: Self) -> Bool { (a.event, a.ordinal) < (b.event, b.ordinal) }
    public var description: String { ordinal == 0 ? "#\(event)" : "#\(event).\(ordinal)" }
}

extension MessageRef: FieldCodable {
    public func encode(to w: inout FieldWriter) {
        w.uint(1, event)
        if ordinal != 0 { w.uint(2, UInt64(ordinal)) }
    }
    public init(from r: inout FieldReader) throws {
        self.init(event: 0)
        while let (n, v) = try r.next() {
            switch n {
            case 1: event = try v.uint()
            case 2: ordinal = UInt32(truncatingIfNeeded: try v.uint())
            default: break
            }
        }
    }
}

/// Who caused an event, and over what.
public struct EventContext: Hashable, Sendable, FieldCodable {
    public enum Actor: Hashable, Sendable {
        case user(UserID)
        /// A part of Roost itself ("smtp", "pipeline", "admin", "projector"…).
        case system(String)
    }

    public var actor: Actor
    /// "smtp", "submission", "imap", "pop3", "managesieve", "admin-socket", "cli"…
    public var proto: String?
    /// The client's address as "ip" or "ip:port".
    public var clientAddress: String?

    public init(actor: Actor, proto: String? = nil, clientAddress: String? = nil) {
        self.actor = actor
        self.proto = proto
        self.clientAddress = clientAddress
    }

    public static func system(_ component: String) -> EventContext { EventContext(actor: .system(component)) }

    public func encode(to w: inout FieldWriter) {
        switch actor {
        case .user(let id): w.uint(1, id.rawValue)
        case .system(let component): w.string(2, component)
        }
        w.string(3, proto)
        w.string(4, clientAddress)
    }

    public init(from r: inout FieldReader) throws {
        self.init(actor: .system("unknown"))
        while let (n, v) = try r.next() {
            switch n {
            case 1: actor = .user(UserID(rawValue: try v.uint()))
            case 2: actor = .system(try v.string())
            case 3: proto = try v.string()
            case 4: clientAddress = try v.string()
            default: break
            }
        }
    }
}
