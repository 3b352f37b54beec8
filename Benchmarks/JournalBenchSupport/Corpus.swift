// Message text for the journal benchmarks: the shared mail corpus, read at run time (never copied
// into the repository), or a deterministic generated text when the corpus is absent.
import Foundation

public enum Corpus {
    /// `<repo>/../shared/corpus`, found from this file's path (`<repo>/Benchmarks/JournalBenchSupport/`);
    /// `ROOST_CORPUS` overrides it.
    public static let directory: String = {
        if let override = ProcessInfo.processInfo.environment["ROOST_CORPUS"], !override.isEmpty { return override }
        let repo = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // JournalBenchSupport
            .deletingLastPathComponent()  // Benchmarks
            .deletingLastPathComponent()  // <repo>
        return repo.path + "/../shared/corpus"
    }()

    /// The raw messages (`*.eml`) under `directory/subfolder`, recursively, sorted by path; empty if absent.
    public static func messages(_ subfolder: String) -> [[UInt8]] {
        let root = directory + "/" + subfolder
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
        var paths: [String] = []
        while let relative = walker.nextObject() as? String {
            if relative.hasSuffix(".eml") { paths.append(root + "/" + relative) }
        }
        return paths.sorted().compactMap { path in
            FileManager.default.contents(atPath: path).map { [UInt8]($0) }
        }
    }

    /// Every corpus message (mime/ then spam-ham/), or generated text if there is none.
    public static let allMessages: [[UInt8]] = {
        let found = messages("mime") + messages("spam-ham")
        return found.isEmpty ? GeneratedMail.messages(count: 2000) : found
    }()

    public static var isGenerated: Bool { messages("spam-ham").isEmpty && messages("mime").isEmpty }

    /// All messages end to end, in a fixed shuffled order (so that any stretch of it mixes both
    /// folders rather than starting with mime/'s very compressible stress cases): the stream
    /// fixed-size payloads are cut from.
    public static let stream: [UInt8] = {
        let all = allMessages
        let order = all.indices.sorted { ($0 &* 2_654_435_761) % 4_294_967_291 < ($1 &* 2_654_435_761) % 4_294_967_291 }
        return order.flatMap { all[$0] }
    }()

    /// `count` payloads of exactly `size` bytes, consecutive windows of the message stream (cycling),
    /// so they compress like mail does, not like zeros or random bytes.
    public static func payloads(size: Int, count: Int) -> [[UInt8]] {
        let text = stream
        precondition(text.count > size, "message stream shorter than one payload")
        var result: [[UInt8]] = []
        result.reserveCapacity(count)
        var offset = 0
        for _ in 0..<count {
            if offset + size > text.count { offset = 0 }
            result.append(Array(text[offset..<offset + size]))
            offset += size
        }
        return result
    }

    /// Whole messages of `minimum ... maximum` bytes (the replay mix), in corpus order.
    public static func messages(sized range: ClosedRange<Int>) -> [[UInt8]] {
        let chosen = allMessages.filter { range.contains($0.count) }
        return chosen.isEmpty ? GeneratedMail.messages(count: 500, sizes: range) : chosen
    }
}

/// Deterministic mail-like text (headers, words, line breaks) for when the corpus is missing.
public enum GeneratedMail {
    static let words = """
        the of and to a in is you that it he was for on are as with his they I at be this have from or one had \
        by word but not what all were we when your can said there use an each which she do how their if will up \
        other about out many then them these so some her would make like him into time has look two more write go \
        see number no way could people my than first water been call who oil its now find long down day did get \
        come made may part meeting invoice shipment account password attached please regards thanks report review \
        schedule project deadline server message mailbox delivery unsubscribe offer free click here limited
        """.split(separator: " ").map { Array($0.utf8) }

    public static func messages(count: Int, sizes: ClosedRange<Int> = 2_000...60_000) -> [[UInt8]] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state >> 33
        }
        return (0..<count).map { n in
            let target = sizes.lowerBound + Int(next() % UInt64(sizes.count))
            var m = Array("""
                Return-Path: <sender\(n)@example.org>\nReceived: from mx\(n % 7).example.org (mx.example.org [192.0.2.\(n % 250)])\n\
                \tby mail.example.net with ESMTPS id \(next()); Tue, 3 Jun 2025 10:\(n % 60):00 +0000\n\
                From: Sender \(n) <sender\(n)@example.org>\nTo: user\(n % 13)@example.net\nSubject: Message \(n)\n\
                Message-ID: <\(next()).\(n)@example.org>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n
                """.utf8)
            var column = 0
            while m.count < target {
                let w = words[Int(next() % UInt64(words.count))]
                m.append(contentsOf: w)
                column += w.count + 1
                if column > 70 { m.append(10); column = 0 } else { m.append(32) }
            }
            return m
        }
    }
}
