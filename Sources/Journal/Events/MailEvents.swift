// Mail events: arrival over SMTP, delivery to a mailbox, IMAP APPEND, flags, copy, move, expunge.

/// An ESMTP parameter as received (`SIZE=1234`, `BODY=8BITMIME`, `RET=HDRS`, `ENVID=…`).
public struct SMTPParameter: Hashable, Sendable, FieldCodable {
    public var keyword: String
    public var value: String?
    public init(keyword: String, value: String? = nil) { self.keyword = keyword; self.value = value }
    public func encode(to w: inout FieldWriter) { w.string(1, keyword); w.string(2, value) }
    public init(from r: inout FieldReader) throws {
        self.init(keyword: "")
        while let (n, v) = try r.next() {
            switch n {
            case 1: keyword = try v.string()
            case 2: value = try v.string()
            default: break
            }
        }
    }
}

/// One RCPT TO with its DSN parameters (RFC 3461) and any others.
public struct EnvelopeRecipient: Hashable, Sendable, FieldCodable {
    public var address: String
    /// NOTIFY=SUCCESS,FAILURE,DELAY or NEVER, as given.
    public var notify: String?
    /// ORCPT=addr-type;xtext, as given.
    public var originalRecipient: String?
    public var parameters: [SMTPParameter]
    public init(address: String, notify: String? = nil, originalRecipient: String? = nil, parameters: [SMTPParameter] = []) {
        self.address = address; self.notify = notify; self.originalRecipient = originalRecipient; self.parameters = parameters
    }
    public func encode(to w: inout FieldWriter) {
        w.string(1, address); w.string(2, notify); w.string(3, originalRecipient)
        for p in parameters { w.message(4, p) }
    }
    public init(from r: inout FieldReader) throws {
        self.init(address: "")
        while let (n, v) = try r.next() {
            switch n {
            case 1: address = try v.string()
            case 2: notify = try v.string()
            case 3: originalRecipient = try v.string()
            case 4: parameters.append(try v.message(SMTPParameter.self, depth: r.depth))
            default: break
            }
        }
    }
}

/// The SMTP facts of one transaction.
public struct Envelope: Hashable, Sendable, FieldCodable {
    /// The reverse path without angle brackets; "" for the null sender `<>`.
    public var mailFrom: String
    public var mailParameters: [SMTPParameter]
    public var recipients: [EnvelopeRecipient]
    public var clientIP: String
    public var clientPort: UInt16?
    /// The reverse-DNS name of the client, if it was looked up.
    public var clientName: String?
    public var helo: String
    /// "ESMTP", "ESMTPS", "ESMTPSA"… (RFC 3848).
    public var withProtocol: String
    public var tlsVersion: String?
    public var tlsCipher: String?
    /// The authenticated user, for submission.
    public var authenticatedUser: UserID?
    public var authenticationMechanism: String?
    /// When the final reply's data was received, microseconds since the Unix epoch.
    public var receivedAt: Int64
    /// The listener that took the message: "mx", "submission", "submissions".
    public var listener: String

    public init(mailFrom: String, mailParameters: [SMTPParameter] = [], recipients: [EnvelopeRecipient],
                clientIP: String, clientPort: UInt16? = nil, clientName: String? = nil, helo: String,
                withProtocol: String = "ESMTP", tlsVersion: String? = nil, tlsCipher: String? = nil,
                authenticatedUser: UserID? = nil, authenticationMechanism: String? = nil,
                receivedAt: Int64, listener: String = "mx") {
        self.mailFrom = mailFrom; self.mailParameters = mailParameters; self.recipients = recipients
        self.clientIP = clientIP; self.clientPort = clientPort; self.clientName = clientName; self.helo = helo
        self.withProtocol = withProtocol; self.tlsVersion = tlsVersion; self.tlsCipher = tlsCipher
        self.authenticatedUser = authenticatedUser; self.authenticationMechanism = authenticationMechanism
        self.receivedAt = receivedAt; self.listener = listener
    }

    public func encode(to w: inout FieldWriter) {
        w.string(1, mailFrom)
        for p in mailParameters { w.message(2, p) }
        for rcpt in recipients { w.message(3, rcpt) }
        w.string(4, clientIP)
        w.uint(5, clientPort.map(UInt64.init))
        w.string(6, clientName)
        w.string(7, helo)
        w.string(8, withProtocol)
        w.string(9, tlsVersion)
        w.string(10, tlsCipher)
        w.uint(11, authenticatedUser?.rawValue)
        w.string(12, authenticationMechanism)
        w.int(13, receivedAt)
        w.string(14, listener)
    }

