/// Content-Disposition (RFC 2183): lowercased type and decoded parameters (filename, size, dates).
public struct ContentDisposition: Hashable, Sendable {
    /// "inline", "attachment", or whatever the sender wrote, lowercased.
    public var type: String
    public var parameters: [MIMEParameter]

    public init(type: String, parameters: [MIMEParameter] = []) {
        self.type = type
        self.parameters = parameters
    }

    public var isAttachment: Bool { type == "attachment" }
    public var filename: String? { parameters[parameter: "filename"] }

    /// nil when the value has no disposition type at all.
    public static func parse(_ value: [UInt8]) -> ContentDisposition? {
        var i = ParameterParser.skipCFWS(value, 0)
        let start = i
        while i < value.count && ContentType.isTokenByte(value[i]) { i += 1 }
        // "attachment; ..." normally; "filename=x" with no type is sometimes seen: keep the params.
        if i < value.count && value[i] == ASCII.equals {
            return ContentDisposition(type: "attachment", parameters: ParameterParser.parse(value, from: start))
        }
        guard i > start else { return nil }
        let type = String.asciiLowercased(value[start..<i])
        return ContentDisposition(type: type, parameters: ParameterParser.parse(value, from: i))
    }
}
