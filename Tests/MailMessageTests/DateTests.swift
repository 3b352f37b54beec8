import Testing
@testable import MailMessage

@Suite("Dates")
struct DateTests {
    /// input, expected "yyyy-mm-dd hh:mm:ss ±zone" (zone "?" when unknown), or nil.
    static let cases: [(String, String?)] = [
        ("Tue, 1 Jul 2003 10:52:37 +0200", "2003-07-01 10:52:37 +120"),
        ("Fri, 21 Nov 1997 09:55:06 -0600", "1997-11-21 09:55:06 -360"),
        ("21 Nov 97 09:55:06 GMT", "1997-11-21 09:55:06 +0"),  // §4.3 two-digit year, obs-zone
        ("Thu, 13 Feb 1969 23:32 -0330 (Newfoundland Time)", "1969-02-13 23:32:00 -210"),
        ("Wed, 17 May 2000 19:18:39 -0400", "2000-05-17 19:18:39 -240"),
        ("1 Jan 2020 00:00:00 -0000", "2020-01-01 00:00:00 ?"),  // §3.3 -0000: no zone info
        ("1 Jan 2020 00:00:00 EST", "2020-01-01 00:00:00 -300"),
        ("1 Jan 2020 00:00:00 A", "2020-01-01 00:00:00 ?"),  // §4.3 military: -0000
        ("1 Jan 49 00:00:00 +0000", "2049-01-01 00:00:00 +0"),
        ("1 Jan 50 00:00:00 +0000", "1950-01-01 00:00:00 +0"),
        ("1 Jan 103 00:00:00 +0000", "2003-01-01 00:00:00 +0"),  // three-digit year + 1900
        // Broken but common.
        ("Tue 1 Jul 2003 10:52:37 +0200", "2003-07-01 10:52:37 +120"),
        ("Tue, 01 July 2003 10:52 +0200", "2003-07-01 10:52:00 +120"),
        ("Wed Aug 21 12:00:00 2002", "2002-08-21 12:00:00 ?"),  // asctime
        ("Wed Aug 21 12:00:00 PDT 2002", "2002-08-21 12:00:00 -420"),
        ("2002-08-21T12:00:00Z", "2002-08-21 12:00:00 +0"),
        ("2002-08-21 12:00:00 +02:00", "2002-08-21 12:00:00 +120"),
        ("Tue, 1 Jul 2003 10:52:37 GMT+0200", "2003-07-01 10:52:37 +120"),
        ("Tue, 1 Jul 2003 10.52.37 +0200", "2003-07-01 10:52:37 +120"),
        ("Tue, 1-Jul-2003 10:52:37 +0200", "2003-07-01 10:52:37 +120"),
        ("Tue, 1 Jul 2003 10:52:37 (CEST)", "2003-07-01 10:52:37 +120"),
        ("Tue, 1 jul 2003 10:52:37 +0200", "2003-07-01 10:52:37 +120"),
        ("Tue, 1 Jul 2003 10:52:37 PM +0200", "2003-07-01 22:52:37 +120"),
        // Not dates.
        ("", nil),
        ("yesterday", nil),
        ("31 Feb 2003 10:00:00 +0000", nil),
        ("1 Jul 2003 25:00:00 +0000", nil),
    ]

    func render(_ d: MailDate) -> String {
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let z = d.zoneKnown ? (d.zoneOffsetMinutes >= 0 ? "+\(d.zoneOffsetMinutes)" : "\(d.zoneOffsetMinutes)") : "?"
        return "\(d.year)-\(two(d.month))-\(two(d.day)) \(two(d.hour)):\(two(d.minute)):\(two(d.second)) \(z)"
    }

    @Test("parsing", arguments: Self.cases)
    func parse(_ input: String, _ expected: String?) {
        #expect(DateParser.parse(Array(input.utf8)).map(render) == expected)
    }

    @Test("the instant takes the zone into account")
    func instant() {
        let a = DateParser.parse(Array("Tue, 1 Jul 2003 10:52:37 +0200".utf8))!
        let b = DateParser.parse(Array("Tue, 1 Jul 2003 08:52:37 +0000".utf8))!
        #expect(a.secondsSince1970 == b.secondsSince1970)
        #expect(a.secondsSince1970 == 1_057_049_557)
        #expect(MailDate(secondsSince1970: 0).rfc5322 == "Thu, 1 Jan 1970 00:00:00 +0000")
        #expect(MailDate(secondsSince1970: 1_057_049_557, zoneOffsetMinutes: 120).rfc5322 == "Tue, 1 Jul 2003 10:52:37 +0200")
    }

    @Test("Message.date")
    func messageDate() {
        let m = Message("Date: Wed, 17 May 2000 19:18:39 -0400\n\n")
        #expect(m.date?.secondsSince1970 == 958_605_519)
    }
}
