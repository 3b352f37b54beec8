/// Writes the header fields Roost adds in front of a stored message (Received, Return-Path,
/// Authentication-Results, X-Spam-*). The stored bytes are never rewritten: these fields are
/// produced as bytes to prepend. Lines are folded at whitespace to stay within 78 characters
/// where the words allow and never pass 998 (RFC 5322 §2.1.1, §2.2.3).
public enum HeaderWriter {
    public enum LineEnding: Sendable {
        case crlf
        case lf

        var bytes: [UInt8] { self == .crlf ? [ASCII.cr, ASCII.lf] : [ASCII.lf] }

        /// The ending the message itself uses (bare-LF stores stay bare-LF), from its first line.
        public static func of(_ message: [UInt8]) -> LineEnding {
            guard let lf = message.firstIndex(of: ASCII.lf) else { return .crlf }
            return lf > 0 && message[lf - 1] == ASCII.cr ? .crlf : .lf
        }
    }

    /// One field, `Name: value`, folded. Segments are kept on one line when they fit; between
    /// segments the fold replaces `joiner`'s leading space (or, with an empty joiner, adds one,
    /// which is harmless where whitespace is free, e.g. after a comma in an unstructured field).
    /// CR, LF and other control characters in the input become spaces: no header injection.
    public static func field(_ name: String, segments: [String], joiner: String = " ", lineEnding: LineEnding = .crlf) -> [UInt8] {
        let j = sanitize(joiner)
        return fold(name, segments.enumerated().map { ($0.offset == 0 ? [ASCII.space] : j, $0.element) }, lineEnding: lineEnding)
    }

    /// Folds `(separator, text)` pieces after `Name:`. A fold goes where a separator is; it
    /// replaces a one-space separator, or adds the space when the separator is empty.
    static func fold(_ name: String, _ pieces: [([UInt8], String)], lineEnding: LineEnding) -> [UInt8] {
        let eol = lineEnding.bytes
        var out = sanitize(name).filter { $0 != ASCII.colon && $0 != ASCII.space }
        out.append(ASCII.colon)
        var lineLen = out.count
        var wordsOnLine = 0
        for (joiner, segment) in pieces {
            let words = sanitize(segment).split(separator: ASCII.space, omittingEmptySubsequences: true)
            for (wi, word) in words.enumerated() {
                let sep: [UInt8] = wi > 0 ? [ASCII.space] : joiner
                let fits = lineLen + sep.count + word.count <= LineLength.recommended
                // Prefer breaking between segments; inside one only when it does not fit anyway.
                let segmentFits = wi == 0
                    ? lineLen + sep.count + segmentLength(words) <= LineLength.recommended
                    : true
                if wordsOnLine > 0 && !(fits && segmentFits) {
                    out += eol
                    out.append(ASCII.space)
                    lineLen = 1
                    wordsOnLine = 0
                } else {
                    out += sep
                    lineLen += sep.count
                }
                // A single word longer than a line may be: split it hard (RFC 5322 §2.1.1 MUST).
                var rest = word[...]
                while lineLen + rest.count > LineLength.maximum {
                    let take = max(1, LineLength.maximum - lineLen)
                    out += rest.prefix(take)
                    rest = rest.dropFirst(take)
                    out += eol
                    out.append(ASCII.space)
                    lineLen = 1
                }
                out += rest
                lineLen += rest.count
                wordsOnLine += 1
            }
        }
        out += eol
        return out
    }

    /// A single-value field, folded at its spaces.
    public static func field(_ name: String, _ value: String, lineEnding: LineEnding = .crlf) -> [UInt8] {
        field(name, segments: [value], lineEnding: lineEnding)
    }

    private static func segmentLength(_ words: [ArraySlice<UInt8>]) -> Int {
        words.reduce(0) { $0 + $1.count } + max(0, words.count - 1)
    }

    private static func sanitize(_ s: String) -> [UInt8] {
        s.utf8.map { $0 < 32 || $0 == 127 ? ASCII.space : $0 }
    }

    // MARK: The fields Roost adds

    /// Received (RFC 5321 §4.4): `from … by … [via …] [with …] [id …] [for …]; date`.
    public struct Received: Hashable, Sendable {
        /// The client's EHLO/HELO name.
        public var from: String?
        /// TCP-info: reverse DNS and address, written in parentheses, e.g. `mail.example.com [192.0.2.1]`.
        public var fromInfo: String?
        public var by: String
        public var via: String?
        /// Protocol, e.g. ESMTP, ESMTPS, ESMTPSA, LMTP (RFC 3848).
        public var with: String?
        public var id: String?
        /// The single recipient, when there is one (RFC 5321 §4.4 warns against listing several).
        public var recipient: String?
        public var date: MailDate

        public init(from: String? = nil, fromInfo: String? = nil, by: String, via: String? = nil, with: String? = nil,
                    id: String? = nil, recipient: String? = nil, date: MailDate) {
            self.from = from
            self.fromInfo = fromInfo
            self.by = by
            self.via = via
            self.with = with
            self.id = id
            self.recipient = recipient
            self.date = date
        }
    }

