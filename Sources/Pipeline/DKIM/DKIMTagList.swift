/// An RFC 6376 §3.2 tag=value list: the syntax of DKIM-Signature fields and DKIM key records
/// (and of DMARC records, RFC 7489 §6.4). Bounded: at most `maxLength` bytes and `maxTags` tags.
public struct DKIMTagList: Hashable, Sendable {
    public struct Tag: Hashable, Sendable {
        public var name: String
        /// The tag-value without its surrounding whitespace; folding inside it is kept
        /// (callers of base64 values drop it, list values split and trim).
        public var value: String
    }

    /// Why a tag list was refused; the text goes into the permerror reason.
    public struct SyntaxError: Error, Hashable, Sendable, CustomStringConvertible {
        public var description: String
    }

    public static let maxLength = 16_384
    public static let maxTags = 64

    public private(set) var tags: [Tag]

    public subscript(name: String) -> String? {
        tags.first { $0.name == name }?.value
    }

    /// Tag names are case-sensitive (RFC 6376 §3.2); duplicates are an error, unknown tags are
    /// kept and ignored by the readers.
    public static func parse(_ bytes: some Collection<UInt8>) -> Result<DKIMTagList, SyntaxError> {
        func fail(_ text: String) -> Result<DKIMTagList, SyntaxError> { .failure(SyntaxError(description: text)) }
        guard bytes.count <= maxLength else { return fail("tag list longer than \(maxLength) bytes") }
        var tags: [Tag] = []
        var seen = Set<String>()
        let specs = Array(bytes).split(separator: UInt8(ascii: ";"), omittingEmptySubsequences: false)
        for (index, spec) in specs.enumerated() {
            let trimmed = spec.trimmingFWS()
            if trimmed.isEmpty {
                // Only the optional ";" at the very end may leave an empty spec.
                if index == specs.count - 1 && index > 0 { continue }
                return fail(specs.count == 1 ? "empty tag list" : "empty tag-spec")
            }
            guard let equals = trimmed.firstIndex(of: UInt8(ascii: "=")) else {
                return fail("tag-spec without '=': \(printable(trimmed))")
            }
            let name = trimmed[trimmed.startIndex..<equals].trimmingFWS()
            guard let first = name.first, isAlpha(first),
                  name.allSatisfy({ isAlpha($0) || isDigit($0) || $0 == UInt8(ascii: "_") }) else {
                return fail("bad tag name: \(printable(name))")
            }
            let value = trimmed[(equals + 1)...].trimmingFWS()
            // VALCHAR is %x21-3A / %x3C-7E; whitespace (folding) may separate tvals.
            if let bad = value.first(where: { !(($0 >= 0x21 && $0 <= 0x7e && $0 != UInt8(ascii: ";")) || isFWS($0)) }) {
                return fail("bad character 0x\(String(bad, radix: 16)) in value of \(String(decoding: name, as: UTF8.self))=")
            }
            let nameText = String(decoding: name, as: UTF8.self)
            guard seen.insert(nameText).inserted else { return fail("duplicate tag \(nameText)=") }
            guard tags.count < maxTags else { return fail("more than \(maxTags) tags") }
            tags.append(Tag(name: nameText, value: String(decoding: value, as: UTF8.self)))
        }
        return .success(DKIMTagList(tags: tags))
    }

    static func isAlpha(_ b: UInt8) -> Bool { (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) }
    static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    static func isFWS(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0d || b == 0x0a }

    static func printable(_ bytes: some Collection<UInt8>) -> String {
        let shown = bytes.prefix(40).map { $0 >= 0x20 && $0 < 0x7f ? Character(UnicodeScalar($0)) : "?" }
        return "'" + String(shown) + (bytes.count > 40 ? "…'" : "'")
    }
}

extension DKIMTagList {
    /// A value with all whitespace removed: base64 (b=, bh=, p=) may be folded anywhere.
    static func compact(_ value: String) -> String {
        String(value.unicodeScalars.filter { !($0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n") })
    }

    /// A colon-separated list (h=, q=, and key h=/s=), each element trimmed.
    static func colonList(_ value: String) -> [String] {
        value.split(separator: ":", omittingEmptySubsequences: false).map { compact(String($0)) }
    }
}

extension ArraySlice<UInt8> {
    func trimmingFWS() -> ArraySlice<UInt8> {
        var s = self
        while let b = s.first, DKIMTagList.isFWS(b) { s.removeFirst() }
        while let b = s.last, DKIMTagList.isFWS(b) { s.removeLast() }
        return s
    }
}

/// RFC 4648 base64 with whitespace ignored, as DKIM's b=, bh= and p= are written (RFC 6376
/// §3.5). Nil on any other character, bad padding or a bad length.
enum DKIMBase64 {
    static func decode(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count * 3 / 4)
        var buffer: UInt32 = 0, bits = 0, padding = 0, count = 0
        for c in text.utf8 {
            let v: UInt32
            switch c {
            case 0x41...0x5a: v = UInt32(c - 0x41)
            case 0x61...0x7a: v = UInt32(c - 0x61 + 26)
            case 0x30...0x39: v = UInt32(c - 0x30 + 52)
            case UInt8(ascii: "+"): v = 62
            case UInt8(ascii: "/"): v = 63
            case UInt8(ascii: "="): padding += 1; count += 1; continue
            case 0x20, 0x09, 0x0d, 0x0a: continue
            default: return nil
            }
            if padding > 0 { return nil }  // data after padding
            count += 1
            buffer = buffer << 6 | v
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
                buffer &= (1 << UInt32(bits)) - 1
            }
        }
        guard count % 4 == 0, padding <= 2 else { return nil }
        return out
    }

    static func encode(_ bytes: [UInt8]) -> String {
        let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        var i = 0
        while i + 3 <= bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out += [table[Int(n >> 18)], table[Int(n >> 12 & 63)], table[Int(n >> 6 & 63)], table[Int(n & 63)]]
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let n = UInt32(bytes[i]) << 16
            out += [table[Int(n >> 18)], table[Int(n >> 12 & 63)], UInt8(ascii: "="), UInt8(ascii: "=")]
        } else if rest == 2 {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out += [table[Int(n >> 18)], table[Int(n >> 12 & 63)], table[Int(n >> 6 & 63)], UInt8(ascii: "=")]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
