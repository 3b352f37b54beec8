/// A mailbox from a MAIL FROM or RCPT TO path (RFC 5321 §4.1.2), with what the relay checks
/// need to know about how it was written.
public struct SMTPMailbox: Hashable, Sendable, CustomStringConvertible {
    /// As written: a dot-string, or a quoted string with its quotes.
    public var localPart: String
    /// As written: a domain, or an address literal with its brackets.
    public var domain: String
    /// The local part was a quoted string.
    public var isQuoted: Bool
    /// The domain was an address literal (`[192.0.2.1]`, `[IPv6:…]`).
    public var isAddressLiteral: Bool
    /// The path had an RFC 5321 source route (`<@a,@b:user@c>`; §4.1.1.3 "SHOULD be ignored").
    public var hadSourceRoute: Bool

    public var address: String { localPart + "@" + domain }
    public var description: String { address }
    /// Whether any byte is outside ASCII (needs SMTPUTF8, RFC 6531 §3.4).
    public var isASCII: Bool { address.utf8.allSatisfy { $0 < 0x80 } }

    /// The classic ways to ask a server to relay through a local-looking address, which Roost
    /// never honours: `%` hacks (`user%other@local`), UUCP bang paths (`other!user@local`), a
    /// quoted local part hiding an `@` (`"user@other"@local`), source routes and address literals.
    public var relayTrick: String? {
        if hadSourceRoute { return "source route" }
        if isAddressLiteral { return "address literal" }
        if localPart.contains("%") { return "'%' in local part" }
        if localPart.contains("!") { return "'!' in local part" }
        if isQuoted && localPart.contains("@") { return "'@' in quoted local part" }
        return nil
    }
}

/// Parses RFC 5321 §4.1.2 paths. Pure and bounded (`SMTPLimits.pathLength` and friends).
enum SMTPPathParser {
    enum Failure: Error, Hashable { case syntax, tooLong, nonASCII }

