/// One node of the MIME tree (RFC 2045, RFC 2046). All ranges are byte offsets into the raw
/// message, so nested parts and encapsulated messages point into the same bytes.
public struct MessagePart: Hashable, Sendable {
    public indirect enum Body: Hashable, Sendable {
        /// A leaf: text, an attachment, or something kept opaque (see `defects`).
        case single
        /// RFC 2046 §5.1: the parts between delimiter lines, with the text around them.
        case multipart(Multipart)
        /// RFC 2046 §5.2.1 message/rfc822 (or message/global): the encapsulated message's root.
        case message(MessagePart)
    }

    public struct Multipart: Hashable, Sendable {
        public var boundary: String
        public var preamble: Range<Int>
        public var parts: [MessagePart]
        /// Empty when the close delimiter is missing.
        public var epilogue: Range<Int>
        /// Whether `--boundary--` was seen.
        public var closed: Bool
    }

    /// The header block, including the empty line that ends it when there is one.
    public var headerRange: Range<Int>
    /// The body: after the empty line, up to the CRLF that belongs to the next boundary
    /// delimiter (RFC 2046 §5.1.1) or the end of the message.
    public var bodyRange: Range<Int>
    /// Lines in `headerRange` (with the empty line).
    public var headerLineCount: Int
    /// Header fields in their original order.
    public var fields: [HeaderField]
    /// The effective type: the parsed Content-Type, or the RFC 2045 §5.2 / RFC 2046 §5.1.5 default.
    public var contentType: ContentType
    /// False when `contentType` is a default (no or unparseable Content-Type field).
    public var hasContentTypeField: Bool
    public var transferEncoding: TransferEncoding
    public var disposition: ContentDisposition?
    /// Content-ID (RFC 2045 §7) as written, without the angle brackets.
    public var contentID: String?
    /// Content-Description (RFC 2045 §8), RFC 2047 words decoded.
    public var contentDescription: String?
    /// Content-Language tags (RFC 3282).
    public var contentLanguage: [String]
    /// Content-Location (RFC 2557 §4.2), unfolded.
    public var contentLocation: String?
    public var body: Body
    /// Malformations seen in this part (not its children).
    public var defects: [Defect]

    /// Size of the body in octets (IMAP body-fld-octets).
    public var bodySize: Int { bodyRange.count }

    /// The children of a multipart, or the encapsulated message's root; empty for a leaf.
    public var children: [MessagePart] {
        switch body {
        case .single: return []
        case .multipart(let m): return m.parts
        case .message(let root): return [root]
        }
    }

    /// The encapsulated message's root part, for message/rfc822.
    public var encapsulatedMessage: MessagePart? {
        if case .message(let root) = body { return root }
        return nil
    }

    public var multipart: Multipart? {
        if case .multipart(let m) = body { return m }
        return nil
    }

    /// Whether the part is an attachment by the usual reading: Content-Disposition attachment,
    /// or a non-text, non-container leaf with a file name.
    public var isAttachment: Bool {
        if let d = disposition, d.isAttachment { return true }
        guard case .single = body else { return false }
        return contentType.type != "text" && (disposition?.filename ?? contentType.name) != nil
    }

    /// The file name from Content-Disposition `filename` or, failing that, Content-Type `name`.
    public var filename: String? { disposition?.filename ?? contentType.name }

    /// Every part in depth-first order, starting with this one.
    public var allParts: [MessagePart] {
        var out: [MessagePart] = []
        func walk(_ p: MessagePart) {
            out.append(p)
            for c in p.children { walk(c) }
        }
        walk(self)
        return out
    }
}
