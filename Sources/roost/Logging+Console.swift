import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// One line per event, readable at 2 a.m.: `2026-12-01T07:00:00.123Z info roost: message key=value`.
/// With `format = "json"`, one JSON object per line instead.
struct ConsoleLogHandler: LogHandler {
    let label: String
    let json: Bool
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let time = Self.timestamp()
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        let line: String
        if json {
            var object: [String: String] = ["time": time, "level": event.level.rawValue, "logger": label, "message": "\(event.message)"]
            for (k, v) in all { object[k] = "\(v)" }
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
            line = String(decoding: data, as: UTF8.self)
        } else {
            let fields = all.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.quoteIfNeeded("\($0.value)"))" }
            line = ([time, event.level.rawValue, label + ":", "\(event.message)"] + fields).joined(separator: " ")
        }
        var bytes = Array((line + "\n").utf8)
        // One write(2) per line, so lines from several threads never interleave.
        bytes.withUnsafeMutableBytes { raw in
            var rest = UnsafeMutableRawBufferPointer(rebasing: raw[...])
            while !rest.isEmpty {
                let n = Glibc.write(2, rest.baseAddress, rest.count)
                if n < 0 { if errno == EINTR { continue }; return }
                rest = UnsafeMutableRawBufferPointer(rebasing: rest[n...])
            }
        }
    }

    /// `2026-12-01T07:00:00.123Z` (RFC 3339, UTC, milliseconds) from the clock, by hand:
    /// Foundation's ISO8601DateFormatter goes through ICU, which cost more per line than the
    /// rest of the line, and is not safe to share between threads.
    static func timestamp() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var seconds = ts.tv_sec
        var t = tm()
        gmtime_r(&seconds, &t)
        return timestamp(year: Int(t.tm_year) + 1900, month: Int(t.tm_mon) + 1, day: Int(t.tm_mday),
                         hour: Int(t.tm_hour), minute: Int(t.tm_min), second: Int(t.tm_sec), millisecond: Int(ts.tv_nsec) / 1_000_000)
    }

    static func timestamp(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, millisecond: Int) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(24)
        func digits(_ value: Int, _ count: Int) {
            var divisor = 1
            for _ in 1..<count { divisor *= 10 }
            var v = value
            for _ in 0..<count {
                out.append(UInt8(ascii: "0") + UInt8(v / divisor % 10))
                v %= divisor
                divisor /= 10
            }
        }
        digits(year, 4); out.append(UInt8(ascii: "-")); digits(month, 2); out.append(UInt8(ascii: "-")); digits(day, 2)
        out.append(UInt8(ascii: "T")); digits(hour, 2); out.append(UInt8(ascii: ":")); digits(minute, 2)
        out.append(UInt8(ascii: ":")); digits(second, 2); out.append(UInt8(ascii: ".")); digits(millisecond, 3)
        out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }

    /// A value as `key=value` shows it: quoted when empty or when it holds a space, a quote or a
    /// control character; inside quotes `"` and `\\` are escaped and control characters are written
    /// as `\\n`, `\\r`, `\\t` or `\\xHH`, so that no value can start a line of its own. Byte by
    /// byte: Foundation's `contains` and `replacingOccurrences` cost more than the rest of the line.
    static func quoteIfNeeded(_ s: String) -> String {
        let utf8 = s.utf8
        guard utf8.isEmpty || utf8.contains(where: { $0 == 0x20 || $0 == 0x22 || $0 < 0x20 || $0 == 0x7F }) else { return s }
        var out: [UInt8] = [0x22]
        out.reserveCapacity(utf8.count + 2)
        let hex = Array("0123456789abcdef".utf8)
        for byte in utf8 {
            switch byte {
            case 0x22, 0x5C: out += [0x5C, byte]
            case 0x0A: out += [0x5C, UInt8(ascii: "n")]
            case 0x0D: out += [0x5C, UInt8(ascii: "r")]
            case 0x09: out += [0x5C, UInt8(ascii: "t")]
            case ..<0x20, 0x7F: out += [0x5C, UInt8(ascii: "x"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            default: out.append(byte)
            }
        }
        out.append(0x22)
        return String(decoding: out, as: UTF8.self)
    }
}

enum RoostLogging {
    static func bootstrap(level: String, format: Configuration.Logging.Format) {
        let parsed = Logger.Level(rawValue: level) ?? .info
        LoggingSystem.bootstrap { label in ConsoleLogHandler(label: label, json: format == .json, logLevel: parsed) }
    }
}
