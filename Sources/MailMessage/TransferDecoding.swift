/// Content-Transfer-Encoding decoders (RFC 2045 §6). Both are lenient the way mail programs
/// are: they never fail, they skip what they cannot read, and say whether they had to.
public enum TransferDecoding {
    public struct Result: Hashable, Sendable {
        public var bytes: [UInt8]
        /// The input broke the encoding's rules (bad characters, bad padding, bad escapes).
        public var hadErrors: Bool
    }

    /// Base64 (RFC 2045 §6.8). Characters outside the alphabet are ignored ("Any characters
    /// outside of the base64 alphabet are to be ignored"). '=' padding is "evidence that the end
    /// of the data has been reached": the rest of that line is ignored; data starting on a later
    /// line is read as a further encoded block (mailers that concatenate encoded chunks).
    /// A trailing partial group yields the whole bytes it holds.
    public static func base64<C: Collection>(_ input: C) -> Result where C.Element == UInt8 {
        var out = [UInt8]()
        out.reserveCapacity(input.count / 4 * 3 + 3)
        var acc: UInt32 = 0
        var n = 0
        var errors = false
        var sawPad = false
        var skipLine = false
        for b in input {
            let v: UInt8
            switch b {
            case 65...90: v = b - 65
            case 97...122: v = b - 71
            case 48...57: v = b + 4
            case 43: v = 62
            case 47: v = 63
            // The URL-safe alphabet (RFC 4648 §5) shows up from some web mailers.
            case 45: v = 62
            case 95: v = 63
            case 61:
                sawPad = true
                skipLine = true
                continue
            case 10:
                skipLine = false
                continue
            case 9, 13, 32:
                continue
            default:
                if !skipLine { errors = true }
                continue
            }
            if skipLine {
                errors = true
                continue
            }
            if sawPad {
                // Data after padding: a concatenation of separately encoded chunks. Flush and go on.
                errors = true
                sawPad = false
                flush(&acc, &n, &out)
            }
            acc = acc << 6 | UInt32(v)
            n += 1
            if n == 4 {
                out.append(UInt8(truncatingIfNeeded: acc >> 16))
                out.append(UInt8(truncatingIfNeeded: acc >> 8))
                out.append(UInt8(truncatingIfNeeded: acc))
                acc = 0
                n = 0
            }
        }
        if n == 1 { errors = true }
        if n != 0 && !sawPad && n > 1 { errors = true }
        flush(&acc, &n, &out)
        return Result(bytes: out, hadErrors: errors)
    }

    private static func flush(_ acc: inout UInt32, _ n: inout Int, _ out: inout [UInt8]) {
        switch n {
        case 2:
            out.append(UInt8(truncatingIfNeeded: acc >> 4))
        case 3:
            out.append(UInt8(truncatingIfNeeded: acc >> 10))
            out.append(UInt8(truncatingIfNeeded: acc >> 2))
        default:
            break
        }
        acc = 0
        n = 0
    }

    /// Quoted-printable (RFC 2045 §6.7). Soft line breaks (`=` at end of line, with trailing
    /// whitespace tolerated) are removed; trailing whitespace on a line is dropped (rule 3);
    /// a malformed `=` escape is kept literally (the §6.7 note 1 recommendation).
    /// `underscoreIsSpace` gives the RFC 2047 §4.2 "Q" encoding.
    public static func quotedPrintable<C: Collection>(_ input: C, underscoreIsSpace: Bool = false) -> Result
    where C.Element == UInt8, C.Index == Int {
        var out = [UInt8]()
        out.reserveCapacity(input.count)
        var errors = false
        var i = input.startIndex
        let end = input.endIndex
        // Position in `out` after the last non-whitespace byte of the current line.
        var lineKeep = 0
        while i < end {
            let b = input[i]
            if b == ASCII.equals {
                // Soft break: "=" then optional WSP then line end.
                var j = i + 1
                while j < end && ASCII.isWSP(input[j]) { j += 1 }
                if j >= end {
                    i = end
                    continue
                }
                if input[j] == ASCII.lf || (input[j] == ASCII.cr && j + 1 < end && input[j + 1] == ASCII.lf) {
                    i = input[j] == ASCII.lf ? j + 1 : j + 2
                    lineKeep = out.count
                    continue
                }
                if i + 2 < end, let h = hex(input[i + 1]), let l = hex(input[i + 2]) {
                    out.append(h << 4 | l)
                    i += 3
                    lineKeep = out.count
                    continue
                }
                errors = true
                out.append(b)
                i += 1
                lineKeep = out.count
                continue
            }
            if b == ASCII.lf || b == ASCII.cr {
                // Rule 3: whitespace at the end of an encoded line is not data.
                if out.count > lineKeep { out.removeSubrange(lineKeep...) }
                out.append(b)
                i += 1
                lineKeep = out.count
                continue
            }
            if underscoreIsSpace && b == 95 {
                out.append(ASCII.space)
                lineKeep = out.count
            } else {
                out.append(b)
                if !ASCII.isWSP(b) { lineKeep = out.count }
            }
            i += 1
        }
        return Result(bytes: out, hadErrors: errors)
    }

    @inline(__always)
    private static func hex(_ b: UInt8) -> UInt8? {
        switch b {
        case 48...57: return b - 48
        case 65...70: return b - 55
        case 97...102: return b - 87  // lowercase is not allowed (§6.7 rule 1) but is common
        default: return nil
        }
    }
}
