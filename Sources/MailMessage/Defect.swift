/// Something malformed that the parser tolerated. Recorded on the part where it was seen,
/// so callers (spam scoring, audit) can see how a message was broken without the parse failing.
public enum Defect: Hashable, Sendable {
    /// A header line with no colon (RFC 5322 §2.2 requires `name ":"`); skipped.
    case headerLineWithoutColon(offset: Int)
    /// The header block ran to the end of the input with no empty line (RFC 5322 §2.1).
    case missingHeaderBodySeparator
    /// More header fields than `Limits.maxHeaderFields`; the rest were not stored.
    case tooManyHeaderFields
    /// A header line longer than 998 octets (RFC 5322 §2.1.1). Kept as is.
    case headerLineTooLong(offset: Int)
    /// A multipart without a boundary parameter (RFC 2046 §5.1.1 requires one); treated as a leaf.
    case multipartWithoutBoundary
    /// The close delimiter `--boundary--` never came (RFC 2046 §5.1.1); the parts end at the
    /// enclosing boundary or the end of the message.
    case missingCloseDelimiter
    /// No delimiter line at all for a multipart's boundary: everything is preamble.
    case noBoundaryFound
    /// Nesting beyond `Limits.maxDepth`: this part is kept as an opaque leaf.
    case nestingTooDeep
    /// More parts than `Limits.maxParts`: the rest stays unsplit.
    case tooManyParts
    /// A message/rfc822 part with a transfer encoding other than 7bit/8bit/binary
    /// (RFC 2046 §5.2.1 forbids it); kept as an opaque leaf.
    case encodedMessagePart
    /// A Content-Type that did not parse as `type "/" subtype` (RFC 2045 §5.1);
    /// the default text/plain applies (RFC 2045 §5.2).
    case invalidContentType
}
