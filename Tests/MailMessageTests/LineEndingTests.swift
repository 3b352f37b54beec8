import Testing
@testable import MailMessage

/// The sixteen-bytes-at-a-time line scans against plain byte loops, over random mixes of CR,
/// LF and other bytes, at lengths around the vector width and past the lane-sum flush.
@Suite struct LineEndingTests {
    static func naiveCRLF(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var previous: UInt8 = 0
        for b in bytes {
            if b == 10 && previous != 13 { out.append(13) }
            out.append(b)
            previous = b
        }
        return out
    }

    static func naiveLines(_ bytes: [UInt8]) -> Int {
        guard let last = bytes.last else { return 0 }
        return bytes.filter { $0 == 10 }.count + (last == 10 ? 0 : 1)
    }

    static func random(_ count: Int, _ alphabet: [UInt8], _ g: inout SystemRandomNumberGenerator) -> [UInt8] {
        (0..<count).map { _ in alphabet.randomElement(using: &g)! }
    }

    @Test func crlfFormEqualsAByteLoop() {
        var g = SystemRandomNumberGenerator()
        let alphabets: [[UInt8]] = [[13, 10, 10, 65, 58, 32], [65, 66, 67, 68, 69, 70, 71, 10], [13, 10, 65]]
        for round in 0..<3000 {
            let alphabet = alphabets[round % alphabets.count]
            let header = Self.random(Int.random(in: 0...40, using: &g), alphabet, &g)
            let body = Self.random(Int.random(in: 0...(round % 10 == 0 ? 9000 : 70), using: &g), alphabet, &g)
            let expected = Self.naiveCRLF(header + body)
            #expect(Message.crlfForm(header, body) == expected, "round \(round): \(header) + \(body)")
            #expect(Message(bytes: header + body).hasBareLineFeeds == (expected.count != header.count + body.count))
            #expect(Message(bytes: header + body).imapCanonical().bytes == expected)
        }
        // A CR ending the header and an LF starting the body make one CRLF.
        #expect(Message.crlfForm([13], [10]) == [13, 10])
        #expect(Message.crlfForm([], [10, 10]) == [13, 10, 13, 10])
        #expect(Message.crlfForm([], []) == [])
        let crlfOnly = Array(repeating: Array("a line of text\r\n".utf8), count: 500).flatMap { $0 }
        #expect(!Message(bytes: crlfOnly).hasBareLineFeeds)
        #expect(Message(bytes: crlfOnly + [10]).hasBareLineFeeds)
    }

    @Test func lineCountEqualsAByteLoop() {
        var g = SystemRandomNumberGenerator()
        for round in 0..<2000 {
            // Up to 17 000 bytes: more than 255 sixteen-byte steps of all-LF input, where a
            // byte lane would wrap if it were not added up in time.
            let count = round % 50 == 0 ? Int.random(in: 4080...17_000, using: &g) : Int.random(in: 0...80, using: &g)
            let alphabet: [UInt8] = round % 100 == 0 ? [10] : [10, 13, 65, 32]
            let bytes = Self.random(count, alphabet, &g)
            let from = count == 0 ? 0 : Int.random(in: 0...count, using: &g)
            let to = Int.random(in: from...count, using: &g)
            let counted = bytes.withUnsafeBufferPointer { $0.lineCount(from..<to) }
            #expect(counted == Self.naiveLines(Array(bytes[from..<to])), "round \(round): \(from)..<\(to) of \(count)")
        }
    }
}
