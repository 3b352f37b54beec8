import Foundation
import MailMessage
import Testing
@testable import Frontends

/// Header keys answered from the cached ENVELOPE must agree with the same keys answered from the
/// parsed message (what SEARCH did before, and still does when there is no cache).
@Suite struct SearchEnvelopeTests {
    static let fixtures: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path + "/MailMessageTests/IMAP/Fixtures"
    }()

    func words(_ text: String) -> [String] {
        text.split(whereSeparator: { !$0.isLetter && !$0.isNumber && $0 != "@" && $0 != "." }).map(String.init).filter { $0.count >= 3 }
    }

    @Test func envelopeAnswersAsTheMessageDoes() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.fixtures).filter { $0.hasSuffix(".eml") }.sorted()
        #expect(names.count >= 10)
        var checked = 0
        for name in names {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "/" + name)))
            let message = Message(bytes: bytes)
            let view = IMAPMessageView(message)
            let envelope = try #require(SearchEnvelope(cached: CachedViews.encode(envelope: view.envelope, body: view.bodyStructure)))
            // SUBJECT: the first Subject field's decoded text.
            let subject = message.fields(named: "subject").first.map { message.decodedValue(of: $0) }
            for w in words(subject ?? "") + ["zz-not-there"] {
                #expect(envelope.subjectContains(w.lowercased()) == SearchContext.contains(subject ?? "", w), "\(name) SUBJECT \(w)")
                checked += 1
            }
            #expect(envelope.subjectContains("") == (subject != nil), "\(name) SUBJECT \"\"")
            // FROM / TO / CC: every word of the decoded field is found; a made-up one is not.
            for (field, list) in [("from", envelope.envelope.from), ("to", envelope.envelope.to), ("cc", envelope.envelope.cc)] {
                guard let value = message.fields(named: field).first.map({ message.decodedValue(of: $0) }) else {
                    #expect(!envelope.addressesContain(list, "a"), "\(name) \(field) absent")
                    continue
                }
                for w in words(value) where !w.contains("\"") {
                    #expect(envelope.addressesContain(list, w), "\(name) \(field.uppercased()) \(w) in \(value)")
                    checked += 1
                }
                #expect(!envelope.addressesContain(list, "zz-not-there"))
            }
            #expect(envelope.sentDay == message.date.map { Cursor.daysSinceEpoch(year: $0.year, month: $0.month, day: $0.day) }, "\(name) Date")
        }
        #expect(checked > 30)
        #expect(SearchEnvelope(cached: nil) == nil && SearchEnvelope(cached: [1, 2, 3]) == nil)
    }
}
