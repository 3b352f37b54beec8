/// An IPv4 or IPv6 address as its network-order bytes: what SPF's ip4/ip6 mechanisms, DNSBL
/// names and PTR names are computed from.
public enum IPAddress: Hashable, Sendable, CustomStringConvertible {
    case v4(UInt8, UInt8, UInt8, UInt8)
    /// Sixteen bytes, network order.
    case v6([UInt8])

    /// Parses dotted-quad IPv4 or RFC 4291 text IPv6 (with `::` and an embedded IPv4 tail);
    /// nil for anything else. An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) stays IPv6 here;
    /// use `unmappedIPv4` where RFC 7208 §5 asks to treat it as IPv4.
    public init?(_ text: String) {
        if let v4 = Self.parseIPv4(Substring(text)) {
            self = .v4(v4[0], v4[1], v4[2], v4[3])
        } else if let v6 = Self.parseIPv6(text) {
            self = .v6(v6)
        } else {
            return nil
        }
    }

    public init?(bytes: [UInt8]) {
        switch bytes.count {
        case 4: self = .v4(bytes[0], bytes[1], bytes[2], bytes[3])
        case 16: self = .v6(bytes)
        default: return nil
        }
    }

    public var bytes: [UInt8] {
        switch self {
        case let .v4(a, b, c, d): [a, b, c, d]
        case let .v6(bytes): bytes
        }
    }

    public var isIPv4: Bool { if case .v4 = self { true } else { false } }

    /// `::ffff:a.b.c.d` as the IPv4 address a.b.c.d; other addresses unchanged.
    public var unmappedIPv4: IPAddress {
        guard case let .v6(b) = self, b[0..<10].allSatisfy({ $0 == 0 }), b[10] == 0xff, b[11] == 0xff else { return self }
        return .v4(b[12], b[13], b[14], b[15])
    }

    /// True when the first `prefixLength` bits equal those of `network` (same family only).
    public func isIn(network: IPAddress, prefixLength: Int) -> Bool {
        let mine = bytes, theirs = network.bytes
        guard mine.count == theirs.count, prefixLength >= 0, prefixLength <= mine.count * 8 else { return false }
        var remaining = prefixLength
        for i in 0..<mine.count where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xff << (8 - bits))
            if mine[i] & mask != theirs[i] & mask { return false }
            remaining -= bits
        }
        return true
    }

    /// The labels of the reverse name without the suffix: `4.3.2.1` for 1.2.3.4, nibbles
    /// for IPv6 (RFC 3596 §2.5). DNSBL queries put a zone after these; PTR lookups
    /// use `reverseDomain`.
    public var reversedLabels: String {
        switch self {
        case let .v4(a, b, c, d):
            return "\(d).\(c).\(b).\(a)"
        case let .v6(bytes):
            let digits = Array("0123456789abcdef")
            var labels: [String] = []
            labels.reserveCapacity(32)
            for byte in bytes.reversed() {
                labels.append(String(digits[Int(byte & 0x0f)]))
                labels.append(String(digits[Int(byte >> 4)]))
            }
            return labels.joined(separator: ".")
        }
    }

    /// The name a PTR query asks for: `4.3.2.1.in-addr.arpa` or `….ip6.arpa`.
    public var reverseDomain: String {
        reversedLabels + (isIPv4 ? ".in-addr.arpa" : ".ip6.arpa")
    }

    /// Dotted quad, or RFC 5952 text (lowercase, longest zero run as `::`).
    public var description: String {
        switch self {
        case let .v4(a, b, c, d):
            return "\(a).\(b).\(c).\(d)"
        case let .v6(bytes):
            var groups: [UInt16] = []
            for i in stride(from: 0, to: 16, by: 2) { groups.append(UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1])) }
            var bestStart = -1, bestLength = 0, runStart = -1
            for (i, group) in groups.enumerated() {
                if group == 0 {
                    if runStart < 0 { runStart = i }
                    if i - runStart + 1 > bestLength { bestStart = runStart; bestLength = i - runStart + 1 }
                } else {
                    runStart = -1
                }
            }
            let hex = groups.map { String($0, radix: 16) }
            guard bestLength >= 2 else { return hex.joined(separator: ":") }
            let head = hex[0..<bestStart].joined(separator: ":")
            let tail = hex[(bestStart + bestLength)...].joined(separator: ":")
            return head + "::" + tail
        }
    }

    private static func parseIPv4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                  !(part.count > 1 && part.first == "0"), let value = UInt8(part) else { return nil }
            out.append(value)
        }
        return out
    }

    private static func parseIPv6(_ text: String) -> [UInt8]? {
        guard text.count <= 45, text.contains(":") else { return nil }
        var halves: [String] = []
        var rest = Substring(text)
        while let range = rest.firstRange(of: "::") {
            halves.append(String(rest[..<range.lowerBound]))
            rest = rest[range.upperBound...]
        }
        halves.append(String(rest))
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String, allowIPv4Tail: Bool) -> [UInt8]? {
            if part.isEmpty { return [] }
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            var out: [UInt8] = []
            for (index, piece) in pieces.enumerated() {
                if allowIPv4Tail, index == pieces.count - 1, piece.contains(".") {
                    guard let v4 = parseIPv4(piece) else { return nil }
                    out += v4
                    continue
                }
                guard !piece.isEmpty, piece.count <= 4, let value = UInt16(piece, radix: 16) else { return nil }
                out += [UInt8(value >> 8), UInt8(value & 0xff)]
            }
            return out
        }
        if halves.count == 1 {
            guard let all = groups(halves[0], allowIPv4Tail: true), all.count == 16 else { return nil }
            return all
        }
        guard let head = groups(halves[0], allowIPv4Tail: false), let tail = groups(halves[1], allowIPv4Tail: true),
              head.count + tail.count <= 14 else { return nil }
        return head + [UInt8](repeating: 0, count: 16 - head.count - tail.count) + tail
    }
}
