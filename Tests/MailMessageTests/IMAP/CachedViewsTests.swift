import Foundation
import Testing
@testable import MailMessage

@Suite struct CachedViewsTests {
    static func views(_ bytes: [UInt8]) -> (Envelope, BodyStructure) {
        let v = IMAPMessageView(bytes: bytes)
        return (v.envelope, v.bodyStructure)
    }

    @Test(arguments: IMAPFixtures.names)
    func roundTripsFixtures(_ name: String) throws {
        let (e, b) = Self.views(IMAPFixtures.bytes(name))
        let enc = CachedViews.encode(envelope: e, body: b)
        let dec = try CachedViews.decode(enc)
        #expect(dec.envelope == e)
        #expect(dec.body == b)
    }

    @Test func roundTripsCorpus() throws {
        guard Corpus.isPresent else { return Corpus.reportMissing() }
        var n = 0
        for url in Corpus.messages("mime") + Corpus.messages("spam-ham").prefix(400) {
            let (e, b) = Self.views(Corpus.bytes(url))
            let enc = CachedViews.encode(envelope: e, body: b)
            let dec = try CachedViews.decode(enc)
            #expect(dec.envelope == e, "\(url.lastPathComponent)")
            #expect(dec.body == b, "\(url.lastPathComponent)")
            // The two-pass encoder writes what the plain appending writer does.
            var plain = CacheWriter()
            plain.byte(CachedViews.version)
            plain.envelope(e)
            plain.body(b)
            #expect(enc == plain.out, "\(url.lastPathComponent)")
            // The wire form straight from the cached bytes is the one written from the views.
            for utf8 in [false, true] {
                var direct = IMAPWriter(utf8Quoted: utf8)
                direct.envelope(e)
                direct.space()
                direct.bodyStructure(b, extensions: true)
                var fromCache = IMAPWriter(utf8Quoted: utf8)
                fromCache.raw("* 1 FETCH (")
                try CachedViews.write(enc, envelope: true, body: true, into: &fromCache)
                #expect(fromCache.bytes == Array("* 1 FETCH (".utf8) + direct.bytes, "\(url.lastPathComponent)")
            }
            n += 1
        }
        #expect(n > 500)
    }

    @Test func rejectsGarbageWithoutCrashing() throws {
        let (e, b) = Self.views(IMAPFixtures.bytes("message-rfc822.eml"))
        let enc = CachedViews.encode(envelope: e, body: b)
        // Every truncation fails.
        for cut in 0..<enc.count {
            #expect(throws: CachedViewsError.self) { try CachedViews.decode(Array(enc[..<cut])) }
        }
        #expect(throws: CachedViewsError.self) { try CachedViews.decode(enc + [0]) }
        var wrongVersion = enc
        wrongVersion[0] = 99
        #expect(throws: CachedViewsError.self) { try CachedViews.decode(wrongVersion) }
        // Flipped bytes and random input never crash; whatever decodes re-encodes to itself.
        var rng = SplitMix(seed: 42)
        for _ in 0..<20_000 {
            var m = enc
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                m[Int(rng.next() % UInt64(m.count))] = UInt8(truncatingIfNeeded: rng.next())
            }
            if let d = try? CachedViews.decode(m) {
                let again = try CachedViews.decode(CachedViews.encode(envelope: d.envelope, body: d.body))
                #expect(again.envelope == d.envelope && again.body == d.body)
            }
        }
        for _ in 0..<5_000 {
            let r = [CachedViews.version] + (0..<Int(rng.next() % 64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            _ = try? CachedViews.decode(r)
        }
    }

    @Test func deepNestingIsBounded() {
        // 200 nested multiparts: more than maxDepth.
        var enc: [UInt8] = [CachedViews.version]
        var w = CacheWriter()
        w.envelope(Envelope())
        enc += w.out
        for _ in 0..<200 { enc += [2, 1] }
        #expect(throws: CachedViewsError.self) { try CachedViews.decode(enc) }
        // A length far past the end.
        #expect(throws: CachedViewsError.self) { try CachedViews.decode([CachedViews.version, 0xFF, 0xFF, 0xFF, 0x7F]) }
    }
}

@Suite struct CachedWireTests {
    @Test(arguments: IMAPFixtures.names)
    func wireFromCacheEqualsWireFromViews(_ name: String) throws {
        let v = IMAPMessageView(bytes: IMAPFixtures.bytes(name))
        let (e, b) = (v.envelope, v.bodyStructure)
        let cached = CachedViews.encode(envelope: e, body: b)
        for ext in [true, false] {
            var direct = IMAPWriter()
            direct.envelope(e)
            direct.space()
            direct.bodyStructure(b, extensions: ext)
            var fromCache = IMAPWriter()
            try CachedViews.write(cached, envelope: true, body: true, extensions: ext, into: &fromCache)
            #expect(fromCache.bytes == direct.bytes, "\(name) extensions: \(ext)")
        }
        var onlyBody = IMAPWriter()
        try CachedViews.write(cached, envelope: false, body: true, into: &onlyBody)
        var direct = IMAPWriter()
        direct.bodyStructure(b, extensions: true)
        #expect(onlyBody.bytes == direct.bytes)
    }