    /// `<…>` or, for MAIL FROM, `<>` (nil mailbox). `utf8` allows RFC 6531 UTF-8 in the path.
    static func parse(_ path: Substring.UTF8View, allowNull: Bool, utf8: Bool) -> Result<SMTPMailbox?, Failure> {
        let bytes = Array(path)
        guard bytes.count >= 2, bytes.first == UInt8(ascii: "<"), bytes.last == UInt8(ascii: ">") else { return .failure(.syntax) }
        let inner = bytes[1..<(bytes.count - 1)]
        if inner.isEmpty { return allowNull ? .success(nil) : .failure(.syntax) }
        guard bytes.count <= SMTPLimits.pathLength + 2 else { return .failure(.tooLong) }
        var rest = inner[...]
        var route = false
        if rest.first == UInt8(ascii: "@") {
            // A-d-l ":" — the route is checked for syntax, then dropped.
            guard let colon = rest.firstIndex(of: UInt8(ascii: ":")) else { return .failure(.syntax) }
            for hop in rest[rest.startIndex..<colon].split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
                guard hop.first == UInt8(ascii: "@"), isDomain(hop.dropFirst(), utf8: utf8) else { return .failure(.syntax) }
            }
            route = true
            rest = rest[(colon + 1)...]
        }
        guard let at = localPartEnd(rest), at < rest.endIndex, rest[at] == UInt8(ascii: "@") else { return .failure(.syntax) }
        let local = rest[rest.startIndex..<at]
        let domain = rest[(at + 1)...]
        let quoted = local.first == UInt8(ascii: "\"")
        guard !local.isEmpty, local.count <= SMTPLimits.localPartLength + (quoted ? 2 : 0) else { return .failure(local.isEmpty ? .syntax : .tooLong) }
        if quoted {
            guard isQuotedString(local, utf8: utf8) else { return .failure(.syntax) }
        } else {
            guard isDotString(local, utf8: utf8) else { return .failure(.syntax) }
        }
        let literal = domain.first == UInt8(ascii: "[")
        if literal {
            guard isAddressLiteral(domain) else { return .failure(.syntax) }
        } else {
            guard domain.count <= SMTPLimits.domainLength, isDomain(domain, utf8: utf8) else { return .failure(.syntax) }
        }
        let mailbox = SMTPMailbox(localPart: String(decoding: local, as: UTF8.self), domain: String(decoding: domain, as: UTF8.self),
                                  isQuoted: quoted, isAddressLiteral: literal, hadSourceRoute: route)
        return .success(mailbox)
    }

    /// Where the local part ends (the index of its `@`), skipping over a quoted string.
    private static func localPartEnd(_ s: ArraySlice<UInt8>) -> Int? {
        if s.first == UInt8(ascii: "\"") {
            var i = s.startIndex + 1
            while i < s.endIndex {
                switch s[i] {
                case UInt8(ascii: "\\"): i += 2
                case UInt8(ascii: "\""): return i + 1 < s.endIndex ? i + 1 : nil
                default: i += 1
                }
            }
            return nil
        }
        return s.lastIndex(of: UInt8(ascii: "@"))
    }

    /// RFC 5321 §4.1.2 atext (RFC 5322 §3.2.3), plus UTF-8 under SMTPUTF8 (RFC 6531 §3.3).
    static func isAtext(_ b: UInt8, utf8: Bool) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
             UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "/"), UInt8(ascii: "="), UInt8(ascii: "?"),
             UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "{"), UInt8(ascii: "|"), UInt8(ascii: "}"),
             UInt8(ascii: "~"): true
        default: utf8 && b >= 0x80
        }
    }

    static func isDotString(_ s: ArraySlice<UInt8>, utf8: Bool) -> Bool {
        guard utf8 || s.allSatisfy({ $0 < 0x80 }), isValidUTF8(s) else { return false }
        return s.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).allSatisfy { atom in
            !atom.isEmpty && atom.allSatisfy { isAtext($0, utf8: utf8) }
        }
    }

    /// RFC 5321 §4.1.2 Quoted-string: qtextSMTP and quoted-pairSMTP.
    static func isQuotedString(_ s: ArraySlice<UInt8>, utf8: Bool) -> Bool {
        guard s.count >= 2, s.first == UInt8(ascii: "\""), s.last == UInt8(ascii: "\""), isValidUTF8(s) else { return false }
        var i = s.startIndex + 1
        let end = s.endIndex - 1
        while i < end {
            let b = s[i]
            if b == UInt8(ascii: "\\") {
                guard i + 1 < end, (32...126).contains(s[i + 1]) else { return false }
                i += 2
                continue
            }
            guard b == 32 || b == 33 || (35...91).contains(b) || (93...126).contains(b) || (utf8 && b >= 0x80) else { return false }
            i += 1
        }
        return true
    }

    /// RFC 5321 §4.1.2 Domain: sub-domains of letters, digits and inner hyphens (U-labels under
    /// SMTPUTF8, RFC 6531 §3.3). A trailing dot is not allowed.
    static func isDomain(_ s: some Collection<UInt8>, utf8: Bool) -> Bool {
        guard !s.isEmpty, s.count <= SMTPLimits.domainLength, utf8 || s.allSatisfy({ $0 < 0x80 }), isValidUTF8(Array(s)[...]) else { return false }
        return s.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).allSatisfy { label in
            guard !label.isEmpty, label.count <= 63, label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-") else { return false }
            return label.allSatisfy { b in
                (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
                    || (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || b == UInt8(ascii: "-") || (utf8 && b >= 0x80)
            }
        }
    }

    /// RFC 5321 §4.1.3: `[1.2.3.4]`, `[IPv6:…]` or a general literal `[tag:text]`.
    static func isAddressLiteral(_ s: ArraySlice<UInt8>) -> Bool {
        guard s.count >= 3, s.count <= 64, s.first == UInt8(ascii: "["), s.last == UInt8(ascii: "]") else { return false }
        let inner = s.dropFirst().dropLast()
        return inner.allSatisfy { $0 >= 33 && $0 <= 126 && $0 != UInt8(ascii: "[") && $0 != UInt8(ascii: "]") && $0 != UInt8(ascii: "\\") }
    }

    /// A HELO/EHLO argument: a domain or an address literal (RFC 5321 §4.1.1.1). Used by the
    /// inbound HELO check, not to refuse EHLO outright.
    static func isHeloName(_ s: String) -> Bool {
        let bytes = Array(s.utf8)[...]
        if bytes.first == UInt8(ascii: "[") { return isAddressLiteral(bytes) }
        return isDomain(bytes, utf8: true)
    }

    static func isValidUTF8(_ s: ArraySlice<UInt8>) -> Bool {
        if s.allSatisfy({ $0 < 0x80 }) { return true }
        var iterator = s.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }
}
