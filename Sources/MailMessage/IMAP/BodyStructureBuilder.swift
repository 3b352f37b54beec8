extension BodyStructure {
    /// The body structure of `message` (RFC 9051 §7.5.2). Give it the IMAP form of the message
    /// (`Message.imapCanonical()`) so that sizes match what BODY[...] sends.
    public init(of message: Message) {
        let limits = message.limits
        self = message.bytes.withUnsafeBufferPointer { b in
            ViewScratch.with { BodyStructure.build(message.root, b, limits, $0) }
        }
    }

    static var text: [UInt8] { InternedWords.text }
    static var plain: [UInt8] { InternedWords.plain }
    static var charset: [UInt8] { InternedWords.charset }
    static var usASCII: [UInt8] { InternedWords.usASCII }
    static var sevenBit: [UInt8] { InternedWords.sevenBit }

    /// The structure of `part` of a message with bytes `b`. Strings the structure keeps are
    /// allocated; values it only reads (Content-Type, -Disposition, -Transfer-Encoding) are read
    /// in place or in `scratch`.
    static func build(_ part: MessagePart, _ b: UnsafeBufferPointer<UInt8>, _ limits: Limits, _ scratch: ViewScratch) -> BodyStructure {
        let raw = RawMIMEFields(b, part.fields, limits)
        let isText = part.contentType.type == "text"
        let isEncapsulated = part.contentType.isEncapsulatedMessage
        // The type as written when the field parsed to the same type part 1 settled on;
        // otherwise the effective (default) type, lowercase.
        var type = InternedWords.array(part.contentType.type)
        var subtype = InternedWords.array(part.contentType.subtype)
        var params: [BodyParameter] = []
        if part.hasContentTypeField, let r = raw.contentType {
            scratch.withUnfolded(b, r) { v in
                if let mt = RawMIMEValue.mediaType(v), InternedWords.equalsLowercased(mt.type, type), InternedWords.equalsLowercased(mt.subtype, subtype) {
                    type = InternedWords.array(mt.type)
                    subtype = InternedWords.array(mt.subtype)
                    params = RawMIMEValue.parameters(v, from: mt.rest)
                } else {
                    // "text" alone (read as text/plain) and other repaired forms: parameters after the first token.
                    params = RawMIMEValue.parameters(v, from: RawMIMEValue.token(v, from: 0).1)
                }
            }
        } else {
            params = part.contentType.parameters.map { BodyParameter($0.name, $0.value) }
        }
        let disposition = raw.disposition.flatMap { r in scratch.withUnfolded(b, r) { Self.disposition($0) } }
        let language = part.contentLanguage.isEmpty ? [] : part.contentLanguage.map { Array($0.utf8) }
        let location = raw.location.map { unfold(b, $0) }

        if case .multipart(let mp) = part.body, !mp.parts.isEmpty {
            var parts: [BodyStructure] = []
            parts.reserveCapacity(mp.parts.count)
            for k in mp.parts.indices { parts.append(build(mp.parts[k], b, limits, scratch)) }
            return .multipart(MultipartPart(
                parts: parts, subtype: subtype, parameters: params,
                disposition: disposition, language: language, location: location))
        }
        if part.contentType.isMultipart {
            // A multipart with no boundary or no parts: `1*body` needs one part, so the body is
            // described as one empty text/plain part, as Dovecot does.
            let empty = BodyStructure.single(SinglePart(
                type: text, subtype: plain, parameters: [BodyParameter(name: charset, value: usASCII)],
                encoding: sevenBit, octets: 0, kind: .text(lines: 0)))
            return .multipart(MultipartPart(
                parts: [empty], subtype: subtype, parameters: params,
                disposition: disposition, language: language, location: location))
        }
        // RFC 2046 §4.1.2: text without a charset parameter is us-ascii; say so, as Dovecot does.
        if isText && !params.contains(where: { InternedWords.equalsLowercased($0.name, charset) }) {
            params.append(BodyParameter(name: charset, value: usASCII))
        }
        // RFC 2045 §6.1: the field is one token; a value that is not ("8 bit") counts as absent,
        // and absent means 7bit.
        var encoding = sevenBit
        if let r = raw.transferEncoding {
            scratch.withUnfolded(b, r) { v in
                let (t, e) = RawMIMEValue.token(v, from: 0)
                if !t.isEmpty && RawMIMEValue.skipCFWS(v, e) == v.count { encoding = InternedWords.array(UnsafeBufferPointer(rebasing: v[t])) }
            }
        }
        // message/rfc822 in the form Dovecot sends it whatever the case written (type names
        // are case-insensitive, RFC 2045 §5.1), so cached structures match byte for byte.
        if isEncapsulated && part.contentType.subtype == "rfc822" {
            type = InternedWords.message
            subtype = InternedWords.rfc822
        }
        let octets = part.bodyRange.count
        // Only text and message parts have body-fld-lines; counting is a pass over the body,
        // so attachments are not counted.
        let lines = isEncapsulated || isText ? terminatedLines(b, part.bodyRange) : 0
        let kind: Kind
        if isEncapsulated {
            if case .message(let inner) = part.body {
                let env = Envelope(fields: inner.fields, b, limits, scratch)
                kind = .message(envelope: env, body: build(inner, b, limits, scratch), lines: lines)
            } else {
                // An encoded (RFC 2046 §5.2.1 forbids it) or too deeply nested message: its
                // structure is unknown, so it is described as an empty message.
                let empty = BodyStructure.single(SinglePart(
                    type: text, subtype: plain, parameters: [BodyParameter(name: charset, value: usASCII)],
                    encoding: sevenBit, octets: 0, kind: .text(lines: 0)))
                kind = .message(envelope: Envelope(), body: empty, lines: lines)
            }
        } else if isText {
            kind = .text(lines: lines)
        } else {
            kind = .basic
        }
        return .single(SinglePart(
            type: type, subtype: subtype, parameters: params, id: raw.id.map { unfold(b, $0) },
            description: raw.description.map { unfold(b, $0) }, encoding: encoding, octets: octets, kind: kind,
            md5: raw.md5.map { unfold(b, $0) }, disposition: disposition, language: language, location: location))
    }

    /// body-fld-lines: the line terminators in the body. The CRLF before a boundary delimiter
    /// belongs to the delimiter (RFC 2046 §5.1.1), so a last line ending there has none and is
    /// not counted; Dovecot counts the same way.
    static func terminatedLines(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Int {
        guard !r.isEmpty else { return 0 }
        return b.lineCount(r) - (b[r.upperBound - 1] == ASCII.lf ? 0 : 1)
    }

    static func disposition(_ v: UnsafeBufferPointer<UInt8>) -> BodyDisposition? {
        let (t, e) = RawMIMEValue.token(v, from: 0)
        guard !t.isEmpty else { return nil }
        return BodyDisposition(type: InternedWords.array(UnsafeBufferPointer(rebasing: v[t])), parameters: RawMIMEValue.parameters(v, from: e))
    }
}
