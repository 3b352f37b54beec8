/// BODYSTRUCTURE and BODY (RFC 9051 §7.5.2, §9 `body`): the MIME tree as IMAP describes it.
///
/// Strings are the header bytes as sent (case kept, nothing decoded) since clients match and
/// decode them themselves. Sizes and line counts are of the part's body in its transfer
/// encoding, as served (CRLF line endings, see `Message.imapCanonical()`).
///
/// Not `indirect`: the one recursive case, `Kind.message`, is boxed, so building and walking a
/// structure does not allocate and copy a box per part.
public enum BodyStructure: Hashable, Sendable {
    case single(SinglePart)
    case multipart(MultipartPart)

    /// A non-multipart part: `body-type-basic`, `body-type-text` or `body-type-msg`.
    public struct SinglePart: Hashable, Sendable {
        public var type: [UInt8]
        public var subtype: [UInt8]
        /// body-fld-param; empty is NIL.
        public var parameters: [BodyParameter]
        public var id: [UInt8]?
        public var description: [UInt8]?
        public var encoding: [UInt8]
        public var octets: Int
        public var kind: Kind
        // body-ext-1part (BODYSTRUCTURE only)
        public var md5: [UInt8]?
        public var disposition: BodyDisposition?
        /// body-fld-lang; empty is NIL.
        public var language: [[UInt8]]
        public var location: [UInt8]?

        public init(
            type: [UInt8], subtype: [UInt8], parameters: [BodyParameter] = [], id: [UInt8]? = nil,
            description: [UInt8]? = nil, encoding: [UInt8], octets: Int, kind: Kind, md5: [UInt8]? = nil,
            disposition: BodyDisposition? = nil, language: [[UInt8]] = [], location: [UInt8]? = nil
        ) {
            self.type = type
            self.subtype = subtype
            self.parameters = parameters
            self.id = id
            self.description = description
            self.encoding = encoding
            self.octets = octets
            self.kind = kind
            self.md5 = md5
            self.disposition = disposition
            self.language = language
            self.location = location
        }
    }

    public enum Kind: Hashable, Sendable {
        case basic
        /// text/*: body-fld-lines.
        case text(lines: Int)
        /// message/rfc822 and message/global: the encapsulated message.
        indirect case message(envelope: Envelope, body: BodyStructure, lines: Int)
    }

    /// `body-type-mpart`.
    public struct MultipartPart: Hashable, Sendable {
        public var parts: [BodyStructure]
        public var subtype: [UInt8]
        // body-ext-mpart (BODYSTRUCTURE only)
        public var parameters: [BodyParameter]
        public var disposition: BodyDisposition?
        public var language: [[UInt8]]
        public var location: [UInt8]?

        public init(
            parts: [BodyStructure], subtype: [UInt8], parameters: [BodyParameter] = [],
            disposition: BodyDisposition? = nil, language: [[UInt8]] = [], location: [UInt8]? = nil
        ) {
            self.parts = parts
            self.subtype = subtype
            self.parameters = parameters
            self.disposition = disposition
            self.language = language
            self.location = location
        }
    }
}

/// One attribute/value pair of body-fld-param.
public struct BodyParameter: Hashable, Sendable {
    public var name: [UInt8]
    public var value: [UInt8]

    public init(name: [UInt8], value: [UInt8]) {
        self.name = name
        self.value = value
    }

    public init(_ name: String, _ value: String) {
        self.init(name: Array(name.utf8), value: Array(value.utf8))
    }
}

/// body-fld-dsp: `"(" string SP body-fld-param ")"`.
public struct BodyDisposition: Hashable, Sendable {
    public var type: [UInt8]
    public var parameters: [BodyParameter]

    public init(type: [UInt8], parameters: [BodyParameter] = []) {
        self.type = type
        self.parameters = parameters
    }
}

extension IMAPWriter {
    /// `body` (RFC 9051 §9). `extensions` false gives the BODY form, true the BODYSTRUCTURE form
    /// with body-ext-1part / body-ext-mpart (MD5, disposition, language, location).
    public mutating func bodyStructure(_ b: BodyStructure, extensions: Bool) {
        open()
        switch b {
        case .single(let s):
            string(s.type)
            space()
            string(s.subtype)
            space()
            parameters(s.parameters)
            space()
            nstring(s.id)
            space()
            nstring(s.description)
            space()
            string(s.encoding)
            space()
            number(s.octets)
            switch s.kind {
            case .basic:
                break
            case .text(let lines):
                space()
                number(lines)
            case .message(let env, let body, let lines):
                space()
                envelope(env)
                space()
                bodyStructure(body, extensions: extensions)
                space()
                number(lines)
            }
            if extensions {
                space()
                nstring(s.md5)
                space()
                disposition(s.disposition)
                space()
                language(s.language)
                space()
                nstring(s.location)
            }
        case .multipart(let m):
            // `1*body SP media-subtype`: the parts follow each other with no space between.
            for p in m.parts { bodyStructure(p, extensions: extensions) }
            space()
            string(m.subtype)
            if extensions {
                space()
                parameters(m.parameters)
                space()
                disposition(m.disposition)
                space()
                language(m.language)
                space()
                nstring(m.location)
            }
        }
        close()
    }

    mutating func parameters(_ ps: [BodyParameter]) {
        guard !ps.isEmpty else { return nilValue() }
        open()
        for (k, p) in ps.enumerated() {
            if k > 0 { space() }
            string(p.name)
            space()
            string(p.value)
        }
        close()
    }

    mutating func disposition(_ d: BodyDisposition?) {
        guard let d else { return nilValue() }
        open()
        string(d.type)
        space()
        parameters(d.parameters)
        close()
    }

    /// body-fld-lang: a list of strings (Dovecot and most servers always send the list form).
    mutating func language(_ tags: [[UInt8]]) {
        guard !tags.isEmpty else { return nilValue() }
        open()
        for (k, t) in tags.enumerated() {
            if k > 0 { space() }
            string(t)
        }
        close()
    }
}