    /// A cached form too large for the shared room of zeros takes the other way to make room.
    @Test func largeCachedFormsWriteTheSame() throws {
        var text = "Subject: "
        for k in 0..<3_000 { text += "word\(k) \"q\" " }
        text += "\r\nFrom: A <a@b.example>\r\n\r\nbody\r\n"
        let v = IMAPMessageView(bytes: Array(text.utf8))
        let cached = CachedViews.encode(envelope: v.envelope, body: v.bodyStructure)
        #expect(CacheWireFiller.bound(cached.count) > CachedViews.zeros.count)
        var direct = IMAPWriter()
        direct.envelope(v.envelope)
        direct.space()
        direct.bodyStructure(v.bodyStructure, extensions: true)
        var fromCache = IMAPWriter()
        fromCache.raw("* 1 FETCH (")
        try CachedViews.write(cached, envelope: true, body: true, into: &fromCache)
        #expect(fromCache.bytes == Array("* 1 FETCH (".utf8) + direct.bytes)
        var broken = IMAPWriter()
        broken.raw("x")
        #expect(throws: CachedViewsError.self) { try CachedViews.write(cached + [0], envelope: true, body: true, into: &broken) }
        #expect(broken.bytes == Array("x".utf8))
    }

    /// Cached forms around the 1 KiB that `encode` writes in one pass, and past it (two passes):
    /// the same bytes as the plain appending writer.
    @Test func encodeAroundTheOnePassSize() throws {
        let b = BodyStructure.single(BodyStructure.SinglePart(
            type: Array("text".utf8), subtype: Array("plain".utf8), encoding: Array("7bit".utf8), octets: 5, kind: .text(lines: 1)))
        for n in stride(from: 950, through: 1_100, by: 3) {
            var e = Envelope()
            e.subject = Array(repeating: 97, count: n)
            e.from = [EnvelopeAddress(name: Array("A".utf8), mailbox: Array("a".utf8), host: Array("b.example".utf8))]
            var w = CacheWriter()
            w.byte(CachedViews.version)
            w.envelope(e)
            w.body(b)
            let encoded = CachedViews.encode(envelope: e, body: b)
            #expect(encoded == w.out, "subject of \(n) bytes")
            #expect(try CachedViews.decode(encoded).envelope == e)
        }
    }

    /// `encode` copies short strings with overlapping word loads: every length up to 40, in
    /// every field kind, gives the plain appending writer's bytes.
    @Test func encodeCopiesStringsOfEveryLength() throws {
        for n in 0...40 {
            let s = (0..<n).map { UInt8(33 + $0 % 90) }
            var e = Envelope()
            e.subject = s
            e.from = [EnvelopeAddress(name: s, mailbox: s, host: s)]
            let b = BodyStructure.single(BodyStructure.SinglePart(
                type: s, subtype: Array("plain".utf8), parameters: [BodyParameter(name: s, value: s)], encoding: s,
                octets: n, kind: .text(lines: n), language: [s], location: s))
            var w = CacheWriter()
            w.byte(CachedViews.version)
            w.envelope(e)
            w.body(b)
            let encoded = CachedViews.encode(envelope: e, body: b)
            #expect(encoded == w.out, "\(n) bytes")
            let d = try CachedViews.decode(encoded)
            #expect(d.envelope == e && d.body == b)
        }
    }

