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
        bytes.withUnsafeBufferPointer { $0.indexOfBareLF(from: 0, end: $0.count, previous: 0) != nil }
    }

    /// This message as IMAP presents it: itself when it already uses CRLF, otherwise the
    /// message re-parsed from its bytes with every bare LF replaced by CRLF.
    public func imapCanonical() -> Message {
        guard hasBareLineFeeds else { return self }
        return Message(bytes: Self.crlfForm(bytes), limits: limits)
    }

    /// `pieces` concatenated, with every LF not preceded by CR turned into CRLF (a lone CR is
    /// left alone): the bytes of `imapCanonical()`, built with one copy per run between bare
    /// LFs, so a caller holding a header and a body apart need not join them first.
    public static func crlfForm(_ pieces: [UInt8]...) -> [UInt8] {
        let total = pieces.reduce(0) { $0 + $1.count }
        // At most one CR per byte is added.
        return [UInt8](unsafeUninitializedCapacity: total * 2) { out, written in
            var previous: UInt8 = 0
            var n = 0
            for piece in pieces where !piece.isEmpty {
                piece.withUnsafeBufferPointer { p in
                    let base = p.baseAddress!
                    var copied = 0
                    var searchFrom = 0, before = previous
                    while let at = p.indexOfBareLF(from: searchFrom, end: p.count, previous: before) {
                        (out.baseAddress! + n).initialize(from: base + copied, count: at - copied)
                        n += at - copied
                        out[n] = ASCII.cr
                        n += 1
                        copied = at // the LF goes out with the next run
                        searchFrom = at + 1
                        before = ASCII.lf
                    }
                    (out.baseAddress! + n).initialize(from: base + copied, count: p.count - copied)
                    n += p.count - copied
                    previous = p[p.count - 1]
                }
            }
            written = n
        }
    }
}
