internal import Glibc

/// Conversion of text in a declared charset (RFC 2045 §5.1 `charset=`, RFC 2047 §2, RFC 2231 §4)
/// to Swift Strings. ASCII, UTF-8, ISO-8859-1 and windows-1252 are done here in Swift; every other
/// charset goes through the system iconv. It never fails: bad bytes become U+FFFD, and an unknown
/// charset falls back to UTF-8-or-windows-1252, with the outcome reported.
public enum Charset {
    public enum Outcome: Hashable, Sendable {
        /// Every byte was valid in the charset.
        case exact
        /// Some bytes were invalid in the charset and were replaced by U+FFFD (or, for ASCII,
        /// 8-bit bytes were read as UTF-8 / windows-1252).
        case repaired
        /// The charset is not known here or to iconv; the text was decoded by the fallback.
        case unknownCharset(String)
    }

    public struct Decoded: Hashable, Sendable {
        public var text: String
        public var outcome: Outcome
    }

    /// Decodes `bytes` written in `charset` (any case, surrounding quotes/space tolerated).
    public static func decode(_ bytes: [UInt8], charset: String) -> Decoded {
        let name = normalize(charset)
        switch name {
        case "us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us", "us", "":
            if bytes.allSatisfy({ $0 < 0x80 }) {
                return Decoded(text: String(decoding: bytes, as: UTF8.self), outcome: .exact)
            }
            // 8-bit text labelled ASCII is common (RFC 2045 §5.2 default): UTF-8 if it is, else 1252.
            return Decoded(text: fallbackText(bytes), outcome: .repaired)
        case "utf-8", "utf8", "utf-8-bom", "x-utf-8":
            return decodeUTF8(bytes)
        case "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1", "iso-ir-100", "cp819",
            "windows-1252", "cp1252", "x-cp1252", "iso_8859-1:1987", "iso-8859-15-windows":
            // Mail labelled ISO-8859-1 routinely carries windows-1252 punctuation in 0x80–0x9F,
            // and mail programs read it as 1252 (as the WHATWG Encoding standard does).
            return Decoded(text: windows1252(bytes), outcome: .exact)
        default:
            break
        }
        let target = alias(name)
        if let text = iconvDecode(bytes, from: target) {
            return text
        }
        return Decoded(text: fallbackText(bytes), outcome: .unknownCharset(name))
    }

    /// Whether `charset` can be converted (known here or to iconv).
    public static func isKnown(_ charset: String) -> Bool {
        let name = normalize(charset)
        if ["us-ascii", "ascii", "utf-8", "utf8", "iso-8859-1", "latin1", "windows-1252", "cp1252"].contains(name) {
            return true
        }
        let cd = iconv_open("UTF-8", alias(name))
        if cd == iconv_t(bitPattern: -1) { return false }
        iconv_close(cd)
        return true
    }

    static func normalize(_ charset: String) -> String {
        var s = Substring(charset)
        while let f = s.first, f == " " || f == "\"" || f == "'" || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\"" || l == "'" || l == "\t" { s = s.dropLast() }
        return String.asciiLowercased(s.utf8)
    }

    /// Labels mail programs send that iconv does not know, or knows as a smaller charset than the
    /// one actually used (the superset is what senders mean: GB2312 mail is written as GBK).
    static func alias(_ name: String) -> String {
        switch name {
        case "gb2312", "gbk", "x-gbk", "cp936", "csgb2312", "euc-cn", "gb_2312-80", "chinese": return "GB18030"
        case "ks_c_5601-1987", "ks_c_5601", "ks_c_5601-1989", "euc-kr", "csksc56011987", "korean", "ksc5601", "x-windows-949": return "CP949"
        case "shift_jis", "shift-jis", "x-sjis", "sjis", "ms_kanji", "csshiftjis", "windows-31j", "cp932", "x-ms-cp932": return "CP932"
        case "iso-2022-jp", "csiso2022jp", "iso-2022-jp-1": return "ISO-2022-JP-2"
        case "big5", "x-x-big5", "cn-big5", "csbig5", "big-5": return "BIG5-HKSCS"
        case "windows-874", "x-windows-874", "tis-620", "iso-8859-11": return "CP874"
        case "utf-7", "unicode-1-1-utf-7", "x-unicode20utf7", "csunicode11utf7": return "UTF-7"
        case "iso-8859-8-i", "iso-8859-8-e", "logical", "visual": return "ISO-8859-8"
        case "iso-8859-6-i", "iso-8859-6-e": return "ISO-8859-6"
        case "x-mac-roman", "mac", "macintosh", "x-mac": return "MACINTOSH"
        case "unicode", "ucs-2": return "UTF-16"
        case "x-euc-jp", "euc-jp", "cseucpkdfmtjapanese": return "EUC-JP"
        case "koi8r": return "KOI8-R"
        default:
            // "windows-1250" .. "windows-1258" and "cp125x" are known to glibc iconv as such.
            return name
        }
    }

