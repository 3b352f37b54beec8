/// Writes IMAP wire values (RFC 9051 §4, §9) into a byte buffer: NIL, numbers, atoms, strings
/// (quoted or literal, chosen per value), literal8 and parenthesized lists.
///
/// The choice between quoted and literal follows RFC 9051 §4.3: a quoted string cannot hold
/// CR, LF or NUL (QUOTED-CHAR is TEXT-CHAR, "any CHAR except CR and LF", and CHAR excludes NUL),
/// and it holds 8-bit bytes only as UTF-8 and only when the session allows it (§4.3.1: IMAP4rev2
/// or UTF8=ACCEPT, RFC 6855 §3; IMAP4rev1 has 7-bit quoted strings, RFC 3501 §4.3). Everything
/// else goes in a synchronizing literal. A string with NUL is binary (§4.3.1) and is only sent
/// as literal8 by BINARY fetches.
public struct IMAPWriter: Sendable {
    public var bytes: [UInt8]
    /// Whether quoted strings may carry UTF-8 (IMAP4rev2, or UTF8=ACCEPT enabled).
    public var utf8Quoted: Bool

    public init(utf8Quoted: Bool = false, capacity: Int = 256) {
        self.bytes = []
        self.bytes.reserveCapacity(capacity)
        self.utf8Quoted = utf8Quoted
    }

    @inline(__always) public mutating func nilValue() {
        bytes.append(78)
        bytes.append(73)
        bytes.append(76)
    }
    @inline(__always) public mutating func space() { bytes.append(32) }
    @inline(__always) public mutating func open() { bytes.append(40) }
    @inline(__always) public mutating func close() { bytes.append(41) }

    /// Raw protocol text (atoms, item names); the caller guarantees it is valid there.
    public mutating func raw(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    public mutating func raw<C: Collection>(_ s: C) where C.Element == UInt8 {
        bytes.append(contentsOf: s)
    }

    public mutating func number(_ n: Int) {
        precondition(n >= 0, "IMAP numbers are unsigned (RFC 9051 §4.2)")
        if n < 10 {
            bytes.append(48 &+ UInt8(n))
            return
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var v = n
        withUnsafeMutableBytes(of: &digits) { d in
            while v > 0 {
                d[count] = 48 &+ UInt8(v % 10)
                v /= 10
                count += 1
            }
            for k in stride(from: count - 1, through: 0, by: -1) { bytes.append(d[k]) }
        }
    }

    /// `nstring` (RFC 9051 §9): NIL or a string.
    @inline(__always)
    public mutating func nstring(_ s: [UInt8]?) {
        if let s { string(s) } else { nilValue() }
    }

    /// `string` from contiguous bytes: one scan decides quoted or literal, then the bytes are
    /// copied in bulk (escaping only when a quote or backslash is there). Same output as the
    /// generic `string`.
    @inline(__always)
    public mutating func string(_ s: [UInt8]) {
        s.withUnsafeBufferPointer { string($0) }
    }

    public mutating func string(_ s: UnsafeBufferPointer<UInt8>) {
        var high = false
        var escapes = 0
        var start = 0
        // Eight bytes at a time while they are ASCII: any NUL, CR or LF means a literal; a
        // quote or backslash means escaping. The rest (and any 8-bit word) goes byte by byte.
        if let base = s.baseAddress, s.count >= 8 {
            let ones: UInt64 = 0x0101_0101_0101_0101
            let highs: UInt64 = 0x8080_8080_8080_8080
            @inline(__always) func hasZeroByte(_ v: UInt64) -> Bool { (v &- ones) & ~v & highs != 0 }
            let raw = UnsafeRawPointer(base)
            while start + 8 <= s.count {
                let w = raw.loadUnaligned(fromByteOffset: start, as: UInt64.self)
                if w & highs != 0 { break }
                if hasZeroByte(w) || hasZeroByte(w ^ (ones &* 13)) || hasZeroByte(w ^ (ones &* 10)) { return literal(s) }
                if hasZeroByte(w ^ (ones &* 34)) || hasZeroByte(w ^ (ones &* 92)) { escapes = 1 }
                start += 8
            }
        }
        for b in UnsafeBufferPointer(rebasing: s[start...]) {
            if b < 0x80 {
                if b == 0 || b == 13 || b == 10 { return literal(s) }
                if b == 34 || b == 92 { escapes &+= 1 }
            } else {
                high = true
            }
        }
        if high && !(utf8Quoted && UTF8Check.isValid(s)) { return literal(s) }
        if escapes == 0 {
            bytes.append(34)
            bytes.append(contentsOf: s)
            bytes.append(34)
            return
        }
        bytes.append(34)
        for b in s {
            if b == 34 || b == 92 { bytes.append(92) }
            bytes.append(b)
        }
        bytes.append(34)
    }

    /// `string` (RFC 9051 §9): quoted when the bytes allow it, a literal otherwise.
    public mutating func string<C: Collection>(_ s: C) where C.Element == UInt8 {
        if IMAPWriter.canQuote(s, utf8: utf8Quoted) {
            bytes.append(34)
            for b in s {
                if b == 34 || b == 92 { bytes.append(92) }
                bytes.append(b)
            }
            bytes.append(34)
        } else {
            literal(s)
        }
    }

    /// A synchronizing literal `{n}CRLF` + bytes (RFC 9051 §4.3).
    public mutating func literal<C: Collection>(_ s: C) where C.Element == UInt8 {
        bytes.append(123)
        number(s.count)
        bytes.append(contentsOf: [125, 13, 10])
        bytes.append(contentsOf: s)
    }

    /// `literal8` `~{n}CRLF` + bytes (RFC 9051 §9, RFC 3516 §4.3), for binary BINARY data.
    public mutating func literal8<C: Collection>(_ s: C) where C.Element == UInt8 {
        bytes.append(126)
        literal(s)
    }

    /// Whether `s` can be a quoted string: no CR, LF or NUL; 8-bit only as valid UTF-8 and only
    /// when `utf8` is allowed (RFC 9051 §4.3, §4.3.1).
    public static func canQuote<C: Collection>(_ s: C, utf8: Bool) -> Bool where C.Element == UInt8 {
        var high = false
        for b in s {
            if b == 0 || b == 13 || b == 10 { return false }
            if b >= 0x80 { high = true }
        }
        guard high else { return true }
        guard utf8 else { return false }
        return UTF8Check.isValid(s)
    }
}

/// Strict UTF-8 validation (RFC 3629 §4): no overlongs, no surrogates, nothing above U+10FFFF.
enum UTF8Check {
    static func isValid<C: Collection>(_ s: C) -> Bool where C.Element == UInt8 {
        var it = s.makeIterator()
        while let b = it.next() {
            if b < 0x80 { continue }
            let need: Int
            var lo: UInt8 = 0x80, hi: UInt8 = 0xBF
            switch b {
            case 0xC2...0xDF: need = 1
            case 0xE0: need = 2; lo = 0xA0
            case 0xE1...0xEC, 0xEE, 0xEF: need = 2
            case 0xED: need = 2; hi = 0x9F
            case 0xF0: need = 3; lo = 0x90
            case 0xF1...0xF3: need = 3
            case 0xF4: need = 3; hi = 0x8F
            default: return false
            }
            for k in 0..<need {
                guard let c = it.next() else { return false }
                if k == 0 {
                    if c < lo || c > hi { return false }
                } else if c < 0x80 || c > 0xBF {
                    return false
                }
            }
        }
        return true
    }
}
