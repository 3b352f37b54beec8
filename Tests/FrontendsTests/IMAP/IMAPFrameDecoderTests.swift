import NIOCore
import Testing
@testable import Frontends

/// The IMAP framer alone: lines, literals of each kind, bounds, and chunking invariance.
@Suite struct IMAPFrameDecoderTests {
    /// Frames in a normalised form: literal pieces joined, so chunking does not matter.
    enum Piece: Equatable {
        case line(String, IMAPLiteralHeader?)
        case literal(String)
        case overlong(String)
    }

    func frames(_ input: String, chunk: Int? = nil, decoder: IMAPFrameDecoder = IMAPFrameDecoder()) throws -> [Piece] {
        var d = decoder
        var buffer = ByteBuffer()
        var out: [Piece] = []
        let bytes = Array(input.utf8)
        let step = chunk ?? bytes.count
        var offset = 0
        repeat {
            let end = min(bytes.count, offset + max(step, 1))
            buffer.writeBytes(bytes[offset..<end])
            offset = end
            while let frame = try d.decode(buffer: &buffer) {
                switch frame {
                case .line(let b, let h): out.append(.line(String(buffer: b), h))
                case .literalBytes(let b):
                    if case .literal(let s) = out.last { out[out.count - 1] = .literal(s + String(buffer: b)) } else { out.append(.literal(String(buffer: b))) }
                case .overlongLine(let b): out.append(.overlong(String(buffer: b)))
                }
            }
        } while offset < bytes.count
        return out
    }

    @Test func linesAndLiterals() throws {
        let input = "a LOGIN {5}\r\nalice {6+}\r\nsecret\r\nb NOOP\r\nc APPEND INBOX ~{3}\r\nxyz\r\nd X {0}\r\n\r\n"
        let expected: [Piece] = [
            .line("a LOGIN {5}", IMAPLiteralHeader(size: 5, synchronizing: true, binary: false, accepted: true)),
            .literal("alice"),
            .line(" {6+}", IMAPLiteralHeader(size: 6, synchronizing: false, binary: false, accepted: true)),
            .literal("secret"),
            .line("", nil),
            .line("b NOOP", nil),
            .line("c APPEND INBOX ~{3}", IMAPLiteralHeader(size: 3, synchronizing: true, binary: true, accepted: true)),
            .literal("xyz"),
            .line("", nil),
            .line("d X {0}", IMAPLiteralHeader(size: 0, synchronizing: true, binary: false, accepted: true)),
            .line("", nil),
        ]
        #expect(try frames(input) == expected)
        // One byte at a time and in odd chunks: the same frames.
        for chunk in [1, 2, 3, 7, 13] { #expect(try frames(input, chunk: chunk) == expected) }
    }

    @Test func aLiteralMayContainCRLFAndBraces() throws {
        let f = try frames("a APPEND x {12}\r\n{3}\r\nab\r\n}\r\n\r\n")
        #expect(f == [.line("a APPEND x {12}", .init(size: 12, synchronizing: true, binary: false, accepted: true)),
                      .literal("{3}\r\nab\r\n}\r\n"), .line("", nil)])
    }

    @Test func braceNotAtTheEndIsNoLiteral() throws {
        #expect(try frames("a LOGIN \"{3}\" x\r\n") == [.line("a LOGIN \"{3}\" x", nil)])
        #expect(try frames("a X {}\r\n") == [.line("a X {}", nil)])
        #expect(try frames("a X {12345678901234}\r\n") == [.line("a X {12345678901234}", nil)])
    }

    @Test func oversizedSynchronizingLiteralIsRefusedAndNoBytesAreAwaited() throws {
        let d = IMAPFrameDecoder(lineLength: 100, literalLimit: 10)
        let f = try frames("a APPEND INBOX {11}\r\nb NOOP\r\n", decoder: d)
        #expect(f == [.line("a APPEND INBOX {11}", .init(size: 11, synchronizing: true, binary: false, accepted: false)), .line("b NOOP", nil)])
    }

    @Test func oversizedNonSynchronizingLiteralEndsTheConnection() {
        let d = IMAPFrameDecoder(lineLength: 100, literalLimit: 10)
        #expect(throws: IMAPFrameDecoder.Failure.self) { try frames("a APPEND INBOX {11+}\r\n", decoder: d) }
    }

    @Test func overlongLinesAreDroppedAndReported() throws {
        let d = IMAPFrameDecoder(lineLength: 100, literalLimit: 10)
        let long = "t1 NOOP " + String(repeating: "x", count: 500)
        for chunk in [nil, 1, 64] {
            let f = try frames(long + "\r\nb NOOP\r\n", chunk: chunk, decoder: d)
            #expect(f.count == 2)
            guard case .overlong(let start) = f.first else { Issue.record("no overlong frame: \(f)"); continue }
            #expect(start.hasPrefix("t1 NOOP"))
            #expect(f.last == .line("b NOOP", nil))
        }
    }

    @Test func bareLineFeedIsRefused() {
        #expect(throws: IMAPFrameDecoder.Failure.self) { try frames("a NOOP\n") }
    }

    @Test func tooManyLiteralsInOneCommand() {
        let input = String(repeating: "a {1}\r\nx", count: IMAPLimits.literalsPerCommand + 1) + "\r\n"
        #expect(throws: IMAPFrameDecoder.Failure.self) { try frames(input) }
    }

    @Test func truncatedInputGivesNoFrame() throws {
        #expect(try frames("a NOOP").isEmpty)
        #expect(try frames("a LOGIN {5}\r\nal") == [.line("a LOGIN {5}", .init(size: 5, synchronizing: true, binary: false, accepted: true)), .literal("al")])
    }
}
