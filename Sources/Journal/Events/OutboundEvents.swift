// Outbound events: mail a local user submitted for recipients elsewhere. Delivery attempts,
// retries and bounces get their own events with the delivery issue.

/// A received message (submitted by a local user, or arriving for an alias that forwards) that
/// Roost must deliver to recipients on other hosts. The bytes stay in the message-received
/// event; `addedHeader` (Received, plus what DKIM signing adds later) goes in front of them.
public struct OutboundQueued: EventBody {
    public static let type = EventType.outboundQueued
    public var context: EventContext
    /// The sequence number of the `MessageReceived` event holding the bytes and the envelope.
    public var received: UInt64
    /// The reverse path to use (the envelope's MAIL FROM; "" for `<>`).
    public var mailFrom: String
    /// The remote recipients, with their DSN parameters.
    public var recipients: [EnvelopeRecipient]
    public var addedHeader: [UInt8]
    public init(context: EventContext, received: UInt64, mailFrom: String, recipients: [EnvelopeRecipient], addedHeader: [UInt8] = []) {
        self.context = context; self.received = received; self.mailFrom = mailFrom
        self.recipients = recipients; self.addedHeader = addedHeader
    }
    public func encode(to w: inout FieldWriter) {
        w.message(1, context); w.uint(2, received); w.string(3, mailFrom)
        for r in recipients { w.message(4, r) }
        w.data(5, addedHeader)
    }
    public init(from r: inout FieldReader) throws {
        self.init(context: .system("unknown"), received: 0, mailFrom: "", recipients: [])
        while let (n, v) = try r.next() {
            switch n {
            case 1: context = try v.message(EventContext.self, depth: r.depth)
            case 2: received = try v.uint()
            case 3: mailFrom = try v.string()
            case 4: recipients.append(try v.message(EnvelopeRecipient.self, depth: r.depth))
            case 5: addedHeader = try v.bytes()
            default: break
            }
        }
    }
}
