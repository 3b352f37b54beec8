internal import Glibc

/// The IMAP view of a message uses CRLF line endings.
///
/// Roost stores a message's bytes as received, and some arrive with bare LF line endings
/// (local submission, imported mbox files). IMAP message data is CRLF-terminated text (RFC 9051
/// §2.2 "All interactions ... are in the form of lines, that is, strings that end with a CRLF";
/// RFC 5322 §2.1 lines "delimited by CRLF"; for BINARY RFC 9051 §7.5.2 "servers MUST ensure that
/// textual line-oriented sections are always transmitted using the IMAP CRLF line termination
/// syntax, regardless of the underlying storage representation"). So every IMAP view (sizes,
/// line counts, sections, BINARY) is computed over the message with each bare LF turned into
/// CRLF, consistently: RFC822.SIZE and body-fld-octets are the sizes of exactly the bytes that
/// BODY[] and BODY[section] send. A lone CR is left alone. Dovecot does the same.
extension Message {
    /// Whether some LF in the message is not preceded by CR.
    public var hasBareLineFeeds: Bool {
        bytes.withUnsafeBufferPointer { p in
            guard let base = p.baseAddress else { return false }
            var i = 0
            let n = p.count
            while i < n {
                guard let hit = memchr(base + i, 10, n - i) else { return false }
                let at = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                if at == 0 || p[at - 1] != 13 { return true }
                i = at + 1
            }
            return false
        }
    }

    /// This message as IMAP presents it: itself when it already uses CRLF, otherwise the
    /// message re-parsed from its bytes with every bare LF replaced by CRLF.
    public func imapCanonical() -> Message {
        guard hasBareLineFeeds else { return self }
        var out = [UInt8]()
        out.reserveCapacity(bytes.count + bytes.count / 32 + 16)
        var prev: UInt8 = 0
        for b in bytes {
            if b == 10 && prev != 13 { out.append(13) }
            out.append(b)
            prev = b
        }
        return Message(bytes: out, limits: limits)
    }
}
