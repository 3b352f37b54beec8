import Foundation
import Testing
@testable import MailMessage

@Suite("Shared corpus")
struct CorpusTests {
    /// Every message parses, keeps the tree invariants, and every lazy decoder runs, in bounded time.
    @Test("every corpus message parses", arguments: ["mime", "spam-ham"])
    func parsesAll(_ set: String) {
        guard Corpus.isPresent else { return Corpus.reportMissing() }
        let files = Corpus.messages(set)
        #expect(!files.isEmpty)
        let clock = ContinuousClock()
        var slowest: (Duration, String) = (.zero, "")
        for url in files {
            let bytes = Corpus.bytes(url)
            let start = clock.now
            let m = Message(bytes: bytes)
            let problems = checkInvariants(m)
            #expect(problems.isEmpty, "\(url.lastPathComponent): \(problems)")
            _ = m.subject
            _ = m.from
            _ = m.to
            _ = m.date
            for p in m.root.allParts {
                if case .single = p.body { _ = m.text(of: p) }
            }
            let took = clock.now - start
            if took > slowest.0 { slowest = (took, url.lastPathComponent) }
        }
        // Generous even for a debug build; a quadratic path on the 1 MB stress messages would blow it.
        #expect(slowest.0 < .seconds(5), "slowest: \(slowest.1) \(slowest.0)")
    }

    /// Messages the corpus taught something specific, checked in detail.
    @Test("deep nesting stress message (MimeKit stack-overflow) is bounded")
    func deepNesting() {
        guard Corpus.isPresent else { return Corpus.reportMissing() }
        let url = Corpus.root.appendingPathComponent("mime/mimekit-messages-stack-overflow.eml")
        let m = Message(bytes: Corpus.bytes(url))
        var depth = 0
        var p = m.root
        while let c = p.children.first { p = c; depth += 1 }
        #expect(depth <= Limits.default.maxDepth)
        #expect(checkInvariants(m).isEmpty)
    }

    @Test("LF-only spam-ham messages have headers and bodies")
    func spamHamShapes() {
        guard Corpus.isPresent else { return Corpus.reportMissing() }
        var withoutFrom = 0
        let files = Corpus.messages("spam-ham")
        for url in files {
            let m = Message(bytes: Corpus.bytes(url))
            if m.from.isEmpty { withoutFrom += 1 }
            #expect(!m.fields.isEmpty, "\(url.lastPathComponent) has no header fields")
        }
        // A handful of spam has no usable From; nearly everything must.
        #expect(withoutFrom * 100 < files.count)
    }
}
