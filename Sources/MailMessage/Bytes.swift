internal import Glibc

/// Small byte helpers shared by the parsers. Everything structural works on bytes, never on
/// String, so a parse costs a few passes over memory and no per-line allocation.
enum ASCII {
    static let cr: UInt8 = 13
    static let lf: UInt8 = 10
    static let space: UInt8 = 32
    static let tab: UInt8 = 9
    static let colon: UInt8 = 58
    static let dash: UInt8 = 45
    static let quote: UInt8 = 34
    static let backslash: UInt8 = 92
    static let semicolon: UInt8 = 59
    static let equals: UInt8 = 61

    @inline(__always)
    static func isWSP(_ b: UInt8) -> Bool { b == space || b == tab }

    /// WSP or a line-ending byte: inside a folded field value CRLF+WSP is whitespace (RFC 5322 §2.2.3).
    @inline(__always)
    static func isFWS(_ b: UInt8) -> Bool { b == space || b == tab || b == cr || b == lf }

    @inline(__always)
    static func lower(_ b: UInt8) -> UInt8 { (b >= 65 && b <= 90) ? b | 0x20 : b }

    @inline(__always)
    static func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }

    @inline(__always)
    static func isAlpha(_ b: UInt8) -> Bool { (b | 0x20) >= 97 && (b | 0x20) <= 122 }
}

extension UnsafeBufferPointer where Element == UInt8 {
    /// Index of the next LF at or after `from`, or `end` if none.
    @inline(__always)
    func indexOfLF(from: Int, end: Int) -> Int {
        guard from < end, let base = baseAddress else { return end }
        guard let hit = memchr(base + from, Int32(ASCII.lf), end - from) else { return end }
        return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
    }

