// A plain driver for the IMAP view code paths, to count instructions under callgrind
// (repeatable on a loaded machine, unlike wall-clock). One pass = every 4–50 KiB corpus
// message once. Usage (from Benchmarks/):
//   swift build -c release --product IMAPViewProfile
//   valgrind --tool=callgrind --toggle-collect='*measured*' .build/release/IMAPViewProfile MODE [passes]
// MODE: build, wire-build, encode, wire, decode, stored. Ir ÷ (messages × passes) = instructions per
// message. `stored` is what a projection rebuild does per delivered message: the bytes as
// stored (the corpus files, LF line endings) behind a 330-byte added header, put in CRLF form,
// parsed, ENVELOPE + BODYSTRUCTURE built and cached. The digest printed covers the cached and wire forms, to check a change keeps them.
// MODE `mutate N`: no measurement; N mutated copies of every corpus header (folds, bare CR/LF,
// quotes, backslashes, comments, brackets, separators inserted at random places; fixed seed),
// each viewed as IMAPMessageView does, and one digest of all their cached and wire forms: run it
// before and after a change to the builders, the digests must be equal.
import Foundation
import MailMessage

let corpusRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/corpus")

var messages: [Message] = []
var stored: [[UInt8]] = []
for sub in ["mime", "spam-ham"] {
    let dir = corpusRoot.appendingPathComponent(sub)
    guard let e = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil) else {
        fatalError("corpus not found at \(dir.path)")
    }
    for case let url as URL in e where url.pathExtension == "eml" {
        guard let d = try? Data(contentsOf: url), d.count >= 4 * 1024, d.count <= 50 * 1024 else { continue }
        messages.append(Message(bytes: [UInt8](d)).imapCanonical())
        stored.append([UInt8](d))
    }
}
messages.sort { $0.bytes.count < $1.bytes.count }
stored.sort { $0.count < $1.count }
/// Like the Return-Path, Received and Authentication-Results fields Roost adds on delivery.
let addedHeader = Array(("Return-Path: <sender@example.org>\r\n"
    + "Received: from mail.example.org (mail.example.org [192.0.2.25])\r\n\tby mx.example.net (Roost) with ESMTPS id 0123456789abcdef\r\n\tfor <user@example.net>; Tue, 1 Dec 2026 12:00:00 +0000\r\n"
    + "Authentication-Results: mx.example.net; spf=pass smtp.mailfrom=example.org;\r\n\tdkim=none; dmarc=none header.from=example.org\r\n").utf8)

// The measured work, one function per mode so callgrind can count only it:
// valgrind --tool=callgrind --toggle-collect='*measured*' .build/release/IMAPViewProfile MODE PASSES
@inline(never)
func measuredBuild(_ messages: [Message], _ passes: Int) -> Int {
    var sum = 0
    for _ in 0..<passes {
        for m in messages {
            let e = Envelope(of: m)
            let b = BodyStructure(of: m)
            sum &+= (e.subject?.count ?? 0)
            if case .multipart = b { sum &+= 1 }
        }
    }
    return sum
}

@inline(never)
func measuredWireBuild(_ messages: [Message], _ passes: Int) -> Int {
    var sum = 0
    for _ in 0..<passes {
        for m in messages {
            var w = IMAPWriter(capacity: 1024)
            w.envelope(Envelope(of: m))
            w.space()
            w.bodyStructure(BodyStructure(of: m), extensions: true)
            sum &+= w.bytes.count
        }
    }
    return sum
}

@inline(never)
func measuredEncode(_ envelopes: [Envelope], _ bodies: [BodyStructure], _ passes: Int) -> Int {
    var sum = 0
    for _ in 0..<passes {
        for k in envelopes.indices { sum &+= CachedViews.encode(envelope: envelopes[k], body: bodies[k]).count }
    }
    return sum
}

@inline(never)
func measuredWire(_ cached: [[UInt8]], _ passes: Int) -> Int {
    var sum = 0
    var w = IMAPWriter(capacity: 4096)
    for _ in 0..<passes {
        for c in cached {
            w.bytes.removeAll(keepingCapacity: true)
            try! CachedViews.write(c, envelope: true, body: true, into: &w)
            sum &+= w.bytes.count
        }
    }
    return sum
}

@inline(never)
func measuredDecode(_ cached: [[UInt8]], _ passes: Int) -> Int {
    var sum = 0
    for _ in 0..<passes {
        for c in cached { sum &+= try! CachedViews.decode(c).envelope.subject?.count ?? 0 }
    }
    return sum
}

@inline(never)
func measuredStored(_ stored: [[UInt8]], _ passes: Int) -> Int {
    var sum = 0
    for _ in 0..<passes {
        for body in stored {
            let view = IMAPMessageView(canonicalBytes: Message.crlfForm(addedHeader, body))
            sum &+= view.rfc822Size &+ CachedViews.encode(envelope: view.envelope, body: view.bodyStructure).count
        }
    }
    return sum
}

