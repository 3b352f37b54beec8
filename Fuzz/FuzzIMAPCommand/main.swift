// libFuzzer target: the IMAP framer, command parser, set resolution and response encoder must
// survive any client input. The input is fed to the framer in chunks (sizes from the first byte),
// frames are assembled into commands as IMAPSession does, each command is parsed, sets are
// resolved against a small mailbox, and every answer is encoded and checked to be one line.
import FuzzDriver
import Frontends
import Journal
import NIOCore
import Projections

#if canImport(Glibc)
import Glibc
#endif

let box = MailboxID(rawValue: 1)
let messages = [1, 2, 5, 9].map { uid in
    MessageInfo(mailbox: box, uid: UInt32(uid), ref: MessageRef(event: UInt64(uid)), modseq: 1, flags: uid == 2 ? ["\\Seen"] : [],
                internalDate: 0, size: 10, bodySequence: UInt64(uid), headerSequence: nil)
}
let info = MailboxInfo(id: box, user: UserID(rawValue: 1), name: "INBOX", uidValidity: 3, uidNext: 10, highestModseq: 1,
                       specialUse: [], messageCount: 4)

/// A status or data response is exactly one line; the tag or text cannot smuggle a CRLF.
func check(_ response: IMAPResponse) {
    let bytes = IMAPEncoder.encode(response)
    precondition(bytes.count >= 2 && bytes[bytes.count - 2] == 13 && bytes[bytes.count - 1] == 10)
    if case .data = response { return }
    precondition(!bytes.dropLast(2).contains(10) && !bytes.dropLast(2).contains(13))
}

/// The user's mailboxes and subscriptions LIST walks (RFC 5258 RECURSIVEMATCH, CHILDINFO).
let listing = ListedMailboxes(mailboxes: ["INBOX", "Foo2/Bar1", "Entw\u{fc}rfe", "a/b/c"].map { .init(name: $0, specialUse: []) },
                             subscribed: ["Foo2/Bar1", "gone", "a/b/c/d"])

func handle(_ command: [UInt8], selected: inout SelectedMailbox, utf8Accept: inout Bool) {
    // As IMAPSession does: UTF8=ACCEPT changes the grammar once enabled (RFC 6855).
    switch IMAPParser.parse(command, utf8Accept: utf8Accept) {
    case .failure(let failure):
        check(failure.tag.map { .tagged($0, .bad, code: nil, text: failure.hint) } ?? .status(.bad, code: nil, text: failure.hint))
    case .success(let (tag, parsed)):
        var modseq = false, vanished = false
        switch parsed {
        case .select(_, _, let parameters):
            // QRESYNC's sequence match data is walked against the mailbox (RFC 7162 §3.2.5.2).
            if let q = parameters.quickResync {
                let floor = selected.sequenceMatchFloor(q)
                precondition(floor == 0 || selected.sequenceNumber(of: floor) != nil)
                vanished = true
            }
            modseq = parameters.condStore || vanished
        case .fetch(let set, _, let uid, _), .store(let set, _, let uid), .copy(let set, _, let uid), .move(let set, _, let uid):
            if let resolved = try? selected.resolve(set, uid: uid) {
                precondition(resolved.allSatisfy { $0.number >= 1 && $0.number <= selected.count })
                precondition(zip(resolved, resolved.dropFirst()).allSatisfy { $0.number < $1.number })
            }
        case .enable(let capabilities):
            if capabilities.contains("UTF8=ACCEPT") { utf8Accept = true }
        case .list(let reference, let patterns, let subscribedOnly, let specialUseOnly, let returnSubscribed, _, _, _, let recursive):
            precondition(!recursive || subscribedOnly, "RECURSIVEMATCH without SUBSCRIBED parsed")
            let options = ListedMailboxes.Options(subscribedOnly: subscribedOnly, specialUseOnly: specialUseOnly,
                                                 recursiveMatch: recursive, returnSubscribed: returnSubscribed)
            let entries = listing.entries(reference: reference, patterns: patterns, options)
            precondition(entries.allSatisfy { !$0.childInfo || recursive })
        default: break
        }
        for response in selected.synchronize(with: messages, expungeAllowed: parsed.allowsExpungeResponses,
                                             modseq: modseq, vanished: vanished) { check(response) }
        check(.tagged(tag, .ok, code: nil, text: parsed.name + " completed"))
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let chunk = Int(bytes[0] % 16) + 1
    var decoder = IMAPFrameDecoder(lineLength: 512, literalLimit: 4096)
    var selected = SelectedMailbox(info, messages: Array(messages.prefix(3)), readOnly: false)
    var utf8Accept = false
    var buffer = ByteBuffer()
    var command: [UInt8] = []
    var offset = 1
    while offset < bytes.count {
        let end = min(bytes.count, offset + chunk)
        buffer.writeBytes(bytes[offset..<end])
        offset = end
        do {
            while let frame = try decoder.decode(buffer: &buffer) {
                switch frame {
                case .line(let line, let literal):
                    command += line.readableBytesView
                    guard let literal else {
                        handle(command, selected: &selected, utf8Accept: &utf8Accept)
                        command = []
                        continue
                    }
                    if !literal.accepted {
                        command = []
                        continue
                    }
                    command += [13, 10]
                case .literalBytes(let piece):
                    command += piece.readableBytesView
                    precondition(command.count <= 4096 * 64 + 512 * 65 + 1024 * 1024)
                case .overlongLine:
                    command = []
                }
            }
        } catch {
            return 0
        }
    }
    return 0
}

runFuzzer(fuzzOne)
