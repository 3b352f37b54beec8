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

    /// One allocation of exactly the message's size, filled straight from the journal record
    /// (the mapped segment, or the decompression buffer): the message is copied once, not
    /// decoded into an event and then joined with its added header.
    public static func bytes(of info: MessageInfo, from journal: Journal) throws -> [UInt8] {
        var header: [UInt8] = []
        if let sequence = info.headerSequence {
            guard let delivered = try Event.decode(journal.record(sequence))?.body as? MessageDelivered else {
                throw Missing(sequence: sequence)
            }
            header = delivered.addedHeader
        }
        var bytes: [UInt8]?
        try journal.forEach(from: info.bodySequence, through: info.bodySequence) { view in
            guard view.sequence == info.bodySequence,
                  let octets = try Event.messageOctets(type: view.type, payload: view.payload) else { return }
            var out: [UInt8] = []
            out.reserveCapacity(header.count + octets.count)
            out += header
            out += octets
            bytes = out
        }
        guard let bytes else { throw Missing(sequence: info.bodySequence) }
        return bytes
    }
}