    public init(from r: inout FieldReader) throws {
        self.init(mailFrom: "", recipients: [], clientIP: "", helo: "", receivedAt: 0)
        while let (n, v) = try r.next() {
            switch n {
            case 1: mailFrom = try v.string()
            case 2: mailParameters.append(try v.message(SMTPParameter.self, depth: r.depth))
            case 3: recipients.append(try v.message(EnvelopeRecipient.self, depth: r.depth))
            case 4: clientIP = try v.string()
            case 5: clientPort = UInt16(truncatingIfNeeded: try v.uint())
            case 6: clientName = try v.string()
            case 7: helo = try v.string()
            case 8: withProtocol = try v.string()
            case 9: tlsVersion = try v.string()
            case 10: tlsCipher = try v.string()
            case 11: authenticatedUser = UserID(rawValue: try v.uint())
            case 12: authenticationMechanism = try v.string()
            case 13: receivedAt = try v.int()
            case 14: listener = try v.string()
            default: break
            }
        }
    }
}

/// A message accepted over SMTP: the envelope and the raw bytes, stored once however many
/// recipients it has. Deliveries refer to this event by its sequence number.
public struct MessageReceived: EventBody {
    public static let type = EventType.messageReceived
    public var context: EventContext
    public var envelope: Envelope
    /// The message exactly as received (after dot-unstuffing), never rewritten.
    public var message: [UInt8]
    public init(context: EventContext, envelope: Envelope, message: [UInt8]) {
        self.context = context; self.envelope = envelope; self.message = message
    }
    public func encode(to w: inout FieldWriter) {
        w.message(1, context); w.message(2, envelope); w.data(3, message)
    }
    public init(from r: inout FieldReader) throws {
        self.init(context: .system("unknown"), envelope: Envelope(mailFrom: "", recipients: [], clientIP: "", helo: "", receivedAt: 0), message: [])
        while let (n, v) = try r.next() {
            switch n {
            case 1: context = try v.message(EventContext.self, depth: r.depth)
            case 2: envelope = try v.message(Envelope.self, depth: r.depth)
            case 3: message = try v.bytes()
            default: break
            }
        }
    }
}

/// A received message placed in a user's mailbox. The header fields Roost adds (Return-Path,
/// Received, Authentication-Results, X-Spam-*) are recorded here and put in front of the stored
/// bytes when the message is read.
public struct MessageDelivered: EventBody {
    public static let type = EventType.messageDelivered
    public var context: EventContext
    /// The sequence number of the `MessageReceived` event holding the bytes.
    public var received: UInt64
    /// The envelope recipient this delivery is for.
    public var recipient: String
    public var user: UserID
    public var mailbox: MailboxID
    public var addedHeader: [UInt8]
    public var flags: [String]
    public init(context: EventContext, received: UInt64, recipient: String, user: UserID, mailbox: MailboxID,
                addedHeader: [UInt8] = [], flags: [String] = []) {
        self.context = context; self.received = received; self.recipient = recipient; self.user = user
        self.mailbox = mailbox; self.addedHeader = addedHeader; self.flags = flags
    }
    public func encode(to w: inout FieldWriter) {
        w.message(1, context); w.uint(2, received); w.string(3, recipient); w.uint(4, user.rawValue)
        w.uint(5, mailbox.rawValue); w.data(6, addedHeader)
        for f in flags { w.string(7, f) }
    }
    public init(from r: inout FieldReader) throws {
        self.init(context: .system("unknown"), received: 0, recipient: "", user: UserID(rawValue: 0), mailbox: MailboxID(rawValue: 0))
        while let (n, v) = try r.next() {
            switch n {
            case 1: context = try v.message(EventContext.self, depth: r.depth)
            case 2: received = try v.uint()
            case 3: recipient = try v.string()
            case 4: user = UserID(rawValue: try v.uint())
            case 5: mailbox = MailboxID(rawValue: try v.uint())
            case 6: addedHeader = try v.bytes()
            case 7: flags.append(try v.string())
            default: break
            }
        }
    }
}

