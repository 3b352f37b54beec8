/// Mailbox names for IMAP4rev1 clients (RFC 3501 §5.1.3): printable ASCII as itself, "&" as
/// "&-", everything else as "&" + modified BASE64 of UTF-16BE + "-" ("," instead of "/", no
/// padding). IMAP4rev2 clients get and send UTF-8 (RFC 9051 §5.1); Roost stores UTF-8.
enum ModifiedUTF7 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,".utf8)

    static func encode(_ name: String) -> String {
        var out: [UInt8] = []
        var pending: [UInt16] = []
        func flush() {
            guard !pending.isEmpty else { return }
            var bytes: [UInt8] = []
            for unit in pending { bytes += [UInt8(unit >> 8), UInt8(unit & 0xff)] }
            out.append(UInt8(ascii: "&"))
            var i = 0
            while i < bytes.count {
                let n = min(3, bytes.count - i)
                let b0 = UInt32(bytes[i]), b1 = n > 1 ? UInt32(bytes[i + 1]) : 0, b2 = n > 2 ? UInt32(bytes[i + 2]) : 0
                let v = b0 << 16 | b1 << 8 | b2
                for k in 0..<(n + 1) { out.append(alphabet[Int((v >> (18 - 6 * UInt32(k))) & 63)]) }
                i += 3
            }
            out.append(UInt8(ascii: "-"))
            pending = []
        }
        for scalar in name.unicodeScalars {
            if scalar.value >= 0x20 && scalar.value <= 0x7e {
                flush()
                out.append(UInt8(scalar.value))
                if scalar == "&" { out.append(UInt8(ascii: "-")) }
            } else {
                pending += Array(String(scalar).utf16)
            }
        }
        flush()
        return String(decoding: out, as: UTF8.self)
    }

    /// Nil when `name` is not valid modified UTF-7 (the caller then takes it as it is).
    static func decode(_ name: String) -> String? {
        guard name.utf8.contains(UInt8(ascii: "&")) else { return name }
        let bytes = Array(name.utf8)
        var out = ""
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            guard c >= 0x20, c <= 0x7e else { return nil }
            if c != UInt8(ascii: "&") {
                out.unicodeScalars.append(Unicode.Scalar(c))
                i += 1
                continue
            }
            guard let end = bytes[(i + 1)...].firstIndex(of: UInt8(ascii: "-")) else { return nil }
            if end == i + 1 {
                out += "&"
                i = end + 1
                continue
            }
            var bits: UInt32 = 0, count = 0
            var raw: [UInt8] = []
            for b in bytes[(i + 1)..<end] {
                guard let v = alphabet.firstIndex(of: b) else { return nil }
                bits = bits << 6 | UInt32(v)
                count += 6
                if count >= 8 {
                    count -= 8
                    raw.append(UInt8((bits >> UInt32(count)) & 0xff))
                }
            }
            guard raw.count % 2 == 0, !raw.isEmpty else { return nil }
            var units: [UInt16] = []
            for k in stride(from: 0, to: raw.count, by: 2) { units.append(UInt16(raw[k]) << 8 | UInt16(raw[k + 1])) }
            var decoded = ""
            var iterator = units.makeIterator()
            var utf16 = UTF16()
            loop: while true {
                switch utf16.decode(&iterator) {
                case .scalarValue(let s):
                    // Printable ASCII must not be encoded (RFC 3501 §5.1.3).
                    if s.value >= 0x20 && s.value <= 0x7e { return nil }
                    decoded.unicodeScalars.append(s)
                case .emptyInput: break loop
                case .error: return nil
                }
            }
            out += decoded
            i = end + 1
        }
        return out
    }
}
