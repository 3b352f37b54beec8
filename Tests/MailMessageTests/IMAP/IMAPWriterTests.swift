import Testing
@testable import MailMessage

@Suite struct IMAPWriterTests {
    static func written(_ s: String, utf8: Bool = false) -> String {
        var w = IMAPWriter(utf8Quoted: utf8)
        w.string(Array(s.utf8))
        return String(decoding: w.bytes, as: UTF8.self)
    }

    @Test func quotesWhatQuotedStringsCanHold() {
        #expect(Self.written("hello") == "\"hello\"")
        #expect(Self.written("") == "\"\"")
        #expect(Self.written("a \"b\" \\c") == "\"a \\\"b\\\" \\\\c\"")
    }

    @Test func literalsForCRLFNULAnd8Bit() {
        // RFC 9051 §4.3: quoted strings exclude CR and LF; §4.3.1: 8-bit only as UTF-8 in rev2.
        #expect(Self.written("a\r\nb") == "{4}\r\na\r\nb")
        #expect(Self.written("a\nb") == "{3}\r\na\nb")
        #expect(Self.written("Jörg") == "{5}\r\nJörg")
        #expect(Self.written("Jörg", utf8: true) == "\"Jörg\"")
        var w = IMAPWriter(utf8Quoted: true)
        w.string([0x4A, 0xF6, 0x72, 0x67])  // latin-1, not UTF-8
        #expect(w.bytes == Array("{4}\r\n".utf8) + [0x4A, 0xF6, 0x72, 0x67])
        var z = IMAPWriter()
        z.string([0x61, 0x00])
        #expect(z.bytes == Array("{2}\r\n".utf8) + [0x61, 0x00])
    }

    /// The word-at-a-time choice (`QuotedForm`) against the generic byte-by-byte path, for
    /// every length around the 8-byte steps and every special byte at every position, with
    /// and without readable bytes before the string.
    @Test func quotedFormMatchesTheByteByByteRule() {
        let specials: [[UInt8]] = [[0], [13], [10], [34], [92], [9], [0x7F], [0xC3, 0xA9], [0xE9], [0xFF]]
        for utf8 in [false, true] {
            for n in 0...20 {
                var cases: [[UInt8]] = [Array(repeating: 0x61, count: n)]
                for sp in specials where sp.count <= n {
                    for at in 0...(n - sp.count) {
                        var s = Array(repeating: UInt8(0x61), count: n)
                        s.replaceSubrange(at..<(at + sp.count), with: sp)
                        cases.append(s)
                    }
                }
                for s in cases {
                    var fast = IMAPWriter(utf8Quoted: utf8)
                    fast.string(s)
                    var slow = IMAPWriter(utf8Quoted: utf8)
                    slow.string(s[...])
                    #expect(fast.bytes == slow.bytes, "\(s) utf8: \(utf8)")
                    // With special bytes before the string, which the short-string load reads.
                    for before in [[UInt8](repeating: 13, count: 8), [0x22, 0x80, 0, 10, 0x5C, 0xFF, 1, 2]] {
                        let buf = before + s
                        let lead0 = s.withUnsafeBufferPointer { QuotedForm($0, utf8: utf8, lead: 0) }
                        let lead8 = buf.withUnsafeBufferPointer { QuotedForm(UnsafeBufferPointer(rebasing: $0[8...]), utf8: utf8, lead: 8) }
                        #expect(lead0 == lead8, "\(s) utf8: \(utf8)")
                    }
                }
            }
        }
    }

    @Test func numbersAndNil() {
        var w = IMAPWriter()
        w.number(0); w.space(); w.number(9); w.space(); w.number(10); w.space(); w.number(4_294_967_295)
        w.space(); w.nstring(nil); w.space(); w.literal8([0, 1])
        #expect(w.bytes == Array("0 9 10 4294967295 NIL ~{2}\r\n".utf8) + [0, 1])
    }

    @Test func utf8Validation() {
        #expect(UTF8Check.isValid(Array("Grüße €𝄞".utf8)))
        #expect(!UTF8Check.isValid([0xC0, 0x80]))  // overlong
        #expect(!UTF8Check.isValid([0xED, 0xA0, 0x80]))  // surrogate
        #expect(!UTF8Check.isValid([0xF4, 0x90, 0x80, 0x80]))  // > U+10FFFF
        #expect(!UTF8Check.isValid([0xE2, 0x82]))  // truncated
    }

    @Test func addressListsHaveNoSpaceBetweenAddresses() {
        // RFC 9051 §9: env-to = "(" 1*address ")".
        var w = IMAPWriter()
        w.addressList([EnvelopeAddress(mailbox: Array("a".utf8), host: Array("b".utf8)), .groupEnd])
        #expect(String(decoding: w.bytes, as: UTF8.self) == "((NIL NIL \"a\" \"b\")(NIL NIL NIL NIL))")
        var e = IMAPWriter()
        e.addressList([])
        #expect(String(decoding: e.bytes, as: UTF8.self) == "NIL")
    }

    /// Large literals of message bytes are left out of `bytes` (for the front-end to stream) and
    /// `wireBytes` puts them back: the same response as without deferring, for every item.
    @Test func deferredLiteralsGiveTheSameResponse() throws {
        let body = String(repeating: "a line of the body\r\n", count: 50)
        let message = Array("Subject: big\r\nContent-Type: text/plain\r\n\r\n\(body)".utf8)
        let view = IMAPMessageView(bytes: message)
        let items: [FetchItem] = [
            .rfc822, .rfc822Text, .rfc822Header, .bodySection(.whole, partial: nil, peek: true),
            .bodySection(SectionSpec(text: .text), partial: Partial(origin: 3, count: 500), peek: true),
            .binary(part: [], partial: nil, peek: true), .rfc822Size,
        ]
        for item in items {
            var plain = IMAPWriter()
            try view.write(item, into: &plain)
            var deferring = IMAPWriter()
            deferring.deferLiteralsFrom = 100
            try view.write(item, into: &deferring)
            #expect(deferring.wireBytes == plain.bytes, "\(item)")
            #expect(plain.deferred.isEmpty)
            let literalSizes = deferring.deferred.map(\.octets.count)
            #expect(literalSizes.allSatisfy { $0 >= 100 }, "\(item)")
            if item != .rfc822Size && item != .rfc822Header { #expect(!literalSizes.isEmpty, "\(item) was not deferred") }
            if let d = deferring.deferred.first { #expect(deferring.bytes[..<d.offset].suffix(3).elementsEqual("}\r\n".utf8)) }
        }
        var small = IMAPWriter()
        small.deferLiteralsFrom = 100
        small.literal(message[0..<10])
        #expect(small.deferred.isEmpty && small.bytes == Array("{10}\r\nSubject: b".utf8))
    }
}