    /// Number of lines in `range` as IMAP counts them (RFC 3501 §7.4.2 body-fld-lines):
    /// line terminators, plus one for a last line without a terminator.
    func lineCount(_ range: Range<Int>) -> Int {
        guard !range.isEmpty, let base = baseAddress else { return 0 }
        // Sixteen bytes per step: a lane of the comparison is all ones (-1) at an LF, so
        // subtracting it counts per lane; the byte lanes are added up before they can wrap.
        // Text bodies are most of a message, and this was a quarter of a rebuild's CPU time
        // as a byte loop.
        // Sixty-four bytes per step of the inner loop (four compares, one loop test), at most
        // 63 steps before the lanes (4 per step) are added up; the last 0–15 bytes by words.
        let lfs = SIMD16<UInt8>(repeating: ASCII.lf)
        var n = 0
        var i = range.lowerBound
        let end = range.upperBound
        @inline(__always) func lfLanes(_ p: UnsafePointer<UInt8>, _ at: Int) -> SIMD16<UInt8> {
            unsafeBitCast(UnsafeRawPointer(p + at).loadUnaligned(as: SIMD16<UInt8>.self) .== lfs, to: SIMD16<UInt8>.self)
        }
        var blocks = (end - i) / 64
        while blocks > 0 {
            let steps = Swift.min(blocks, 63)
            blocks -= steps
            var lanes = SIMD16<UInt8>()
            var p = base + i
            for _ in 0..<steps {
                lanes &-= (lfLanes(p, 0) &+ lfLanes(p, 16)) &+ (lfLanes(p, 32) &+ lfLanes(p, 48))
                p += 64
            }
            i += steps &* 64
            n &+= SWAR.byteSum(lanes)
        }
        if i + 16 <= end {
            var lanes = SIMD16<UInt8>()
            while i + 16 <= end {
                lanes &-= lfLanes(base, i)
                i += 16
            }
            n &+= SWAR.byteSum(lanes)
        }
        let raw = UnsafeRawPointer(base)
        if i + 8 <= end {
            n &+= SWAR.countByte(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)), ASCII.lf)
            i += 8
        }
        if i < end {
            if end >= 8 {
                // The word ending at `end`, the bytes before `i` shifted out (zeros in, never LF).
                let w = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: end - 8, as: UInt64.self))
                n &+= SWAR.countByte(w >> UInt64((8 - (end - i)) * 8), ASCII.lf)
            } else {
                while i < end {
                    n &+= base[i] == ASCII.lf ? 1 : 0
                    i += 1
                }
            }
        }
        if self[end - 1] != ASCII.lf { n += 1 }
        return n
    }

    /// Index of the first LF in `from..<end` not preceded by CR (`previous` is the byte before
    /// `from`, 0 at the start of a message), or nil. Sixteen bytes per step: most messages have
    /// none, and per-line searches cost a call per line.
    func indexOfBareLF(from: Int, end: Int, previous: UInt8) -> Int? {
        guard from < end, let base = baseAddress else { return nil }
        if base[from] == ASCII.lf && previous != ASCII.cr { return from }
        let lfs = SIMD16<UInt8>(repeating: ASCII.lf), crs = SIMD16<UInt8>(repeating: ASCII.cr)
        var i = from + 1
        while i + 16 <= end {
            let v = UnsafeRawPointer(base + i).loadUnaligned(as: SIMD16<UInt8>.self)
            let before = UnsafeRawPointer(base + i - 1).loadUnaligned(as: SIMD16<UInt8>.self)
            let bare = (v .== lfs) .& (before .!= crs)
            if any(bare) {
                // The first all-ones lane, from the mask's two halves (little-endian lanes).
                let halves = unsafeBitCast(bare, to: SIMD2<UInt64>.self)
                return halves[0] != 0 ? i + halves[0].trailingZeroBitCount / 8 : i + 8 + halves[1].trailingZeroBitCount / 8
            }
            i += 16
        }
        while i < end {
            if base[i] == ASCII.lf && base[i - 1] != ASCII.cr { return i }
            i += 1
        }
        return nil
    }

    /// ASCII case-insensitive comparison of `self[range]` with a lowercase literal (letters
    /// `a`–`z`, other bytes below `a`: a header field name). Eight bytes at a time from 8 on:
    /// each letter of the literal matches with or without bit 0x20, every other byte exactly.
    @inline(__always)
    func equalsLowercase(_ range: Range<Int>, _ lowercase: StaticString) -> Bool {
        let n = range.count
        guard n == lowercase.utf8CodeUnitCount else { return false }
        let lit = lowercase.utf8Start
        if n >= 8, let base = baseAddress {
            let a = UnsafeRawPointer(base + range.lowerBound), l = UnsafeRawPointer(lit)
            @inline(__always) func same(_ at: Int) -> Bool {
                let x = a.loadUnaligned(fromByteOffset: at, as: UInt64.self)
                let y = l.loadUnaligned(fromByteOffset: at, as: UInt64.self)
                // 0x20 where the literal has a letter (0x61 and up; no carry between bytes).
                let letters = ((y &+ 0x1F1F_1F1F_1F1F_1F1F) & SWAR.highs) >> 2
                return x | letters == y
            }
            var i = 0
            while i + 8 <= n {
                if !same(i) { return false }
                i += 8
            }
            return i == n || same(n - 8)
        }
        var j = 0
        for i in range {
            if ASCII.lower(self[i]) != lit[j] { return false }
            j += 1
        }
        return true
    }
}

extension String {
    /// A String from bytes known or assumed to be ASCII, lowercased on the way.
    static func asciiLowercased<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        // Straight into the string's storage (no storage at all up to 15 bytes): decoding a lazy
        // map went through the generic transcoder, ≈ 1 000 instructions for a word like "text".
        let n = bytes.count
        guard n > 0 else { return "" }
        return String(unsafeUninitializedCapacity: n) { out in
            var k = 0
            for b in bytes {
                out[k] = ASCII.lower(b)
                k += 1
            }
            return k
        }
    }
}

