// libFuzzer target: the SMTP framer, command parser, session state machine and reply encoder
// must survive any client input. The input is fed in chunks whose sizes come from its first
// bytes (so framing across reads is exercised); every reply must be well-formed CRLF lines.
import FuzzDriver
import Frontends

#if canImport(Glibc)
import Glibc
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 1 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var dialogue = SMTPDialogue(role: bytes[0] & 1 == 0 ? .mx : .submission, maximumMessageSize: 4096)
    let step = Int(bytes[1] % 64) + 1
    var offset = 2
    while offset < bytes.count && !dialogue.closed {
        let end = min(bytes.count, offset + step)
        dialogue.receive(Array(bytes[offset..<end]))
        offset = end
    }
    // Replies: "ddd" then " " or "-", text without CR or LF, then CRLF.
    for line in dialogue.replies.split(separator: 10, omittingEmptySubsequences: false).dropLast() {
        precondition(line.count >= 5 && line.last == 13, "malformed reply line")
        let code = line.prefix(3)
        precondition(code.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }, "reply code")
        precondition(line[line.startIndex + 3] == 0x20 || line[line.startIndex + 3] == 0x2D, "reply separator")
        precondition(!line.dropLast().contains(13), "CR inside a reply")
    }
    precondition(dialogue.replies.last == 10)
    for message in dialogue.delivered { precondition(message.count <= 4096, "message over the size limit delivered") }
    return 0
}

runFuzzer(fuzzOne)
