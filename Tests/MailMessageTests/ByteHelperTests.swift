import Testing
@testable import MailMessage

/// The word-at-a-time byte helpers against their byte-by-byte definitions.
@Suite struct ByteHelperTests {
    static let names: [StaticString] = [
        "to", "cc", "bcc", "date", "from", "sender", "subject", "reply-to", "message-id", "in-reply-to",
        "content-id", "content-md5", "content-type", "content-location", "content-language",
        "content-description", "content-disposition", "content-transfer-encoding",
    ]

    static func byteByByte(_ b: [UInt8], _ lit: StaticString) -> Bool {
        b.count == lit.utf8CodeUnitCount && zip(b, UnsafeBufferPointer(start: lit.utf8Start, count: lit.utf8CodeUnitCount)).allSatisfy { ASCII.lower($0) == $1 }
    }

    /// Every name in random case, and with each byte changed to its 0x20 partner, to a byte that
    /// differs in another bit, and to CR (which `| 0x20` would take for '-'), at every offset.
    @Test func equalsLowercaseIsTheByteRule() {
        var g = SystemRandomNumberGenerator()
        for lit in Self.names {
            let base = Array(UnsafeBufferPointer(start: lit.utf8Start, count: lit.utf8CodeUnitCount))
            var candidates: [[UInt8]] = [base, base.map { Bool.random(using: &g) ? ($0 >= 97 && $0 <= 122 ? $0 - 32 : $0) : $0 }]
            for k in base.indices {
                for change: UInt8 in [0x20, 0x01, 0x40, 0x80] {
                    var c = base
                    c[k] ^= change
                    candidates.append(c)
                }
                var cr = base
                cr[k] = 13
                candidates.append(cr)
            }
            candidates.append(base + [97])
            candidates.append(Array(base.dropLast()))
            for c in candidates {
                for pad in 0..<3 {
                    let bytes = [UInt8](repeating: 58, count: pad) + c + [58, 32]
                    let got = bytes.withUnsafeBufferPointer { $0.equalsLowercase(pad..<(pad + c.count), lit) }
                    #expect(got == Self.byteByByte(c, lit), "\(c) against \(lit)")
                }
            }
        }
    }

    /// `firstLineEnding` is the first CR or LF at or after `from`, for every range of short
    /// random lines.
    @Test func firstLineEndingIsTheFirstCROrLF() {
        var g = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = [13, 10, 97, 32, 9, 0x8D, 0x8A, 12, 14]
        for _ in 0..<300 {
            let bytes = (0..<Int.random(in: 0...40, using: &g)).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &g)] }
            bytes.withUnsafeBufferPointer { p in
                for from in 0...bytes.count {
                    let to = Int.random(in: from...bytes.count, using: &g)
                    let expected = bytes[from..<to].firstIndex { $0 == 13 || $0 == 10 } ?? to
                    if let base = p.baseAddress {
                        #expect(firstLineEnding(base, from: from, to: to) == expected, "\(bytes[from..<to])")
                    }
                }
            }
        }
    }
}
