/// The type tag in each record's header. Tags are never reused; a reader that does not know a tag
/// skips the record (docs/journal-format.md lists them all).
public enum EventType: UInt16, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    // Accounts
    case domainAdded = 1
    case domainRemoved = 2
    case userCreated = 3
    case userDeleted = 4
    case passwordChanged = 5
    case aliasAdded = 6
    case aliasRemoved = 7
    // Mail
    case messageReceived = 20
    case messageDelivered = 21
    case messageAppended = 22
    case flagsChanged = 23
    case messagesCopied = 24
    case messagesMoved = 25
    case messagesExpunged = 26
    // Mailboxes
    case mailboxCreated = 40
    case mailboxRenamed = 41
    case mailboxDeleted = 42
    case mailboxSubscribed = 43
    case mailboxUnsubscribed = 44
    // Decisions
    case filterDecision = 60
    // Sieve scripts (ManageSieve)
    case sieveScriptStored = 100
    case sieveScriptRenamed = 101
    case sieveScriptDeleted = 102
    case sieveScriptActivated = 103

    /// The name `roost journal dump` and the docs use.
    public var description: String {
        switch self {
        case .domainAdded: "domain-added"
        case .domainRemoved: "domain-removed"
        case .userCreated: "user-created"
        case .userDeleted: "user-deleted"
        case .passwordChanged: "password-changed"
        case .aliasAdded: "alias-added"
        case .aliasRemoved: "alias-removed"
        case .messageReceived: "message-received"
        case .messageDelivered: "message-delivered"
        case .messageAppended: "message-appended"
        case .flagsChanged: "flags-changed"
        case .messagesCopied: "messages-copied"
        case .messagesMoved: "messages-moved"
        case .messagesExpunged: "messages-expunged"
        case .mailboxCreated: "mailbox-created"
        case .mailboxRenamed: "mailbox-renamed"
        case .mailboxDeleted: "mailbox-deleted"
        case .mailboxSubscribed: "mailbox-subscribed"
        case .mailboxUnsubscribed: "mailbox-unsubscribed"
        case .filterDecision: "filter-decision"
        case .sieveScriptStored: "sieve-script-stored"
        case .sieveScriptRenamed: "sieve-script-renamed"
        case .sieveScriptDeleted: "sieve-script-deleted"
        case .sieveScriptActivated: "sieve-script-activated"
        }
    }

    static let bodies: [EventType: any EventBody.Type] = [
        .domainAdded: DomainAdded.self, .domainRemoved: DomainRemoved.self, .userCreated: UserCreated.self,
        .userDeleted: UserDeleted.self, .passwordChanged: PasswordChanged.self, .aliasAdded: AliasAdded.self,
        .aliasRemoved: AliasRemoved.self, .messageReceived: MessageReceived.self,
        .messageDelivered: MessageDelivered.self, .messageAppended: MessageAppended.self,
        .flagsChanged: FlagsChanged.self, .messagesCopied: MessagesCopied.self, .messagesMoved: MessagesMoved.self,
        .messagesExpunged: MessagesExpunged.self, .mailboxCreated: MailboxCreated.self,
        .mailboxRenamed: MailboxRenamed.self, .mailboxDeleted: MailboxDeleted.self,
        .mailboxSubscribed: MailboxSubscribed.self, .mailboxUnsubscribed: MailboxUnsubscribed.self,
        .filterDecision: FilterDecision.self, .sieveScriptStored: SieveScriptStored.self,
        .sieveScriptRenamed: SieveScriptRenamed.self, .sieveScriptDeleted: SieveScriptDeleted.self,
        .sieveScriptActivated: SieveScriptActivated.self,
    ]

    public var bodyType: any EventBody.Type { EventType.bodies[self]! }
}

/// The payload of one event type.
public protocol EventBody: FieldCodable, Hashable {
    static var type: EventType { get }
}

extension EventBody {
    public func record() -> RecordInput {
        var writer = FieldWriter()
        encode(to: &writer)
        return RecordInput(type: Self.type.rawValue, payload: writer.bytes)
    }

    public static func decode(_ payload: UnsafeRawBufferPointer) throws -> Self {
        var reader = try FieldReader(payload)
        return try Self(from: &reader)
    }

    public static func decode(_ payload: [UInt8]) throws -> Self {
        try payload.withUnsafeBytes { try decode($0) }
    }
}

/// A decoded event of any known type.
public struct Event: Sendable {
    public let body: any EventBody

    public init(_ body: any EventBody) { self.body = body }

    public var type: EventType { Swift.type(of: body).type }

    /// Decodes a record's payload; nil for a type this version does not know (skip it).
    public static func decode(type tag: UInt16, payload: UnsafeRawBufferPointer) throws -> Event? {
        guard let type = EventType(rawValue: tag) else { return nil }
        var reader = try FieldReader(payload)
        return Event(try type.bodyType.init(from: &reader))
    }

    public static func decode(_ record: Record) throws -> Event? {
        try record.payload.withUnsafeBytes { try decode(type: record.type, payload: $0) }
    }

    public func record() -> RecordInput { body.record() }
}

extension Journal {
    /// Appends events as one batch; returns their sequence numbers once durable.
    public func append(events: [any EventBody]) async throws -> [UInt64] {
        try await append(events.map { $0.record() })
    }

    public func append(event: some EventBody) async throws -> UInt64 {
        try await append(event.record())
    }
}
