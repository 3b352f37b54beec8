import NIOCore
import Testing
@testable import Frontends

/// The SMTP framer on its own: commands, DATA with its end and its smuggling defence, BDAT
/// chunks, bounds; fed whole and byte by byte.
@Suite struct SMTPFrameDecoderTests {
    /// Feeds `chunks` (answering DATA lines with `dataFollows`) and describes every frame.
    static func frames(_ chunks: [[UInt8]], dataFollows: Bool = true) throws -> [String] {
        var processor = NIOSingleStepByteToMessageProcessor(SMTPFrameDecoder())
        var out: [String] = []
        for chunk in chunks {
            try processor.process(buffer: ByteBuffer(bytes: chunk)) { frame in
                switch frame.kind {
                case .command(let line): out.append("cmd " + String(buffer: line))
                case .bareLineFeedCommand: out.append("bare-lf-cmd")
                case .commandTooLong: out.append("too-long")
                case .data(let bytes, let v): out.append("data " + String(buffer: bytes) + (v.isEmpty ? "" : " !\(v.rawValue)"))
                case .dataEnd: out.append("end")
                case .chunk(let bytes): out.append("chunk " + String(buffer: bytes))
                }
                frame.control?.dataFollows(dataFollows)
            }
        }
        return out
    }

    static let session = Array("EHLO x\r\nMAIL FROM:<a@b.c>\r\nDATA\r\nline 1\r\n..dotted\r\n.\r\nQUIT\r\n".utf8)

    @Test func commandsDataAndEnd() throws {
        #expect(try Self.frames([Self.session]) == [
            "cmd EHLO x", "cmd MAIL FROM:<a@b.c>", "cmd DATA", "data line 1\r\n.dotted\r\n", "end", "cmd QUIT",
        ])
    }

    @Test func byteAtATimeGivesTheSameMessage() throws {
        let frames = try Self.frames(Self.session.map { [$0] })
        let data = frames.filter { $0.hasPrefix("data ") }.map { $0.dropFirst(5) }.joined()
        #expect(data == "line 1\r\n.dotted\r\n")
        #expect(frames.filter { !$0.hasPrefix("data ") } == ["cmd EHLO x", "cmd MAIL FROM:<a@b.c>", "cmd DATA", "end", "cmd QUIT"])
    }

    @Test func refusedDataLeavesCommandMode() throws {
        let input = Array("DATA\r\nBDAT 3\r\nabcRSET\r\n".utf8)
        #expect(try Self.frames([input], dataFollows: false) == ["cmd DATA", "cmd BDAT 3", "chunk abc", "cmd RSET"])
    }

    @Test func dataWaitsForTheDecision() throws {
        // Until the session decides, bytes after DATA stay unread; the next read continues.
        var processor = NIOSingleStepByteToMessageProcessor(SMTPFrameDecoder())
        var control: SMTPFramingControl?
        var out: [String] = []
        try processor.process(buffer: ByteBuffer(string: "DATA\r\nx\r\n")) { frame in
            control = frame.control
            out.append("\(frame.kind)")
        }
        #expect(out.count == 1)
        control?.dataFollows(true)
        try processor.process(buffer: ByteBuffer(string: ".\r\n")) { frame in
            if case .data(let b, _) = frame.kind { out.append("data " + String(buffer: b)) }
            if case .dataEnd = frame.kind { out.append("end") }
        }
        #expect(out.dropFirst() == ["data x\r\n", "end"])
    }

    @Test func smugglingAttemptsDoNotEndDataAndAreFlagged() throws {
        // "\n.\n", "\n.\r\n" and "\r\n.\n" are not the end of data; each line ending is flagged.
        for smuggled in ["a\n.\nMAIL FROM:<x@y.z>\r\n", "a\n.\r\nMAIL FROM:<x@y.z>\r\n", "a\r\n.\nMAIL FROM:<x@y.z>\r\n", "a\r.\r\nb\r\n"] {
            let frames = try Self.frames([Array(("DATA\r\n" + smuggled + ".\r\nQUIT\r\n").utf8)])
            #expect(frames.first == "cmd DATA")
            #expect(frames.suffix(2) == ["end", "cmd QUIT"], "\(smuggled.debugDescription): \(frames)")
            #expect(frames.contains { $0.contains(" !") }, "\(smuggled.debugDescription) flagged")
            #expect(!frames.contains("cmd MAIL FROM:<x@y.z>"))
        }
    }

    @Test func bdatChunksAreFramedByCountNotByLines() throws {
        let input = Array("BDAT 7\r\nDATA\r\n\nBDAT 0 LAST\r\nNOOP\r\n".utf8)
        #expect(try Self.frames([input]) == ["cmd BDAT 7", "chunk DATA\r\n\n", "cmd BDAT 0 LAST", "cmd NOOP"])
        let split = try Self.frames(input.map { [$0] })
        #expect(split.filter { $0.hasPrefix("chunk ") }.map { $0.dropFirst(6) }.joined() == "DATA\r\n\n")
        #expect(split.filter { !$0.hasPrefix("chunk ") } == ["cmd BDAT 7", "cmd BDAT 0 LAST", "cmd NOOP"])
    }

    @Test func oversizedLinesAreReportedOnceAndDiscarded() throws {
        let long = [UInt8](repeating: UInt8(ascii: "a"), count: SMTPLimits.lineLength + 10)
        #expect(try Self.frames([long, long, Array("\r\nNOOP\r\n".utf8)]) == ["too-long", "cmd NOOP"])
        let dataLong = [UInt8](repeating: UInt8(ascii: "b"), count: SMTPLimits.dataLineLength + 10)
        let frames = try Self.frames([Array("DATA\r\nok\r\n".utf8), dataLong, Array("\r\n.\r\n".utf8)])
        #expect(frames.first == "cmd DATA")
        #expect(frames.contains { $0.hasSuffix("!\(SMTPDataViolations.lineTooLong.rawValue)") })
        #expect(frames.last == "end")
    }

    @Test func bareLineFeedCommandsAreNotCommands() throws {
        #expect(try Self.frames([Array("NOOP\nQUIT\r\n".utf8)]) == ["bare-lf-cmd", "cmd QUIT"])
    }
}