    /// A wire form larger than the first room `write` makes (NIL-only addresses: 17 bytes from
    /// 4) is written again with room for the proven bound, the same as from the typed views.
    @Test func wireFormsOutgrowingTheFirstRoomWriteTheSame() throws {
        var e = Envelope()
        e.to = Array(repeating: EnvelopeAddress(name: nil, adl: nil, mailbox: nil, host: nil), count: 100)
        let b = BodyStructure.single(BodyStructure.SinglePart(
            type: Array("text".utf8), subtype: Array("plain".utf8), encoding: Array("7bit".utf8), octets: 0, kind: .text(lines: 0)))
        let cached = CachedViews.encode(envelope: e, body: b)
        var direct = IMAPWriter()
        direct.envelope(e)
        direct.space()
        direct.bodyStructure(b, extensions: true)
        #expect(direct.bytes.count > 2 * cached.count + 64)
        var fromCache = IMAPWriter()
        fromCache.raw("* 2 FETCH (")
        try CachedViews.write(cached, envelope: true, body: true, into: &fromCache)
        #expect(fromCache.bytes == Array("* 2 FETCH (".utf8) + direct.bytes)
        var broken = IMAPWriter()
        broken.raw("y")
        #expect(throws: CachedViewsError.self) { try CachedViews.write(cached + [0], envelope: true, body: true, into: &broken) }
        #expect(broken.bytes == Array("y".utf8))
    }

    /// `write` copies plain strings eight bytes at a time while testing them, and leaves the
    /// others to `QuotedForm`: every length up to 24 with each kind of byte at each place, as the
    /// first string of the cached form (few bytes before it), in the middle and as the last, in
    /// both quoting modes, gives what the typed writer gives.
    @Test func stringsOfEveryShapeWriteTheSame() throws {
        let special: [[UInt8]] = [[0], [9], [10], [13], [14], [31], [32], [34], [92], [0x7F], [0x80], [0xFF], [0xC3, 0xA9]]
        for n in 0...24 {
            for sp in [nil] + special.map({ Optional($0) }) {
                for at in sp == nil ? [0] : Array(0..<max(n, 1)) {
                    var s = (0..<n).map { UInt8(97 + $0 % 26) }
                    if let sp { s.replaceSubrange(min(at, s.count)..<min(at + 1, s.count), with: sp) }
                    var e = Envelope()
                    e.date = s
                    e.subject = s
                    e.from = [EnvelopeAddress(name: s, mailbox: Array("a".utf8), host: s)]
                    let b = BodyStructure.single(BodyStructure.SinglePart(
                        type: Array("text".utf8), subtype: Array("plain".utf8), encoding: Array("7bit".utf8), octets: 1,
                        kind: .text(lines: 1), location: s))
                    let cached = CachedViews.encode(envelope: e, body: b)
                    for utf8 in [false, true] {
                        var direct = IMAPWriter(utf8Quoted: utf8)
                        direct.envelope(e)
                        direct.space()
                        direct.bodyStructure(b, extensions: true)
                        var fromCache = IMAPWriter(utf8Quoted: utf8)
                        try CachedViews.write(cached, envelope: true, body: true, into: &fromCache)
                        #expect(fromCache.bytes == direct.bytes, "\(s) utf8 \(utf8)")
                    }
                }
            }
        }
    }

    @Test func garbageLeavesTheWriterUntouched() {
        let v = IMAPMessageView(bytes: IMAPFixtures.bytes("mixed-attachment.eml"))
        let enc = CachedViews.encode(envelope: v.envelope, body: v.bodyStructure)
        var rng = SplitMix(seed: 9)
        for cut in 0..<enc.count {
            var w = IMAPWriter()
            w.raw("* 1 FETCH (")
            #expect(throws: CachedViewsError.self) { try CachedViews.write(Array(enc[..<cut]), envelope: true, body: true, into: &w) }
            #expect(w.bytes == Array("* 1 FETCH (".utf8))
        }
        for _ in 0..<10_000 {
            var m = enc
            m[Int(rng.next() % UInt64(m.count))] = UInt8(truncatingIfNeeded: rng.next())
            var w = IMAPWriter()
            let ok = (try? CachedViews.write(m, envelope: true, body: true, into: &w)) != nil
            #expect(ok == ((try? CachedViews.decode(m)) != nil))
        }
    }
}