    public static func received(_ r: Received, lineEnding: LineEnding = .crlf) -> [UInt8] {
        var segs: [String] = []
        if let from = r.from {
            segs.append("from " + from + (r.fromInfo.map { " (" + $0 + ")" } ?? ""))
        }
        segs.append("by " + r.by)
        if let via = r.via { segs.append("via " + via) }
        if let with = r.with { segs.append("with " + with) }
        if let id = r.id { segs.append("id " + id) }
        if let rcpt = r.recipient { segs.append("for <" + rcpt + ">") }
        segs[segs.count - 1] += ";"
        segs.append(r.date.rfc5322)
        return field("Received", segments: segs, lineEnding: lineEnding)
    }

    /// Return-Path (RFC 5322 §3.6.7, RFC 5321 §4.4): the envelope sender; nil for the null path `<>`.
    public static func returnPath(_ address: String?, lineEnding: LineEnding = .crlf) -> [UInt8] {
        field("Return-Path", "<" + (address ?? "") + ">", lineEnding: lineEnding)
    }

    /// One `method=result` entry of Authentication-Results (RFC 8601 §2.2).
    public struct AuthResult: Hashable, Sendable {
        public var method: String
        public var result: String
        public var reason: String?
        /// ptype.property=value pairs, e.g. ("smtp.mailfrom", "example.com"), ("header.d", "example.com").
        public var properties: [Property]

        public struct Property: Hashable, Sendable {
            public var name: String
            public var value: String
            public init(_ name: String, _ value: String) {
                self.name = name
                self.value = value
            }
        }

        public init(method: String, result: String, reason: String? = nil, properties: [Property] = []) {
            self.method = method
            self.result = result
            self.reason = reason
            self.properties = properties
        }
    }

    /// Authentication-Results (RFC 8601 §2.2): `authserv-id; resinfo; resinfo` or `authserv-id; none`.
    public static func authenticationResults(authservID: String, _ results: [AuthResult], lineEnding: LineEnding = .crlf) -> [UInt8] {
        var segs = [authservID + ";"]
        if results.isEmpty {
            segs = [authservID + "; none"]
        }
        for (i, r) in results.enumerated() {
            var s = r.method + "=" + r.result
            if let reason = r.reason { s += " reason=" + quoteIfNeeded(reason) }
            for p in r.properties { s += " " + p.name + "=" + quoteIfNeeded(p.value) }
            if i < results.count - 1 { s += ";" }
            segs.append(s)
        }
        return field("Authentication-Results", segments: segs, lineEnding: lineEnding)
    }

    /// RFC 8601 §2.2 values are `value` (RFC 2045 token or quoted-string).
    static func quoteIfNeeded(_ v: String) -> String {
        let bytes = Array(v.utf8)
        if !bytes.isEmpty && bytes.allSatisfy(ContentType.isTokenByte) && !bytes.contains(where: { $0 >= 128 }) { return v }
        var out = "\""
        for ch in v {
            if ch == "\"" || ch == "\\" { out.append("\\") }
            out.append(ch)
        }
        return out + "\""
    }

    /// The spam verdict fields in the SpamAssassin layout mail programs filter on:
    /// X-Spam-Flag, X-Spam-Score, X-Spam-Status (`Yes, score=7.1 required=5.0 tests=A,B`).
    public static func spamHeaders(isSpam: Bool, score: Double, required: Double, tests: [String], lineEnding: LineEnding = .crlf) -> [UInt8] {
        var out = field("X-Spam-Flag", isSpam ? "YES" : "NO", lineEnding: lineEnding)
        out += field("X-Spam-Score", format(score), lineEnding: lineEnding)
        let space: [UInt8] = [ASCII.space]
        var pieces: [([UInt8], String)] = [
            (space, isSpam ? "Yes," : "No,"), (space, "score=" + format(score)), (space, "required=" + format(required)),
        ]
        // The tests list folds after its commas (whitespace is free in an unstructured field).
        let names = tests.map { $0.filter { $0 != " " && $0 != "," } }.filter { !$0.isEmpty }
        if names.isEmpty {
            pieces.append((space, "tests=none"))
        } else {
            for (i, t) in names.enumerated() {
                let text = (i == 0 ? "tests=" : "") + t + (i < names.count - 1 ? "," : "")
                pieces.append((i == 0 ? space : [], text))
            }
        }
        return out + fold("X-Spam-Status", pieces, lineEnding: lineEnding)
    }

    static func format(_ v: Double) -> String {
        let tenths = (v * 10).rounded()
        let sign = tenths < 0 ? "-" : ""
        let a = abs(Int(tenths))
        return "\(sign)\(a / 10).\(a % 10)"
    }

    /// The message as a reader sees it: added fields in front of the stored bytes.
    public static func prepend(_ fields: [[UInt8]], to message: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(fields.reduce(0) { $0 + $1.count } + message.count)
        for f in fields { out += f }
        out += message
        return out
    }
}
