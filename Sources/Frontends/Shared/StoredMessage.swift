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

    /// One allocation: the record's payload is decompressed (or copied from the mapped segment)
    /// straight into the array that is returned, after room for the added header; the message
    /// field is then moved down to follow the header. The message is copied once, with no
    /// decoded event or scratch buffer beside it (a 20 MiB FETCH holds 20 MiB, not 60).
    public static func bytes(of info: MessageInfo, from journal: Journal) throws -> [UInt8] {
        var header: [UInt8] = []
        if let sequence = info.headerSequence {
            guard let delivered = try Event.decode(journal.record(sequence))?.body as? MessageDelivered else {
                throw Missing(sequence: sequence)
            }
            header = delivered.addedHeader
        }
        let (type, count) = try journal.payloadInfo(info.bodySequence)
        guard type == EventType.messageReceived.rawValue || type == EventType.messageAppended.rawValue else {
            throw Missing(sequence: info.bodySequence)
        }
        return try [UInt8](unsafeUninitializedCapacity: header.count + count) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            let payload = UnsafeMutableRawBufferPointer(rebasing: raw[header.count...])
            try journal.readPayload(info.bodySequence, into: payload)
            guard let octets = try Event.messageOctets(type: type, payload: UnsafeRawBufferPointer(payload)) else {
                throw Missing(sequence: info.bodySequence)
            }
            // The message field lies inside the payload, at or after where it belongs: move it down.
            if let from = octets.baseAddress, !octets.isEmpty {
                (raw.baseAddress! + header.count).copyMemory(from: from, byteCount: octets.count)
            }
            header.withUnsafeBytes { if let h = $0.baseAddress { raw.baseAddress!.copyMemory(from: h, byteCount: $0.count) } }
            initialized = header.count + octets.count
        }
    }
}
