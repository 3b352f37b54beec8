/// Content-Transfer-Encoding (RFC 2045 §6.1). Unknown values are kept (RFC 2045 §6.4 says
/// such a body is to be treated as application/octet-stream; decoding leaves it as is).
public enum TransferEncoding: Hashable, Sendable {
    case sevenBit
    case eightBit
    case binary
    case quotedPrintable
    case base64
    case other(String)

    /// The identity encodings, under which a message/rfc822 body may be parsed (RFC 2046 §5.2.1).
    public var isIdentity: Bool {
        switch self {
        case .sevenBit, .eightBit, .binary: return true
        default: return false
        }
    }

    public var name: String {
        switch self {
        case .sevenBit: return "7bit"
        case .eightBit: return "8bit"
        case .binary: return "binary"
        case .quotedPrintable: return "quoted-printable"
        case .base64: return "base64"
        case .other(let s): return s
        }
    }

    public static func parse(_ value: [UInt8]) -> TransferEncoding {
        var i = ParameterParser.skipCFWS(value, 0)
        let start = i
        while i < value.count && ContentType.isTokenByte(value[i]) { i += 1 }
        let token = String.asciiLowercased(value[start..<i])
        switch token {
        case "7bit", "": return .sevenBit
        case "8bit", "8-bit": return .eightBit
        case "binary": return .binary
        case "quoted-printable", "quotedprintable", "qp": return .quotedPrintable
        case "base64", "base-64": return .base64
        default: return .other(token)
        }
    }
}
