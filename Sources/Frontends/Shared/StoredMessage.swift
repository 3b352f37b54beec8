public import Journal
public import Projections

/// A mailbox message's bytes as the front-ends serve them: the header Roost added at delivery
/// (recorded in `MessageDelivered`), then the bytes as stored in the message-received or
/// message-appended event. The stored bytes are never rewritten (DESIGN.md "Journal").
public enum StoredMessage {
    /// The stored event for a message is not what the projection says it is.
    public struct Missing: Error, Sendable, Hashable, CustomStringConvertible {
        public var sequence: UInt64
        public var description: String { "journal record \(sequence) is not a message" }
    }

    public static func bytes(of info: MessageInfo, from journal: Journal) throws -> [UInt8] {
        var bytes: [UInt8]
        switch try Event.decode(journal.record(info.bodySequence))?.body {
        case let received as MessageReceived: bytes = received.message
        case let appended as MessageAppended: bytes = appended.message
        default: throw Missing(sequence: info.bodySequence)
        }
        if let header = info.headerSequence {
            guard let delivered = try Event.decode(journal.record(header))?.body as? MessageDelivered else {
                throw Missing(sequence: header)
            }
            if !delivered.addedHeader.isEmpty { bytes = delivered.addedHeader + bytes }
        }
        return bytes
    }
}