/// A message added by a client (IMAP APPEND): its bytes live in this event.
public struct MessageAppended: EventBody {
    public static let type = EventType.messageAppended
    public var context: EventContext
    public var mailbox: MailboxID
    public var flags: [String]
    /// The IMAP internal date, microseconds since the Unix epoch, and the zone offset it was given in.
    public var internalDate: Int64
    public var zoneOffsetMinutes: Int16
    public var message: [UInt8]
    public init(context: EventContext, mailbox: MailboxID, flags: [String] = [], internalDate: Int64,
                zoneOffsetMinutes: Int16 = 0, message: [UInt8]) {
        self.context = context; self.mailbox = mailbox; self.flags = flags; self.internalDate = internalDate
        self.zoneOffsetMinutes = zoneOffsetMinutes; self.message = message
    }
    public func encode(to w: inout FieldWriter) {
        w.message(1, context); w.uint(2, mailbox.rawValue)
        for f in flags { w.string(3, f) }
        w.int(4, internalDate); w.int(5, Int64(zoneOffsetMinutes)); w.data(6, message)
    }
    public init(from r: inout FieldReader) throws {
        self.init(context: .system("unknown"), mailbox: MailboxID(rawValue: 0), internalDate: 0, message: [])
        while let (n, v) = try r.next() {
            switch n {
            case 1: context = try v.message(EventContext.self, depth: r.depth)
            case 2: mailbox = MailboxID(rawValue: try v.uint())
            case 3: flags.append(try v.string())
            case 4: internalDate = try v.int()
            case 5: zoneOffsetMinutes = Int16(truncatingIfNeeded: try v.int())
            case 6: message = try v.bytes()
            default: break
            }
        }
    }
}

extension Event {
    /// The message octets in an encoded `MessageReceived` (field 3) or `MessageAppended` (field 6)
    /// payload, found without decoding or copying the rest, so a reader that only wants the bytes
    /// copies them once, straight from the journal. Nil for other event types; an absent field is
    /// an empty message, and a repeated one counts last, as `init(from:)` decodes them.
    public static func messageOctets(type: UInt16, payload: UnsafeRawBufferPointer) throws -> UnsafeRawBufferPointer? {
        let field: Int
        switch EventType(rawValue: type) {
        case .messageReceived: field = 3
        case .messageAppended: field = 6
        default: return nil
        }
        var reader = try FieldReader(payload)
        var octets = UnsafeRawBufferPointer(rebasing: payload[0..<0])
        while let (n, v) = try reader.next() {
            guard n == field else { continue }
            guard case .bytes(let b) = v else { throw FieldDecodingError(reason: "expected bytes, found an integer", offset: reader.offset) }
            octets = b
        }
        return octets
    }
}

extension MessageReceived {
    /// What a delivery takes from its received message, read from the encoded payload: when it
    /// was received (the envelope's `receivedAt`) and the message octets, which point into
    /// `payload`. The context and the envelope's other fields (strings, recipients) are neither
    /// decoded nor copied; the fields read are checked as `init(from:)` checks them, and a
    /// repeated envelope or message counts last, as there.
    public static func receivedAtAndOctets(payload: UnsafeRawBufferPointer) throws -> (receivedAt: Int64, octets: UnsafeRawBufferPointer) {
        var reader = try FieldReader(payload)
        var receivedAt: Int64 = 0
        var octets = UnsafeRawBufferPointer(rebasing: payload[0..<0])
        while let (n, v) = try reader.next() {
            switch n {
            case 2:
                guard case .bytes(let b) = v else { throw FieldDecodingError(reason: "expected a nested message", offset: reader.offset) }
                var envelope = try FieldReader(b, depth: reader.depth + 1)
                receivedAt = 0
                while let (m, w) = try envelope.next() {
                    if m == 13 { receivedAt = try w.int() }
                }
            case 3:
                guard case .bytes(let b) = v else { throw FieldDecodingError(reason: "expected bytes, found an integer", offset: reader.offset) }
                octets = b
            default:
                break
            }
        }
        return (receivedAt, octets)
    }
}

