/// A date-time from a Date (or Resent-Date, Received) field: the local wall-clock fields as
/// written and the zone offset, which together give the instant.
public struct MailDate: Hashable, Sendable {
    public var year: Int
    public var month: Int
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int
    /// Minutes east of UTC.
    public var zoneOffsetMinutes: Int
    /// False for "-0000", military or missing zones (RFC 5322 §3.3, §4.3): the time is then
    /// taken as UTC with no claim about the sender's local zone.
    public var zoneKnown: Bool

    public init(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, zoneOffsetMinutes: Int, zoneKnown: Bool = true) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
        self.zoneOffsetMinutes = zoneOffsetMinutes
        self.zoneKnown = zoneKnown
    }

    /// The instant as seconds since 1970-01-01T00:00:00Z.
    public var secondsSince1970: Int64 {
        let days = Self.daysFromCivil(year: year, month: month, day: day)
        let local = days * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        return local - Int64(zoneOffsetMinutes * 60)
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func daysInMonth(_ month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// RFC 5322 format: `Tue, 1 Jul 2003 10:52:37 +0200`.
    public var rfc5322: String {
        let days = Self.daysFromCivil(year: year, month: month, day: day)
        let weekday = Int(((days % 7) + 10) % 7)  // 1970-01-01 was a Thursday (index 3)
        let names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let off = abs(zoneOffsetMinutes)
        let sign = zoneOffsetMinutes < 0 || !zoneKnown ? "-" : "+"
        return "\(names[weekday]), \(day) \(months[month - 1]) \(year) \(two(hour)):\(two(minute)):\(two(second)) \(sign)\(two(off / 60))\(two(off % 60))"
    }

    /// Builds a date from seconds since 1970 in the given zone.
    public init(secondsSince1970 t: Int64, zoneOffsetMinutes: Int = 0) {
        let local = t + Int64(zoneOffsetMinutes * 60)
        var days = local / 86_400
        var secs = local % 86_400
        if secs < 0 { secs += 86_400; days -= 1 }
        // Inverse of daysFromCivil.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        self.init(
            year: Int(y), month: Int(m), day: Int(d),
            hour: Int(secs / 3600), minute: Int(secs % 3600 / 60), second: Int(secs % 60),
            zoneOffsetMinutes: zoneOffsetMinutes)
    }
}
