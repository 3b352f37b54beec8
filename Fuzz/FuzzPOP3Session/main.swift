// libFuzzer target: the POP3 command parser, session state machine and encoder must survive
// any client input. Each input is split into lines (as the framer would) and fed to a session
// whose effects succeed with a small canned maildrop; every reply is encoded and checked. The
// input is also RETR content for the piecewise stuffer.
import FuzzDriver
import Frontends
import Journal
import Projections

#if canImport(Glibc)
import Glibc
#endif

let inbox = MailboxID(rawValue: 1)
let maildrop = POP3Maildrop(user: UserID(rawValue: 1), mailbox: inbox, uidValidity: 7, messages: (1...3).map { uid in
    MessageInfo(mailbox: inbox, uid: UInt32(uid), ref: MessageRef(event: UInt64(uid)), modseq: 1, flags: [],
                internalDate: 0, size: uid * 10, bodySequence: UInt64(uid), headerSequence: nil)
})
let content = Array("Subject: x\r\n\r\n.dot\r\nline\r\n..\r\nend".utf8)

/// A single-line reply is one line of at most 512 octets (RFC 2449 §4); a multi-line reply ends
/// with the terminator and has no bare "." line before it.
func check(_ response: POP3Response) {
    let bytes = POP3Encoder.encode(response)
    let lines = bytes.split(separator: 10, omittingEmptySubsequences: false).dropLast()
    precondition(bytes.last == 10 && lines.allSatisfy { $0.last == 13 })
    switch response {
    case .ok, .err, .challenge:
        precondition(lines.count == 1 && bytes.count <= 512)
    case .lines, .content:
        precondition(Array(lines.last!) == [0x2E, 0x0D])
        precondition(lines.dropLast().dropFirst().allSatisfy { Array($0) != [0x2E, 0x0D] })
    }
}

/// RETR's piecewise stuffer gives what the whole-message encoder gives, however the stored bytes
/// are cut (here at places the input itself picks), and `crlfCount` is the CRLF form's size.
func checkStuffer(_ stored: [UInt8]) {
    var stuffer = POP3ContentStuffer()
    var out: [UInt8] = []
    var at = 0
    var cut = 1
    while at < stored.count {
        let end = min(at + cut, stored.count)
        stuffer.append(stored[at..<end], into: &out)
        cut = Int(stored[at] % 7) + 1
        at = end
    }
    stuffer.finish(into: &out)
    let crlf = POP3Encoder.crlf(stored)
    precondition(out == Array(POP3Encoder.encode(.content("", crlf)).dropFirst(5)))
    precondition(POP3Encoder.crlfCount(stored) == crlf.count)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    checkStuffer(bytes)
    var session = POP3Session(environment: .init(tlsActive: bytes.first.map { $0 & 1 == 0 } ?? true,
                                                 startTLSAvailable: true, plaintextAllowed: false))
    for line in bytes.split(separator: 10) {
        var line = Array(line)
        if line.last == 13 { line.removeLast() }
        var pending = session.command(POP3CommandParser.parse(line))
        var steps = 0
        while !pending.isEmpty {
            steps += 1
            precondition(steps < 16)
            switch pending.removeFirst() {
            case .reply(let response):
                check(response)
            case .startTLS(let response):
                check(response)
                pending += session.tlsStarted()
            case .close: return 0
            case .authenticate, .authenticateSASL: pending += session.authenticationFinished(.success(account: "a"))
            case .openMaildrop: pending += session.maildropOpened(.opened(maildrop))
            case .retrieve(_, _, let lines):
                check(.content("x", lines.map { POP3Encoder.top(content, lines: $0) } ?? content))
            case .expunge(_, let messages): pending += session.deletionsCommitted(true, count: messages.count)
            case .releaseMaildrop: break
            }
        }
    }
    return 0
}

runFuzzer(fuzzOne)
