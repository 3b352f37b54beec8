public import Journal
public import Projections

/// A message's bytes as POP3 serves them: `StoredMessage` (added header, then the stored bytes)
/// with CRLF line endings (RFC 1939 §3) however the message arrived.
public enum POP3MessageContent {
    public static func read(_ info: MessageInfo, from journal: Journal) throws -> [UInt8] {
        POP3Encoder.crlf(try StoredMessage.bytes(of: info, from: journal))
    }
}
