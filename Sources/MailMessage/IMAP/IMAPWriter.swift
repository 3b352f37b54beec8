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
    /// Literals of message bytes (`ArraySlice`s of the stored message) at least this long are not
    /// copied into `bytes`: their `{n}` CRLF goes in and the slice is kept in `deferred`, so the
    /// caller can send a large BODY[] straight from the message in pieces.
    public var deferLiteralsFrom = Int.max
    /// The literals left out of `bytes`, in order; each belongs at `offset` in `bytes`.
    public private(set) var deferred: [DeferredLiteral] = []

    /// A literal's octets that belong at `offset` in `bytes` (right after its `{n}` CRLF).
    public struct DeferredLiteral: Sendable, Hashable {
        public var offset: Int
        public var octets: ArraySlice<UInt8>
    }

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
        switch QuotedForm(s, utf8: utf8Quoted, lead: 0) {
        case .literal:
            literal(s)
        case .quoted:
            bytes.append(34)
            bytes.append(contentsOf: s)
            bytes.append(34)
        case .escaped:
            bytes.append(34)
            for b in s {
                if b == 34 || b == 92 { bytes.append(92) }
                bytes.append(b)
            }
            bytes.append(34)
        }
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

    /// A literal of message bytes: deferred when it is large (`deferLiteralsFrom`), otherwise
    /// the same as the generic `literal`.
    public mutating func literal(_ s: ArraySlice<UInt8>) {
        bytes.append(123)
        number(s.count)
        bytes.append(contentsOf: [125, 13, 10])
        if s.count >= deferLiteralsFrom {
            deferred.append(DeferredLiteral(offset: bytes.count, octets: s))
        } else {
            bytes.append(contentsOf: s)
        }
    }

    /// `literal8` `~{n}CRLF` + bytes (RFC 9051 §9, RFC 3516 §4.3), for binary BINARY data.
    public mutating func literal8<C: Collection>(_ s: C) where C.Element == UInt8 {
        bytes.append(126)
        literal(s)
    }

    public mutating func literal8(_ s: ArraySlice<UInt8>) {
        bytes.append(126)
        literal(s)
    }

    /// The whole response in wire form, deferred literals put back in place.
    public var wireBytes: [UInt8] {
        guard !deferred.isEmpty else { return bytes }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + deferred.reduce(0) { $0 + $1.octets.count })
        var at = 0
        for d in deferred {
            out += bytes[at..<d.offset]
            out += d.octets
            at = d.offset
        }
        out += bytes[at...]
        return out
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

/// How `IMAPWriter.string` sends some bytes (RFC 9051 §4.3): quoted as they are, quoted with
/// `"` and `\\` escaped, or as a literal (CR, LF or NUL; 8-bit bytes that are not UTF-8 or
/// not allowed quoted).
enum QuotedForm {
    case quoted, escaped, literal

    /// Decided eight bytes at a time. `lead` is how many bytes before `s` may be read (they
    /// are in the same buffer): a string shorter than 8 with enough lead is tested with one
    /// load ending at its end, the bytes before it shifted out.
    @inline(__always)
    init(_ s: UnsafeBufferPointer<UInt8>, utf8: Bool, lead: Int) {
        let n = s.count
        guard let base = s.baseAddress, n > 0 else {
            self = .quoted
            return
        }
        let raw = UnsafeRawPointer(base)
        let spaces: UInt64 = 0x2020_2020_2020_2020
        var all: UInt64 = 0
        var low: UInt64 = 0
        var esc: UInt64 = 0
        @inline(__always) func zeros(_ v: UInt64) -> UInt64 { (v &- SWAR.ones) & ~v & SWAR.highs }
        @inline(__always) func test(_ w: UInt64) {
            all |= w
            // Some byte below 14 (exact as a yes/no, like `zeros`): NUL, LF and CR are among
            // them, and the others (TAB …) are rare enough to look at one by one below. One
            // test instead of three.
            low |= (w &- SWAR.ones &* 14) & ~w & SWAR.highs
            esc |= zeros(w ^ (SWAR.ones &* 34)) | zeros(w ^ (SWAR.ones &* 92))
        }
        @inline(__always) func load(_ at: Int) -> UInt64 {
            UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt64.self))
        }
        if n >= 8 {
            var i = 0
            while i + 8 <= n {
                test(load(i))
                i += 8
            }
            if i < n { test(load(n - 8)) }
        } else if lead >= 8 - n {
            // The last 8 bytes up to the end of `s`; the ones before `s` become spaces.
            let w = load(n - 8) >> UInt64((8 - n) * 8)
            test(w | (spaces << UInt64(n * 8)))
        } else {
            var w = spaces
            for k in 0..<n {
                w = (w & ~(0xFF << UInt64(k * 8))) | (UInt64(base[k]) << UInt64(k * 8))
            }
            test(w)
        }
        if low != 0 && s.contains(where: { $0 == 0 || $0 == ASCII.lf || $0 == ASCII.cr }) {
            self = .literal
        } else if all & SWAR.highs != 0 && !(utf8 && UTF8Check.isValid(s)) {
            self = .literal
        } else {
            self = esc != 0 ? .escaped : .quoted
        }
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