/// A fixed-seed generator (SplitMix64), so `mutate` gives the same inputs on every run.
struct SplitMix {
    var s: UInt64
    mutating func next() -> UInt64 {
        s &+= 0x9E37_79B9_7F4A_7C15
        var z = s
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

/// The header (and first 2 KiB of body) of `m` with a few edits where address and MIME
/// parsers look hardest: folding, bare line ends, quoting, comments, separators, 8-bit.
func mutated(_ m: [UInt8], _ g: inout SplitMix) -> [UInt8] {
    var b = Array(m.prefix(min(m.count, 24 * 1024)))
    let pieces: [[UInt8]] = ["\r\n ", "\r\n\t", "\r", "\n", "\"", "\\", "(", ")", "<", ">", "[", "]", ",", ";", ":",
                             "@", " ", "=", "*", "'", "\u{00e9}", "\r\n", "=?utf-8?q?x?=", "\"a\\\"b\"", "(c (d) \\))",
                             "*0*", "*1", "\t", "\0", "\u{7f}", ".", "/"].map { Array($0.utf8) }
    let edits = 1 + g.below(6)
    for _ in 0..<edits where !b.isEmpty {
        // Mostly inside the header block: the first blank line, or the whole prefix.
        var headerEnd = b.count
        if b.count > 2 { for k in 0..<(b.count - 2) where b[k] == 10 && (b[k + 1] == 10 || (b[k + 1] == 13 && b[k + 2] == 10)) { headerEnd = k; break } }
        let at = g.below(4) == 0 ? g.below(b.count) : g.below(max(headerEnd, 1))
        switch g.below(8) {
        case 0: b.remove(at: at)
        case 1: b[at] = UInt8(truncatingIfNeeded: g.next())
        default: b.insert(contentsOf: pieces[g.below(pieces.count)], at: at)
        }
    }
    return b
}

@inline(never)
func mutationDigest(_ stored: [[UInt8]], _ copies: Int) -> (inputs: Int, digest: UInt64) {
    var g = SplitMix(s: 20261201)
    var h: UInt64 = 14695981039346656037
    var inputs = 0
    for body in stored {
        for _ in 0..<copies {
            let v = IMAPMessageView(bytes: mutated(body, &g))
            let env = v.envelope, bs = v.bodyStructure
            let c = CachedViews.encode(envelope: env, body: bs)
            var w = IMAPWriter(utf8Quoted: g.below(2) == 0)
            w.envelope(env)
            w.space()
            w.bodyStructure(bs, extensions: true)
            var direct = IMAPWriter(utf8Quoted: w.utf8Quoted)
            try! CachedViews.write(c, envelope: true, body: true, into: &direct)
            precondition(direct.bytes == w.bytes, "cached wire form differs from the typed one")
            for x in c { h = (h ^ UInt64(x)) &* 1099511628211 }
            for x in w.bytes { h = (h ^ UInt64(x)) &* 1099511628211 }
            inputs += 1
        }
    }
    return (inputs, h)
}

let args = CommandLine.arguments
let mode = args.count > 1 ? args[1] : "build"
let passes = args.count > 2 ? Int(args[2]) ?? 1 : 1
if mode == "mutate" {
    let (n, d) = mutationDigest(stored, passes)
    print("\(n) mutated messages, mutation digest \(String(d, radix: 16))")
    exit(0)
}
let envelopes = messages.map { Envelope(of: $0) }
let bodies = messages.map { BodyStructure(of: $0) }
let cached = envelopes.indices.map { CachedViews.encode(envelope: envelopes[$0], body: bodies[$0]) }
let sum: Int
switch mode {
case "build": sum = measuredBuild(messages, passes)
case "wire-build": sum = measuredWireBuild(messages, passes)
case "encode": sum = measuredEncode(envelopes, bodies, passes)
case "wire": sum = measuredWire(cached, passes)
case "decode": sum = measuredDecode(cached, passes)
case "stored": sum = measuredStored(stored, passes)
default: fatalError("mode: build | wire-build | encode | wire | decode | stored")
}
// A digest of the outputs, to check that a change leaves them as they were.
var h: UInt64 = 14695981039346656037
for c in cached { for b in c { h = (h ^ UInt64(b)) &* 1099511628211 } }
var w = IMAPWriter(capacity: 1 << 20)
for k in envelopes.indices {
    let mark = w.bytes.count
    w.envelope(envelopes[k]); w.space(); w.bodyStructure(bodies[k], extensions: true)
    // The cached → wire path (`wire`) must write the same bytes as the typed views.
    var direct = IMAPWriter()
    try! CachedViews.write(cached[k], envelope: true, body: true, into: &direct)
    precondition(direct.bytes[...] == w.bytes[mark...], "cached wire form differs from the typed one")
}
for b in w.bytes { h = (h ^ UInt64(b)) &* 1099511628211 }
// The rebuild path's output (size and cached form of each stored message) too.
for body in stored {
    let view = IMAPMessageView(canonicalBytes: Message.crlfForm(addedHeader, body))
    h = (h ^ UInt64(view.rfc822Size)) &* 1099511628211
    for b in CachedViews.encode(envelope: view.envelope, body: view.bodyStructure) { h = (h ^ UInt64(b)) &* 1099511628211 }
}
print("\(messages.count) messages, mode \(mode), \(passes) passes, checksum \(sum), views digest \(String(h, radix: 16))")
