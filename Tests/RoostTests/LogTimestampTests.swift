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
