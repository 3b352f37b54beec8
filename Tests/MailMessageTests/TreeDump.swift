@testable import MailMessage

/// A compact, readable rendering of a MIME tree for fixture expectations:
/// one line per part, indented by depth: `type/subtype [defects]`.
func treeShape(_ m: Message) -> String {
    var lines: [String] = []
    func walk(_ p: MessagePart, _ depth: Int) {
        var s = String(repeating: "  ", count: depth) + p.contentType.mimeType
        if !p.defects.isEmpty {
            s += " " + p.defects.map(defectName).sorted().joined(separator: ",")
        }
        lines.append(s)
        for c in p.children { walk(c, depth + 1) }
    }
    walk(m.root, 0)
    return lines.joined(separator: "\n")
}

func defectName(_ d: Defect) -> String {
    switch d {
    case .headerLineWithoutColon: return "!colon"
    case .missingHeaderBodySeparator: return "!separator"
    case .tooManyHeaderFields: return "!fields"
    case .headerLineTooLong: return "!longline"
    case .multipartWithoutBoundary: return "!boundary"
    case .missingCloseDelimiter: return "!close"
    case .noBoundaryFound: return "!delimiter"
    case .nestingTooDeep: return "!depth"
    case .tooManyParts: return "!parts"
    case .encodedMessagePart: return "!encodedmessage"
    case .invalidContentType: return "!contenttype"
    }
}

/// Bytes of a part's body as a String (for short ASCII fixtures).
func bodyText(_ m: Message, _ p: MessagePart) -> String {
    String(decoding: m.rawBody(of: p), as: UTF8.self)
}

func crlf(_ s: String) -> String {
    s.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\r\n")
}

/// Walks the tree checking the invariants every parse must keep, whatever the input:
/// ranges inside the message, headers before bodies, children inside their parent's body.
func checkInvariants(_ m: Message) -> [String] {
    var problems: [String] = []
    let n = m.bytes.count
    func walk(_ p: MessagePart, _ outer: Range<Int>) {
        if p.headerRange.lowerBound < outer.lowerBound || p.headerRange.upperBound > n { problems.append("header out of range \(p.headerRange)") }
        if p.bodyRange.lowerBound < p.headerRange.upperBound { problems.append("body before header end \(p.bodyRange) \(p.headerRange)") }
        if p.bodyRange.upperBound > n { problems.append("body out of range") }
        for f in p.fields where !(p.headerRange.contains(f.range.lowerBound) && f.range.upperBound <= p.headerRange.upperBound) {
            problems.append("field outside header \(f.range)")
        }
        var last = p.bodyRange.lowerBound
        for c in p.children {
            if c.headerRange.lowerBound < last { problems.append("child overlaps \(c.headerRange) < \(last)") }
            if c.bodyRange.upperBound > p.bodyRange.upperBound { problems.append("child past parent \(c.bodyRange) \(p.bodyRange)") }
            last = c.bodyRange.upperBound
            walk(c, p.bodyRange)
        }
    }
    walk(m.root, 0..<n)
    return problems
}
