/// One SMTP reply, typed: the code, the RFC 3463 enhanced status code (RFC 2034; nil for the
/// greeting and the HELO/EHLO reply, which RFC 2034 §3 exempts), and its text lines.
public struct SMTPReply: Hashable, Sendable, CustomStringConvertible {
    public var code: Int
    public var enhanced: String?
    public var lines: [String]

    public init(_ code: Int, _ enhanced: String?, _ lines: [String]) {
        self.code = code
        self.enhanced = enhanced
        self.lines = lines.isEmpty ? [""] : lines
    }

    public init(_ code: Int, _ enhanced: String?, _ text: String) {
        self.init(code, enhanced, [text])
    }

    public var isPositive: Bool { code < 400 }
    public var isPermanentFailure: Bool { code >= 500 }
    public var description: String { "\(code) " + (enhanced.map { $0 + " " } ?? "") + (lines.first ?? "") }
}

/// RFC 5321 §4.2.1: a multiline reply repeats the code on every line, with "-" after it on all
/// but the last. Enhanced codes go on every line (RFC 2034 §4). Text is kept to printable ASCII
/// so nothing a client sent can break the framing of a reply.
public enum SMTPReplyEncoder {
    public static func encode(_ reply: SMTPReply) -> [UInt8] {
        var out: [UInt8] = []
        encode(reply, into: &out)
        return out
    }

    public static func encode(_ reply: SMTPReply, into out: inout [UInt8]) {
        let code = String(reply.code)
        for (index, line) in reply.lines.enumerated() {
            out.append(contentsOf: code.utf8)
            out.append(index == reply.lines.count - 1 ? UInt8(ascii: " ") : UInt8(ascii: "-"))
            if let enhanced = reply.enhanced {
                out.append(contentsOf: enhanced.utf8)
                if !line.isEmpty { out.append(UInt8(ascii: " ")) }
            }
            for b in line.utf8 { out.append(b >= 0x20 && b < 0x7F ? b : UInt8(ascii: "?")) }
            out.append(contentsOf: [0x0D, 0x0A])
        }
    }
}
