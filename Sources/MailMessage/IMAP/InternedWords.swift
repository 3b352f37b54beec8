/// Shared arrays for the words most parts of most messages repeat (`text`, `plain`, `charset`,
/// `us-ascii`, `7bit`, ...), so building the views does not allocate one array per word. The
/// match is byte for byte (case kept): what comes back has the same bytes as what went in.
enum InternedWords {
    static let text = Array("text".utf8)
    static let plain = Array("plain".utf8)
    static let html = Array("html".utf8)
    static let charset = Array("charset".utf8)
    static let usASCII = Array("us-ascii".utf8)
    static let sevenBit = Array("7bit".utf8)
    static let message = Array("message".utf8)
    static let rfc822 = Array("rfc822".utf8)

    static let words: [[UInt8]] = [text, plain, html, charset, usASCII, sevenBit, message, rfc822] + [
        "multipart", "mixed", "alternative", "related", "report", "signed",
        "application", "octet-stream", "pdf", "image", "jpeg", "png", "gif",
        "8bit", "base64", "quoted-printable", "binary", "7BIT", "8BIT",
        "boundary", "name", "filename", "format", "flowed", "delsp", "type",
        "utf-8", "UTF-8", "iso-8859-1", "ISO-8859-1", "US-ASCII", "windows-1252",
        "inline", "attachment", "Text", "Plain", "TEXT", "PLAIN",
    ].map { Array($0.utf8) }

    /// Where each word sits: two slots per bucket of `bucket(count, first, last)`, -1 empty.
    /// The word list is fixed, so a third word in one bucket is a programming error (and
    /// `InternedWordsTests` looks every word up).
    static let slots: [Int8] = {
        var t = [Int8](repeating: -1, count: 256)
        for (k, w) in words.enumerated() {
            let b = 2 * bucket(w.count, w[0], w[w.count - 1])
            if t[b] < 0 { t[b] = Int8(k) } else if t[b + 1] < 0 { t[b + 1] = Int8(k) } else { preconditionFailure("interned words: bucket full") }
        }
        return t
    }()

    @inline(__always)
    static func bucket(_ n: Int, _ first: UInt8, _ last: UInt8) -> Int {
        (n &* 11 &+ Int(first) &* 3 &+ Int(last)) & 127
    }

    /// The shared array with the bytes of `s`, or nil: one bucket, at most two comparisons.
    @inline(__always)
    static func lookup(_ s: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        let n = s.count
        guard n >= 3, n <= 16, let base = s.baseAddress else { return nil }
        let b = 2 * bucket(n, base[0], base[n - 1])
        for slot in b..<(b + 2) {
            let k = slots[slot]
            if k < 0 { return nil }
            let w = words[Int(k)]
            if w.count == n && w.withUnsafeBufferPointer({ memeq($0.baseAddress!, base, n) }) { return w }
        }
        return nil
    }

    @inline(__always)
    static func memeq(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        for k in 0..<n where a[k] != b[k] { return false }
        return true
    }

    /// `Array(s)`, shared when it is a common word.
    @inline(__always)
    static func array(_ s: ArraySlice<UInt8>) -> [UInt8] {
        s.withUnsafeBufferPointer { lookup($0) } ?? Array(s)
    }

    /// `Array(s)`, shared when it is a common word.
    @inline(__always)
    static func array(_ s: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        lookup(s) ?? Array(s)
    }

    /// `Array(s.utf8)`, shared when it is a common word.
    @inline(__always)
    static func array(_ s: String) -> [UInt8] {
        var s = s
        return s.withUTF8 { lookup($0) } ?? Array(s.utf8)
    }

    /// Whether `s` lowercased is `lower` (already lowercase), without making the lowercase copy.
    @inline(__always)
    static func equalsLowercased<C: Collection>(_ s: C, _ lower: [UInt8]) -> Bool where C.Element == UInt8 {
        guard s.count == lower.count else { return false }
        var k = 0
        for b in s {
            if ASCII.lower(b) != lower[k] { return false }
            k += 1
        }
        return true
    }
}
