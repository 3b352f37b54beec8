/// Reads RFC 5322 §3.3 date-time, the §4.3 obsolete forms (2-digit years, zone names, military
/// zones) and what real mail carries beyond them: missing commas or seconds, full month names,
/// asctime (`Wed Aug 21 12:00:00 2002`), ISO 8601 (`2002-08-21T12:00:00Z`), `+02:00`,
/// `GMT+0200`, dots in times, and zone names in comments.
public enum DateParser {
    public static func parse(_ value: [UInt8]) -> MailDate? {
        var words: [[UInt8]] = []
        var commentZone: Int?
        var cur: [UInt8] = []
        var i = 0
        let n = min(value.count, 512)
        func flush() {
            if !cur.isEmpty { words.append(cur); cur = [] }
        }
        while i < n {
            let c = value[i]
            if c == 40 {
                // A comment: only useful as a zone name, e.g. "-0000 (EST)" is not used,
                // but "12:00:00 (CEST)" with no numeric zone is.
                flush()
                var j = i + 1
                var inner: [UInt8] = []
                while j < n && value[j] != 41 { inner.append(value[j]); j += 1 }
                if commentZone == nil, let z = zoneName(inner.filter { !ASCII.isFWS($0) }) { commentZone = z.0 }
                i = j + 1
                continue
            }
            if ASCII.isFWS(c) || c == 44 {
                flush()
            } else if (c == 43 || c == ASCII.dash) && !cur.isEmpty && cur.allSatisfy(ASCII.isAlpha) {
                // "GMT+0200": split the name from the offset.
                flush()
                cur.append(c)
            } else {
                cur.append(c)
            }
            i += 1
        }
        flush()

        var year: Int?, month: Int?, day: Int?
        var hour: Int?, minute: Int?, second = 0
        var zone: Int?
        var zoneKnown = true
        var zoneFromName = false
        var pm: Bool?

        for w in words {
            if w.allSatisfy(ASCII.isDigit) {
                guard w.count <= 8 else { continue }
                let v = number(w[...])
                if w.count == 8, year == nil, month == nil {  // 20020821
                    year = v / 10_000; month = v / 100 % 100; day = v % 100
                } else if day == nil && w.count <= 2 && v >= 1 && v <= 31 && year == nil {
                    day = v
                } else if year == nil && (w.count >= 3 || day != nil) {
                    year = v
                    if w.count == 2 { year = v < 50 ? 2000 + v : 1900 + v }  // RFC 5322 §4.3
                    if w.count == 3 { year = 1900 + v }
                } else if day == nil && v >= 1 && v <= 31 {
                    day = v
                }
                continue
            }
            if (w[0] == 43 || w[0] == ASCII.dash) && w.count >= 3 && w.dropFirst().allSatisfy({ ASCII.isDigit($0) || $0 == ASCII.colon }) {
                // A numeric zone wins over a name ("GMT+0200").
                if zone == nil || zoneFromName, let z = numericZone(w) { zone = z.0; zoneKnown = z.1; zoneFromName = false }
                continue
            }
            if w.contains(ASCII.colon) || (hour == nil && w.filter({ $0 == 46 }).count == 2 && w.first.map(ASCII.isDigit) == true) {
                if w.contains(84) || w.contains(116), w.first.map(ASCII.isDigit) == true, w.contains(ASCII.dash) {
                    // ISO 8601 date and time in one word.
                    if let iso = isoDateTime(w) {
                        (year, month, day, hour, minute, second) = (iso.y, iso.m, iso.d, iso.h, iso.mi, iso.s)
                        if let z = iso.zone { zone = z.0; zoneKnown = z.1 }
                    }
                    continue
                }
                if hour == nil, let t = time(w) {
                    (hour, minute, second) = (t.h, t.m, t.s)
                    if let z = t.zone, zone == nil { zone = z.0; zoneKnown = z.1 }
                }
                continue
            }
            if w.first.map(ASCII.isDigit) == true && (w.contains(ASCII.dash) || w.contains(47)) {
                // 2002-08-21, 2002/08/21, 21-Aug-2002.
                let seps = w.split(whereSeparator: { $0 == ASCII.dash || $0 == 47 })
                if seps.count == 3 {
                    if seps[0].count == 4, seps[1].allSatisfy(ASCII.isDigit) {
                        year = number(seps[0]); month = number(seps[1]); day = number(seps[2])
                    } else if let mo = monthNumber(Array(seps[1])) {
                        day = number(seps[0]); month = mo
                        let y = number(seps[2])
                        year = seps[2].count == 2 ? (y < 50 ? 2000 + y : 1900 + y) : y
                    }
                }
                continue
            }
            if w.allSatisfy(ASCII.isAlpha) || w.last == 46 {
                let letters = w.filter(ASCII.isAlpha)
                if month == nil, let mo = monthNumber(letters) {
                    month = mo
                } else if letters.count == 2, letters.map(ASCII.lower) == [97, 109] {
                    pm = false
                } else if letters.count == 2, letters.map(ASCII.lower) == [112, 109] {
                    pm = true
                } else if zone == nil, let z = zoneName(letters) {
                    zone = z.0; zoneKnown = z.1; zoneFromName = true
                }
                continue
            }
            // "21Aug2002" and other glued forms are rare enough to give up on.
        }
        if let p = pm, var h = hour {
            if p && h < 12 { h += 12 }
            if !p && h == 12 { h = 0 }
            hour = h
        }
        guard let y = year, let mo = month, let d = day, let h = hour, let mi = minute else {
            // A date without a time of day: midnight (seen in broken mailers).
            guard let y = year, let mo = month, let d = day, hour == nil else { return nil }
            guard valid(y, mo, d, 0, 0, 0) else { return nil }
            return MailDate(year: y, month: mo, day: d, hour: 0, minute: 0, second: 0, zoneOffsetMinutes: zone ?? commentZone ?? 0, zoneKnown: zone != nil ? zoneKnown : commentZone != nil)
        }
        guard valid(y, mo, d, h, mi, second) else { return nil }
        if zone == nil, let cz = commentZone {
            zone = cz
            zoneKnown = true
        } else if zone == nil {
            zoneKnown = false
        }
        return MailDate(year: y, month: mo, day: d, hour: h, minute: mi, second: min(second, 59), zoneOffsetMinutes: zone ?? 0, zoneKnown: zoneKnown)
    }

