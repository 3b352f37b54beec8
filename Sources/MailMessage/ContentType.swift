/// Content-Type (RFC 2045 §5): lowercased type and subtype, decoded parameters.
public struct ContentType: Hashable, Sendable {
    public var type: String
    public var subtype: String
    public var parameters: [MIMEParameter]

    public init(type: String, subtype: String, parameters: [MIMEParameter] = []) {
        self.type = type
        self.subtype = subtype
        self.parameters = parameters
    }

    /// RFC 2045 §5.2: no Content-Type means `text/plain; charset=us-ascii`.
    public static let textPlainDefault = ContentType(
        type: "text", subtype: "plain", parameters: [MIMEParameter(name: "charset", value: "us-ascii")])
    /// RFC 2046 §5.1.5: in multipart/digest the default is message/rfc822.
    public static let messageRFC822Default = ContentType(type: "message", subtype: "rfc822")

    public var mimeType: String { type + "/" + subtype }
    public var isMultipart: Bool { type == "multipart" }
    /// message/rfc822 and its RFC 6532 §3.7 UTF-8 sibling message/global carry a whole message.
    public var isEncapsulatedMessage: Bool {
        type == "message" && (subtype == "rfc822" || subtype == "global")
    }
    public var charset: String? { parameters[parameter: "charset"] }
    public var boundary: String? { parameters[parameter: "boundary"] }
    public var name: String? { parameters[parameter: "name"] }

    /// Parses a field value (raw or unfolded). nil if there is no `type/subtype`.
    /// A lone `text` (no subtype) is read as text/plain, as mail programs do.
    public static func parse(_ value: [UInt8]) -> ContentType? {
        var i = ParameterParser.skipCFWS(value, 0)
        let n = value.count
        let tStart = i
        while i < n && isTokenByte(value[i]) { i += 1 }
        let tEnd = i
        i = ParameterParser.skipCFWS(value, i)
        guard tEnd > tStart else { return nil }
        let type = String.asciiLowercased(value[tStart..<tEnd])
        var subtype = ""
        if i < n && value[i] == 47 {
            i = ParameterParser.skipCFWS(value, i + 1)
            let sStart = i
            while i < n && isTokenByte(value[i]) { i += 1 }
            subtype = String.asciiLowercased(value[sStart..<i])
        }
        if subtype.isEmpty {
            guard type == "text" else { return nil }
            subtype = "plain"
        }
        // Junk before the first ';' (e.g. "text/plain charset=utf-8") is left to the parameter
        // parser, which takes any attribute=value it finds.
        let params = ParameterParser.parse(value, from: i)
        return ContentType(type: type, subtype: subtype, parameters: params)
    }

    /// RFC 2045 §5.1 token: any CHAR except SPACE, CTLs and tspecials.
    @inline(__always)
    static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case 0...32, 127, 40, 41, 60, 62, 64, 44, 59, 58, 92, 34, 47, 91, 93, 63, 61: return false
        default: return true
        }
    }
}