public struct FlagsChanged: EventBody {
    public static let type = EventType.flagsChanged
    public enum Operation: UInt64, Sendable, Hashable { case add = 0, remove = 1, replace = 2 }
    public var context: EventContext
    public var mailbox: MailboxID
    public var messages: [MessageRef]
    public var operation: Operation
    /// System flags (`\Seen`) and keywords (`$Junk`), as IMAP names them.
    public var flags: [String]
    /// IMAP CONDSTORE's UNCHANGEDSINCE (RFC 7162 §3.1.3): a message whose MODSEQ is above this
    /// when the event is applied is left as it is. Checked where events are applied, in journal
    /// order, so the test and the change are one step even with other writers.
    public var unchangedSince: UInt64?
    public init(context: EventContext, mailbox: MailboxID, messages: [MessageRef], operation: Operation, flags: [String],
                unchangedSince: UInt64? = nil) {
        self.context = context; self.mailbox = mailbox; self.messages = messages; self.operation = operation; self.flags = flags
        self.unchangedSince = unchangedSince
    }
    public func encode(to w: inout FieldWriter) {
        w.message(1, context); w.uint(2, mailbox.rawValue)
        for m in messages { w.message(3, m) }
        w.uint(4, operation.rawValue)
        for f in flags { w.string(5, f) }
        w.uint(6, unchangedSince)
    }
    public init(from r: inout FieldReader) throws {
        self.init(context: .system("unknown"), mailbox: MailboxID(rawValue: 0), messages: [], operation: .add, flags: [])
        while let (n, v) = try r.next() {
            switch n {
            case 1: context = try v.message(EventContext.self, depth: r.depth)
            case 2: mailbox = MailboxID(rawValue: try v.uint())
            case 3: messages.append(try v.message(MessageRef.self, depth: r.depth))
            case 4: operation = Operation(rawValue: try v.uint()) ?? .add
            case 5: flags.append(try v.string())
            case 6: unchangedSince = try v.uint()
            default: break
            }
        }
    }
}

/// Messages copied (or, for `MessagesMoved`, moved) from one mailbox to another. The new copies are
/// `MessageRef(event: <this event's sequence>, ordinal: i)` for the i-th source message.
public struct MessagesTransferred: Hashable, Sendable {
    public var context: EventContext
    public var source: MailboxID
    public var messages: [MessageRef]
    public var destination: MailboxID
    public init(context: EventContext, source: MailboxID, messages: [MessageRef], destination: MailboxID) {
        self.context = context; self.source = source; self.messages = messages; self.destination = destination
    }
    public func encode(to w: inout FieldWriter) {
        w.message(1, context); w.uint(2, source.rawValue)
        for m in messages { w.message(3, m) }
        w.uint(4, destination.rawValue)
    }
    public init(from r: inout FieldReader) throws {
        self.init(context: .system("unknown"), source: MailboxID(rawValue: 0), messages: [], destination: MailboxID(rawValue: 0))
        while let (n, v) = try r.next() {
            switch n {
            case 1: context = try v.message(EventContext.self, depth: r.depth)
            case 2: source = MailboxID(rawValue: try v.uint())
            case 3: messages.append(try v.message(MessageRef.self, depth: r.depth))
            case 4: destination = MailboxID(rawValue: try v.uint())
            default: break
            }
        }
    }
}

public struct MessagesCopied: EventBody {
    public static let type = EventType.messagesCopied
    public var transfer: MessagesTransferred
    public init(_ transfer: MessagesTransferred) { self.transfer = transfer }
    public func encode(to w: inout FieldWriter) { transfer.encode(to: &w) }
    public init(from r: inout FieldReader) throws { transfer = try MessagesTransferred(from: &r) }
}

/// A move removes the sources (no separate expunge event) and creates the copies.
public struct MessagesMoved: EventBody {
    public static let type = EventType.messagesMoved
    public var transfer: MessagesTransferred
    public init(_ transfer: MessagesTransferred) { self.transfer = transfer }
    public func encode(to w: inout FieldWriter) { transfer.encode(to: &w) }
    public init(from r: inout FieldReader) throws { transfer = try MessagesTransferred(from: &r) }
}

public struct MessagesExpunged: EventBody {
    public static let type = EventType.messagesExpunged
    public var context: EventContext
    public var mailbox: MailboxID
    public var messages: [MessageRef]
    public init(context: EventContext, mailbox: MailboxID, messages: [MessageRef]) {
        self.context = context; self.mailbox = mailbox; self.messages = messages
    }
    public func encode(to w: inout FieldWriter) {
        w.message(1, context); w.uint(2, mailbox.rawValue)
        for m in messages { w.message(3, m) }
    }
    public init(from r: inout FieldReader) throws {
        self.init(context: .system("unknown"), mailbox: MailboxID(rawValue: 0), messages: [])
        while let (n, v) = try r.next() {
            switch n {
            case 1: context = try v.message(EventContext.self, depth: r.depth)
            case 2: mailbox = MailboxID(rawValue: try v.uint())
            case 3: messages.append(try v.message(MessageRef.self, depth: r.depth))
            default: break
            }
        }
    }
}