    private static func valid(_ y: Int, _ mo: Int, _ d: Int, _ h: Int, _ mi: Int, _ s: Int) -> Bool {
        (1...12).contains(mo) && y >= 1 && y <= 9999 && d >= 1 && d <= MailDate.daysInMonth(mo, year: y)
            && (0...23).contains(h) && (0...59).contains(mi) && (0...60).contains(s)
    }

    private static func number<S: Sequence>(_ s: S) -> Int where S.Element == UInt8 {
        var v = 0
        for c in s where ASCII.isDigit(c) { v = min(v * 10 + Int(c - 48), 1_000_000_000) }
        return v
    }

    private static func monthNumber(_ letters: [UInt8]) -> Int? {
        guard letters.count >= 3 else { return nil }
        let p = letters.prefix(3).map(ASCII.lower)
        let names: [[UInt8]] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"].map { Array($0.utf8) }
        guard let idx = names.firstIndex(of: p) else { return nil }
        return idx + 1
    }

    /// hh:mm[:ss] (also with dots), possibly followed by a zone ("12:00:00+0200", "12:00Z").
    private static func time(_ w: [UInt8]) -> (h: Int, m: Int, s: Int, zone: (Int, Bool)?)? {
        var body = w[...]
        var zone: (Int, Bool)?
        if let zi = body.firstIndex(where: { $0 == 43 || $0 == ASCII.dash }) {
            zone = numericZone(Array(body[zi...]))
            body = body[..<zi]
        } else if body.last == 90 || body.last == 122 {  // Z
            zone = (0, true)
            body = body.dropLast()
        }
        let parts = body.split(whereSeparator: { $0 == ASCII.colon || $0 == 46 })
        guard parts.count >= 2, parts.allSatisfy({ !$0.isEmpty && $0.count <= 2 && $0.allSatisfy(ASCII.isDigit) }) else { return nil }
        let s = parts.count >= 3 ? number(parts[2]) : 0
        return (number(parts[0]), number(parts[1]), s, zone)
    }

    private static func isoDateTime(_ w: [UInt8]) -> (y: Int, m: Int, d: Int, h: Int, mi: Int, s: Int, zone: (Int, Bool)?)? {
        guard let t = w.firstIndex(where: { $0 == 84 || $0 == 116 }) else { return nil }
        let date = w[..<t].split(separator: ASCII.dash)
        guard date.count == 3, let tm = time(Array(w[(t + 1)...])) else { return nil }
        return (number(date[0]), number(date[1]), number(date[2]), tm.h, tm.m, tm.s, tm.zone)
    }

    /// ±hhmm, ±hh:mm or ±hh. "-0000" means "no zone information" (RFC 5322 §3.3).
    private static func numericZone(_ w: [UInt8]) -> (Int, Bool)? {
        let sign = w[0] == ASCII.dash ? -1 : 1
        let digits = w.dropFirst().filter(ASCII.isDigit)
        let hh: Int, mm: Int
        switch digits.count {
        case 4: hh = number(digits.prefix(2)); mm = number(digits.suffix(2))
        case 3: hh = number(digits.prefix(1)); mm = number(digits.suffix(2))
        case 1, 2: hh = number(digits); mm = 0
        default: return nil
        }
        guard hh <= 23, mm <= 59 else { return nil }
        if hh == 0 && mm == 0 && sign < 0 { return (0, false) }
        return (sign * (hh * 60 + mm), true)
    }

    /// RFC 5322 §4.3 obs-zone plus common abbreviations. Military letters are "-0000".
    private static func zoneName(_ letters: [UInt8]) -> (Int, Bool)? {
        let s = String.asciiLowercased(letters)
        switch s {
        case "ut", "utc", "gmt": return (0, true)
        case "est": return (-300, true)
        case "edt": return (-240, true)
        case "cst": return (-360, true)
        case "cdt": return (-300, true)
        case "mst": return (-420, true)
        case "mdt": return (-360, true)
        case "pst": return (-480, true)
        case "pdt": return (-420, true)
        case "cet", "met", "bst", "west": return (60, true)
        case "cest", "mest", "eet", "sast": return (120, true)
        case "eest", "msk": return (180, true)
        case "wet": return (0, true)
        case "jst", "kst": return (540, true)
        case "hkt", "sgt", "awst": return (480, true)
        case "aest": return (600, true)
        case "aedt": return (660, true)
        case "nzst": return (720, true)
        case "nzdt": return (780, true)
        default:
            if letters.count == 1, ASCII.isAlpha(letters[0]), ASCII.lower(letters[0]) != 106 { return (0, false) }
            return nil
        }
    }
}
