// Prints Roost's IMAP FETCH responses for message files, for scripts/compare-dovecot.sh.
//
//   imap-views FILE ITEM...        one response: `* 1 FETCH (...)` or `NO [UNKNOWN-CTE] ...`
//   imap-views --batch             reads `FILE<TAB>ITEMS` lines; answers each with a header line
//                                  `OK <n>` / `NO <n>` / `BAD <n>` and n bytes. ITEMS `PARTS`
//                                  lists the part numbers with `leaf`, `multipart` or `message`.
//   imap-views --cache FILE        writes the cached form of FILE's ENVELOPE + BODYSTRUCTURE
//                                  (used to make seeds for Fuzz/FuzzIMAPViews)
import Foundation
import MailMessage

func items(_ text: String) -> [String] {
    // Split at spaces outside brackets: `BODY[HEADER.FIELDS (A B)]` is one item.
    var out: [String] = []
    var cur = ""
    var depth = 0
    for c in text {
        if c == "[" { depth += 1 }
        if c == "]" { depth -= 1 }
        if c == " " && depth == 0 {
            if !cur.isEmpty { out.append(cur) }
            cur = ""
        } else {
            cur.append(c)
        }
    }
    if !cur.isEmpty { out.append(cur) }
    return out
}

func parts(_ view: IMAPMessageView) -> String {
    var lines: [String] = []
    func walk(_ list: [MessagePart], _ prefix: String) {
        for (k, p) in list.enumerated() {
            let num = prefix.isEmpty ? "\(k + 1)" : "\(prefix).\(k + 1)"
            switch p.body {
            case .multipart(let m):
                lines.append("\(num) multipart")
                walk(m.parts, num)
            case .message(let inner):
                lines.append("\(num) message")
                walk(inner.multipart?.parts ?? [inner], num)
            case .single:
                // An encoded or too deep message/rfc822 or multipart is neither a leaf nor opened.
                let t = p.contentType
                lines.append("\(num) \(t.isMultipart || t.isEncapsulatedMessage ? "opaque" : "leaf")")
            }
        }
    }
    let root = view.message.root
    walk(root.multipart?.parts ?? [root], "")
    return lines.map { $0 + "\n" }.joined()
}

func respond(_ path: String, _ itemText: String) -> (String, [UInt8]) {
    guard let data = FileManager.default.contents(atPath: path) else { return ("BAD", Array("cannot read \(path)".utf8)) }
    let view = IMAPMessageView(bytes: [UInt8](data))
    if itemText == "PARTS" { return ("OK", Array(parts(view).utf8)) }
    var parsed: [FetchItem] = []
    for t in items(itemText) {
        do { parsed.append(try FetchItem.parse(t)) } catch {
            return ("BAD", Array("\(t): \(error.hint) at \(error.offset)".utf8))
        }
    }
    do {
        return ("OK", try view.fetchResponse(sequenceNumber: 1, items: parsed))
    } catch {
        return ("NO", Array("NO [\(error.responseCode)] Unknown Content-Transfer-Encoding \(error.encoding)".utf8))
    }
}

let args = CommandLine.arguments
if args.count == 3 && args[1] == "--cache" {
    guard let data = FileManager.default.contents(atPath: args[2]) else { exit(1) }
    let view = IMAPMessageView(bytes: [UInt8](data))
    FileHandle.standardOutput.write(Data(CachedViews.encode(envelope: view.envelope, body: view.bodyStructure)))
} else if args.count >= 2 && args[1] == "--batch" {
    while let line = readLine(strippingNewline: true) {
        let fields = line.split(separator: "\t", maxSplits: 1).map(String.init)
        let (kind, body) = fields.count == 2 ? respond(fields[0], fields[1]) : ("BAD", Array("expected FILE<TAB>ITEMS".utf8))
        FileHandle.standardOutput.write(Data("\(kind) \(body.count)\n".utf8))
        FileHandle.standardOutput.write(Data(body))
    }
} else if args.count >= 3 {
    let (kind, body) = respond(args[1], args[2...].joined(separator: " "))
    FileHandle.standardOutput.write(Data(body))
    if kind != "OK" {
        FileHandle.standardOutput.write(Data("\n".utf8))
        exit(1)
    }
} else {
    FileHandle.standardError.write(Data("usage: imap-views FILE ITEM... | imap-views --batch\n".utf8))
    exit(2)
}
