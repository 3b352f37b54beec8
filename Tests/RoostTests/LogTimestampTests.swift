import Foundation
import Testing
@testable import roost

/// The console log's hand-made RFC 3339 timestamps (Foundation's formatter was too costly per line).
@Suite struct LogTimestampTests {
    @Test func fieldsArePaddedAndInOrder() {
        #expect(ConsoleLogHandler.timestamp(year: 2026, month: 12, day: 1, hour: 7, minute: 0, second: 5, millisecond: 3)
            == "2026-12-01T07:00:05.003Z")
        #expect(ConsoleLogHandler.timestamp(year: 999, month: 1, day: 31, hour: 23, minute: 59, second: 60, millisecond: 999)
            == "0999-01-31T23:59:60.999Z")
    }

    @Test func clockTimestampParsesBackToNow() throws {
        let before = Date().timeIntervalSince1970
        let text = ConsoleLogHandler.timestamp()
        let after = Date().timeIntervalSince1970
        let parser = ISO8601DateFormatter()
        parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let parsed = try #require(parser.date(from: text)).timeIntervalSince1970
        #expect(text.count == 24)
        #expect(parsed >= before - 0.002 && parsed <= after + 0.002)
    }
}

/// How the console log writes a metadata value.
@Suite struct LogValueQuotingTests {
    @Test func plainValuesStayAsTheyAre() {
        #expect(ConsoleLogHandler.quoteIfNeeded("alice@example.org") == "alice@example.org")
        #expect(ConsoleLogHandler.quoteIfNeeded("naïve") == "naïve")
        #expect(ConsoleLogHandler.quoteIfNeeded("a\\b") == "a\\b")
    }

    @Test func spacesQuotesAndEmptyValuesAreQuoted() {
        #expect(ConsoleLogHandler.quoteIfNeeded("") == "\"\"")
        #expect(ConsoleLogHandler.quoteIfNeeded("accept (trusted network)") == "\"accept (trusted network)\"")
        #expect(ConsoleLogHandler.quoteIfNeeded("say \"hi\"") == "\"say \\\"hi\\\"\"")
        #expect(ConsoleLogHandler.quoteIfNeeded("x\"y") == "\"x\\\"y\"")
    }

    /// A value holding a line break cannot make a log line of its own.
    @Test func controlCharactersAreEscaped() {
        let forged = ConsoleLogHandler.quoteIfNeeded("bob\r\n2026-12-01T00:00:00.000Z info roost: authenticated\u{1B}\u{7F}\t")
        #expect(!forged.utf8.contains { $0 < 0x20 || $0 == 0x7F })
        #expect(forged == "\"bob\\r\\n2026-12-01T00:00:00.000Z info roost: authenticated\\x1b\\x7f\\t\"")
    }
}