/// Trims WSP and line-ending bytes from both ends of `range` in `p`.
@inline(__always)
func trimFWS(_ p: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Range<Int> {
    var lo = range.lowerBound
    var hi = range.upperBound
    while lo < hi && ASCII.isFWS(p[lo]) { lo += 1 }
    while hi > lo && ASCII.isFWS(p[hi - 1]) { hi -= 1 }
    return lo..<hi
}

/// The bytes of a folded field value with the folding removed (RFC 5322 §2.2.3: "unfolding is
/// accomplished by simply removing any CRLF that is immediately followed by WSP"), trimmed.
func unfold(_ p: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> [UInt8] {
    let r = trimFWS(p, range)
    guard let base = p.baseAddress, !r.isEmpty else { return [] }
    // Most values are one line: one copy. (`Array(buffer)` allocates through code specialized
    // here; `Array(unsafeUninitializedCapacity:)` through the standard library's generic path,
    // ≈ 330 instructions more per array, and unfolding makes about 20 arrays per message.)
    if firstLineEnding(base, from: r.lowerBound, to: r.upperBound) == r.upperBound {
        return Array(UnsafeBufferPointer(rebasing: p[r]))
    }
    return [UInt8](unsafeUninitializedCapacity: r.count) { out, count in
        count = unfoldRuns(base, r, into: out.baseAddress!)
    }
}

/// The bytes of `base[r]` without its CR and LF bytes, written at `out` (room for `r.count`);
/// returns how many. Runs between line-ending bytes are copied in bulk.
@inline(__always)
func unfoldRuns(_ base: UnsafePointer<UInt8>, _ r: Range<Int>, into out: UnsafeMutablePointer<UInt8>) -> Int {
    var o = 0
    var i = r.lowerBound
    while i < r.upperBound {
        let e = firstLineEnding(base, from: i, to: r.upperBound)
        if e > i {
            (out + o).update(from: base + i, count: e - i)
            o += e - i
        }
        i = e + 1
    }
    return o
}

/// The index of the first CR or LF in `base[from..<to]`, or `to`: eight bytes at a time.
@inline(__always)
func firstLineEnding(_ base: UnsafePointer<UInt8>, from: Int, to: Int) -> Int {
    var i = from
    let raw = UnsafeRawPointer(base)
    while i + 8 <= to {
        let w = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
        if SWAR.hasByte(w, 13) || SWAR.hasByte(w, 10) { break }
        i += 8
    }
    if i + 8 > to && to - from >= 8 {
        // Under 8 bytes left: the last 8 of the range at once (most values have no line end).
        let w = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: to - 8, as: UInt64.self))
        if !(SWAR.hasByte(w, 13) || SWAR.hasByte(w, 10)) { return to }
    }
    while i < to && base[i] != ASCII.cr && base[i] != ASCII.lf { i += 1 }
    return i
}

/// Tests on eight bytes at once (one `UInt64`).
enum SWAR {
    static let ones: UInt64 = 0x0101_0101_0101_0101
    static let highs: UInt64 = 0x8080_8080_8080_8080

    /// Whether some byte of `w` is zero (exact: borrows only ever flag a byte above a zero one).
    @inline(__always)
    static func hasZero(_ w: UInt64) -> Bool { (w &- ones) & ~w & highs != 0 }

    /// Whether some byte of `w` is `b`.
    @inline(__always)
    static func hasByte(_ w: UInt64, _ b: UInt8) -> Bool { hasZero(w ^ (ones &* UInt64(b))) }

    /// How many bytes of `w` are `b` (nonzero `b`), exactly: no borrow crosses bytes.
    @inline(__always)
    static func countByte(_ w: UInt64, _ b: UInt8) -> Int {
        let t = w ^ (ones &* UInt64(b))
        let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        let nonzero = ((t & low7) &+ low7) | t
        return (~nonzero & highs).nonzeroBitCount
    }

    /// The sum of the sixteen byte lanes (each at most 255).
    @inline(__always)
    static func byteSum(_ v: SIMD16<UInt8>) -> Int {
        let halves = unsafeBitCast(v, to: SIMD2<UInt64>.self)
        let m: UInt64 = 0x00FF_00FF_00FF_00FF
        // Pairs of bytes into 16-bit lanes (at most 1 020 each over both halves), then the
        // four lanes added by one multiply into the top one.
        let e = (halves[0] & m) &+ ((halves[0] >> 8) & m) &+ (halves[1] & m) &+ ((halves[1] >> 8) & m)
        return Int((e &* 0x0001_0001_0001_0001) >> 48)
    }
}
