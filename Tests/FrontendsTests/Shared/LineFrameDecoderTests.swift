import NIOCore
import Testing
@testable import Frontends

@Suite struct LineFrameDecoderTests {
    func decode(_ chunks: [String], decoder: LineFrameDecoder) throws -> [String] {
        let processor = NIOSingleStepByteToMessageProcessor(decoder)
        var lines: [String] = []
        for chunk in chunks {
            try processor.process(buffer: ByteBuffer(string: chunk)) { lines.append(String(buffer: $0)) }
        }
        return lines
    }

    @Test func splitsOnCRLF() throws {
        let decoder = LineFrameDecoder(maximumLength: 100)
        #expect(try decode(["EHLO a\r\nNOOP\r\n\r\nQU", "IT\r\n"], decoder: decoder) == ["EHLO a", "NOOP", "", "QUIT"])
    }

    /// Byte-at-a-time and random chunking give the same lines.
    @Test func chunkingInvariance() throws {
        let input = "A1 LOGIN x y\r\nA2 NOOP\r\n" + String(repeating: "z", count: 99) + "\r\nlast\r\n"
        let whole = try decode([input], decoder: LineFrameDecoder(maximumLength: 100))
        let bytes = input.map(String.init)
        #expect(try decode(bytes, decoder: LineFrameDecoder(maximumLength: 100)) == whole)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20 {
            var chunks: [String] = []
            var rest = Substring(input)
            while !rest.isEmpty {
                let n = Int.random(in: 1...7, using: &generator)
                chunks.append(String(rest.prefix(n)))
                rest = rest.dropFirst(n)
            }
            #expect(try decode(chunks, decoder: LineFrameDecoder(maximumLength: 100)) == whole)
        }
    }

    @Test func bareLineFeed() throws {
        #expect(throws: LineFrameDecoder.Failure(kind: .bareLineFeed)) {
            try decode(["NOOP\n"], decoder: LineFrameDecoder(maximumLength: 100))
        }
        #expect(try decode(["NOOP\nQUIT\r\n"], decoder: LineFrameDecoder(maximumLength: 100, acceptsBareLineFeed: true)) == ["NOOP", "QUIT"])
    }

    @Test func bounds() throws {
        let exact = String(repeating: "x", count: 10)
        #expect(try decode([exact + "\r\n"], decoder: LineFrameDecoder(maximumLength: 10)) == [exact])
        #expect(throws: LineFrameDecoder.Failure(kind: .lineTooLong)) {
            try decode([exact + "x\r\n"], decoder: LineFrameDecoder(maximumLength: 10))
        }
        // Without a terminator in sight, fails as soon as the line cannot fit.
        #expect(throws: LineFrameDecoder.Failure(kind: .lineTooLong)) {
            try decode([String(repeating: "x", count: 80_000)], decoder: LineFrameDecoder(maximumLength: 1000))
        }
    }
}
