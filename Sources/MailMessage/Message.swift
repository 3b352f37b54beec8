/// A parsed message: the raw bytes, untouched, and the MIME tree of ranges into them.
///
/// Parsing never fails and never rewrites bytes. Structure (header fields, MIME tree, offsets,
/// header line counts) is computed up front in one pass; body line counts (a pass over the
/// body) only for the parts asked about; decoding (encoded words, addresses, dates,
/// transfer encodings, charsets) happens only when asked for.
public struct Message: Sendable {
    public let bytes: [UInt8]
    public let root: MessagePart
    public let limits: Limits

    public init(bytes: [UInt8], limits: Limits = .default) {
        self.bytes = bytes
        self.limits = limits
        self.root = bytes.withUnsafeBufferPointer { p in
            var parser = MIMEParser(p, limits: limits)
            return parser.parsePart(at: 0, depth: 0, inDigest: false).0
        }
    }

    public init(_ text: String, limits: Limits = .default) {
        self.init(bytes: Array(text.utf8), limits: limits)
    }

    /// Lines in `part.bodyRange` as IMAP counts them (RFC 3501 body-fld-lines): line
    /// terminators, plus one for a last line without one.
    public func bodyLineCount(_ part: MessagePart) -> Int {
        bytes.withUnsafeBufferPointer { $0.lineCount(part.bodyRange) }
    }

    // MARK: Header fields

    /// The top-level header fields in their original order.
    public var fields: [HeaderField] { root.fields }

    /// The field name as written.
    public func name(of field: HeaderField) -> String {
        String(decoding: bytes[field.nameRange], as: UTF8.self)
    }

    /// The exact bytes of the whole field (name, value, folding, line ending).
    public func rawBytes(of field: HeaderField) -> ArraySlice<UInt8> { bytes[field.range] }

    /// The value bytes after the colon, folding and leading space included.
    public func rawValue(of field: HeaderField) -> ArraySlice<UInt8> { bytes[field.valueRange] }

    /// The value unfolded (RFC 5322 §2.2.3) and trimmed, still undecoded.
    public func unfoldedValue(of field: HeaderField) -> [UInt8] {
        let r = clampedValueRange(field)
        return bytes.withUnsafeBufferPointer { unfold($0, r) }
    }

    /// The value as text: unfolded, RFC 2047 words decoded, 8-bit bytes read as UTF-8
    /// (RFC 6532) or windows-1252. Right for unstructured fields (Subject, Comments, X-*).
    public func decodedValue(of field: HeaderField) -> String {
        EncodedWords.decode(unfoldedValue(of: field)).text
    }

    /// All fields named `name` (case-insensitive) in `part` (default: the top level), in order.
    public func fields(named name: String, in part: MessagePart? = nil) -> [HeaderField] {
        let target = Array(name.utf8).map(ASCII.lower)
        return (part ?? root).fields.filter { f in
            f.nameRange.count == target.count
                && zip(bytes[f.nameRange], target).allSatisfy { ASCII.lower($0) == $1 }
        }
    }

    /// The first field named `name`.
    public func field(named name: String, in part: MessagePart? = nil) -> HeaderField? {
        fields(named: name, in: part).first
    }

    /// The decoded value of the first field named `name`.
    public func value(named name: String, in part: MessagePart? = nil) -> String? {
        field(named: name, in: part).map { decodedValue(of: $0) }
    }

    private func clampedValueRange(_ f: HeaderField) -> Range<Int> { f.structuredValueRange(limits) }

    // MARK: Common fields (RFC 5322 §3.6)

    public var subject: String? { value(named: "subject") }

    public func addresses(named name: String, in part: MessagePart? = nil) -> [Address] {
        // Repeated fields (RFC 5322 §3.6 forbids it, it happens) are read together.
        fields(named: name, in: part).flatMap { AddressParser.parseList(unfoldedValue(of: $0)) }
    }

    public var from: [Address] { addresses(named: "from") }
    public var sender: Mailbox? { addresses(named: "sender").lazy.flatMap(\.mailboxes).first }
    public var replyTo: [Address] { addresses(named: "reply-to") }
    public var to: [Address] { addresses(named: "to") }
    public var cc: [Address] { addresses(named: "cc") }
    public var bcc: [Address] { addresses(named: "bcc") }

    public var date: MailDate? {
        field(named: "date").flatMap { DateParser.parse(unfoldedValue(of: $0)) }
    }

    public var messageID: String? {
        field(named: "message-id").flatMap { MessageID.parseOne(unfoldedValue(of: $0)) }
    }

    public var inReplyTo: [String] { fields(named: "in-reply-to").flatMap { MessageID.parseList(unfoldedValue(of: $0)) } }
    public var references: [String] { fields(named: "references").flatMap { MessageID.parseList(unfoldedValue(of: $0)) } }

    // MARK: Bodies

    /// The body bytes exactly as stored.
    public func rawBody(of part: MessagePart) -> ArraySlice<UInt8> { bytes[part.bodyRange] }

    /// The body with its Content-Transfer-Encoding removed (RFC 2045 §6). Identity and unknown
    /// encodings give the bytes as they are.
    public func decodedBody(of part: MessagePart) -> TransferDecoding.Result {
        let raw = bytes[part.bodyRange]
        switch part.transferEncoding {
        case .base64: return TransferDecoding.base64(raw)
        case .quotedPrintable: return TransferDecoding.quotedPrintable(raw)
        default: return TransferDecoding.Result(bytes: Array(raw), hadErrors: false)
        }
    }

    /// The body as text: transfer-decoded, then converted from its charset (default us-ascii,
    /// RFC 2046 §4.1.2). An unknown charset is reported in the outcome.
    public func text(of part: MessagePart) -> Charset.Decoded {
        let decoded = decodedBody(of: part).bytes
        return Charset.decode(decoded, charset: part.contentType.charset ?? "us-ascii")
    }
}

extension HeaderField {
    /// The part of the value structured decoding looks at (`Limits.maxStructuredFieldLength`).
    @inline(__always)
    func structuredValueRange(_ limits: Limits) -> Range<Int> {
        let r = valueRange
        guard r.count > limits.maxStructuredFieldLength else { return r }
        return r.lowerBound..<(r.lowerBound + limits.maxStructuredFieldLength)
    }
}
