// libFuzzer target: the message parser and every lazy decoder must survive any bytes,
// in bounded time, and keep the tree's ranges inside the input and nested properly.
import FuzzDriver
import MailMessage

#if canImport(Glibc)
import Glibc
#endif

/// Ranges inside the input, headers before bodies, fields inside their header, children
/// inside their parent's body and in order.
func check(_ p: MessagePart, count: Int) {
    precondition(p.headerRange.lowerBound <= p.headerRange.upperBound && p.headerRange.upperBound <= count)
    precondition(p.bodyRange.lowerBound >= p.headerRange.upperBound && p.bodyRange.upperBound <= count)
    for f in p.fields {
        precondition(f.range.lowerBound >= p.headerRange.lowerBound && f.range.upperBound <= p.headerRange.upperBound)
        precondition(f.nameRange.upperBound <= f.valueRange.lowerBound && f.valueRange.upperBound <= f.range.upperBound)
    }
    var last = p.bodyRange.lowerBound
    for c in p.children {
        precondition(c.headerRange.lowerBound >= last && c.bodyRange.upperBound <= p.bodyRange.upperBound)
        last = c.bodyRange.upperBound
        check(c, count: count)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let m = Message(bytes: bytes)
    check(m.root, count: bytes.count)
    for field in m.fields {
        _ = m.decodedValue(of: field)
    }
    _ = m.from
    _ = m.to
    _ = m.cc
    _ = m.sender
    _ = m.date
    _ = m.messageID
    _ = m.references
    for part in m.root.allParts {
        _ = m.addresses(named: "to", in: part)
        if case .single = part.body {
            _ = m.text(of: part)
        }
        _ = part.filename
    }
    // The writer must fold anything into valid lines.
    let text = String(decoding: bytes.prefix(4096), as: UTF8.self)
    let written = HeaderWriter.field("X-Fuzz", text)
    var lineLength = 0
    for b in written {
        if b == 10 { lineLength = 0 } else { lineLength += 1 }
        precondition(lineLength <= 999)
    }
    return 0
}

runFuzzer(fuzzOne)