    static func decodeUTF8(_ bytes: [UInt8]) -> Decoded {
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        if let s = String(validating: body, as: UTF8.self) {
            return Decoded(text: s, outcome: .exact)
        }
        return Decoded(text: String(decoding: body, as: UTF8.self), outcome: .repaired)
    }

    /// Undeclared or unknown 8-bit text: UTF-8 when it validates (RFC 6532 senders), else windows-1252.
    static func fallbackText(_ bytes: [UInt8]) -> String {
        if let s = String(validating: bytes, as: UTF8.self) { return s }
        return windows1252(bytes)
    }

    /// windows-1252 (a superset of ISO-8859-1 for text); its five undefined bytes map to the
    /// C1 controls of the same value, as ISO-8859-1 does.
    static func windows1252(_ bytes: [UInt8]) -> String {
        var scalars = String.UnicodeScalarView()
        scalars.reserveCapacity(bytes.count)
        for b in bytes {
            if b >= 0x80 && b < 0xA0 {
                let v = cp1252High[Int(b - 0x80)]
                scalars.append(Unicode.Scalar(v) ?? "\u{FFFD}")
            } else {
                scalars.append(Unicode.Scalar(b))
            }
        }
        return String(scalars)
    }

    private static let cp1252High: [UInt32] = [
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
        0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
        0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
        0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
    ]

    /// iconv to UTF-8, replacing invalid input by U+FFFD and going on. nil if iconv does not know `from`.
    static func iconvDecode(_ bytes: [UInt8], from: String) -> Decoded? {
        let cd = iconv_open("UTF-8", from)
        if cd == iconv_t(bitPattern: -1) { return nil }
        defer { iconv_close(cd) }
        var input = bytes
        var output = [UInt8](repeating: 0, count: max(64, bytes.count * 4 + 16))
        var produced = 0
        var replaced = false
        let replacement: [UInt8] = [0xEF, 0xBF, 0xBD]
        input.withUnsafeMutableBufferPointer { inBuf in
            var consumed = 0
            let total = inBuf.count
            while true {
                if output.count - produced < 16 {
                    output.append(contentsOf: repeatElement(0, count: output.count))
                }
                var inLeft = total - consumed
                var outLeft = output.count - produced
                let result: Int = output.withUnsafeMutableBufferPointer { outBuf in
                    var inPtr: UnsafeMutablePointer<CChar>? = inLeft == 0
                        ? nil
                        : UnsafeMutableRawPointer(inBuf.baseAddress! + consumed).assumingMemoryBound(to: CChar.self)
                    var outPtr: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(outBuf.baseAddress! + produced)
                        .assumingMemoryBound(to: CChar.self)
                    // With no input left this flushes the shift state (ISO-2022-JP, UTF-7).
                    return inLeft == 0
                        ? iconv(cd, nil, nil, &outPtr, &outLeft)
                        : iconv(cd, &inPtr, &inLeft, &outPtr, &outLeft)
                }
                let wasFlush = consumed == total
                consumed = total - inLeft
                produced = output.count - outLeft
                if result != -1 {
                    if wasFlush { break }
                    continue  // all input consumed; loop once more to flush
                }
                let err = errno
                if err == E2BIG { continue }
                if wasFlush { break }
                // EILSEQ (invalid byte) or EINVAL (truncated sequence at the end): replace and go on.
                replaced = true
                if output.count - produced < 3 {
                    output.append(contentsOf: repeatElement(0, count: output.count))
                }
                for r in replacement {
                    output[produced] = r
                    produced += 1
                }
                if err == EINVAL || consumed >= total {
                    consumed = total
                } else {
                    consumed += 1
                }
            }
        }
        output.removeSubrange(produced...)
        let text = String(decoding: output, as: UTF8.self)
        return Decoded(text: text, outcome: replaced ? .repaired : .exact)
    }
}
