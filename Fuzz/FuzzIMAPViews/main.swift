// libFuzzer target for the IMAP views. The first byte picks what the rest is fed to:
//   0: a FETCH item / section spec (parse; whatever parses round-trips through its wire text)
//   1: the cached form (decode and the direct wire writer must agree; re-encoding is stable)
//   2: a message (ENVELOPE, BODYSTRUCTURE, cached round trip, every part's sections and BINARY)
import FuzzDriver
import MailMessage

#if canImport(Glibc)
import Glibc
#endif

func sectionSpec(_ b: [UInt8]) {
    if let spec = try? SectionSpec.parse(b) {
        precondition((try? SectionSpec.parse(spec.wireText)) == spec, "section round trip")
    }
    _ = try? FetchItem.parse(b)
}

func cached(_ b: [UInt8]) {
    var w = IMAPWriter()
    let wrote = (try? CachedViews.write(b, envelope: true, body: true, into: &w)) != nil
    guard let d = try? CachedViews.decode(b) else {
        precondition(!wrote && w.bytes.isEmpty, "writer accepted what decode refused")
        return
    }
    precondition(wrote, "decode accepted what the writer refused")
    var direct = IMAPWriter()
    direct.envelope(d.envelope)
    direct.space()
    direct.bodyStructure(d.body, extensions: true)
    precondition(direct.bytes == w.bytes, "wire forms differ")
    precondition(CachedViews.encode(envelope: d.envelope, body: d.body) == b, "re-encoding differs")
}

func message(_ b: [UInt8]) {
    let v = IMAPMessageView(bytes: b)
    let e = v.envelope
    let body = v.bodyStructure
    let enc = CachedViews.encode(envelope: e, body: body)
    guard let d = try? CachedViews.decode(enc) else { preconditionFailure("own cached form does not decode") }
    precondition(d.envelope == e && d.body == body, "cached round trip")
    var items: [FetchItem] = [.envelope, .bodyStructure, .body, .rfc822Size, .bodySection(.whole, partial: Partial(origin: 3, count: 7), peek: true)]
    func walk(_ parts: [MessagePart], _ prefix: [Int], depth: Int) {
        guard depth < 8 else { return }
        for (k, p) in parts.prefix(8).enumerated() {
            let num = prefix + [k + 1]
            items.append(.bodySection(SectionSpec(part: num), partial: nil, peek: true))
            items.append(.bodySection(SectionSpec(part: num, text: .mime), partial: nil, peek: true))
            items.append(.bodySection(SectionSpec(part: num, text: .headerFields([Array("subject".utf8)])), partial: nil, peek: true))
            items.append(.binarySize(part: num))
            if case .multipart(let m) = p.body { walk(m.parts, num, depth: depth + 1) }
            if case .message(let inner) = p.body { walk(inner.multipart?.parts ?? [inner], num, depth: depth + 1) }
        }
    }
    let root = v.message.root
    walk(root.multipart?.parts ?? [root], [], depth: 0)
    for item in items {
        if let r = try? v.fetchResponse(sequenceNumber: 1, items: [item]) {
            precondition(r.count >= 14, "short response")
        }
        if case .binarySize(let part) = item, let size = try? v.binarySize(part) {
            precondition((try? v.binary(part).count) == size, "BINARY.SIZE differs from BINARY")
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let rest = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    switch data[0] % 3 {
    case 0: sectionSpec(rest)
    case 1: cached(rest)
    default: message(rest)
    }
    return 0
}

runFuzzer(fuzzOne)
