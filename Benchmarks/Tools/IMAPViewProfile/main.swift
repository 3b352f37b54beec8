// A plain driver for the IMAP view code paths, to count instructions under callgrind
// (repeatable on a loaded machine, unlike wall-clock). One pass = every 4–50 KiB corpus
// message once. Usage (from Benchmarks/):
//   swift build -c release --product IMAPViewProfile
//   valgrind --tool=callgrind --toggle-collect='*measured*' .build/release/IMAPViewProfile MODE [passes]
// MODE: build, wire-build, encode, wire, decode, stored. Ir ÷ (messages × passes) = instructions per
// message. `stored` is what a projection rebuild does per delivered message: the bytes as
// stored (the corpus files, LF line endings) behind a 330-byte added header, put in CRLF form,
// parsed, ENVELOPE + BODYSTRUCTURE built and cached. The digest printed covers the cached and wire forms, to check a change keeps them.
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

let args = CommandLine.arguments
let mode = args.count > 1 ? args[1] : "build"
let passes = args.count > 2 ? Int(args[2]) ?? 1 : 1
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
for k in envelopes.indices { w.envelope(envelopes[k]); w.space(); w.bodyStructure(bodies[k], extensions: true) }
for b in w.bytes { h = (h ^ UInt64(b)) &* 1099511628211 }
// The rebuild path's output (size and cached form of each stored message) too.
for body in stored {
    let view = IMAPMessageView(canonicalBytes: Message.crlfForm(addedHeader, body))
    h = (h ^ UInt64(view.rfc822Size)) &* 1099511628211
    for b in CachedViews.encode(envelope: view.envelope, body: view.bodyStructure) { h = (h ^ UInt64(b)) &* 1099511628211 }
}
print("\(messages.count) messages, mode \(mode), \(passes) passes, checksum \(sum), views digest \(String(h, radix: 16))")
