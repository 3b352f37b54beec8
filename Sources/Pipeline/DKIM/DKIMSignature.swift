/// A DKIM-Signature field's tags, checked against RFC 6376 §3.5 (and RFC 8463 for ed25519,
/// RFC 8301 for what is no longer accepted).
public struct DKIMSignature: Hashable, Sendable {
    public enum Algorithm: String, Hashable, Sendable {
        case rsaSHA256 = "rsa-sha256"
        case ed25519SHA256 = "ed25519-sha256"

        /// The key type (key record k=) this algorithm needs.
        public var keyType: String { self == .rsaSHA256 ? "rsa" : "ed25519" }
    }

    public enum Canonicalization: String, Hashable, Sendable {
        case simple, relaxed
    }

    public static let maxSignedHeaders = 128

    public var algorithm: Algorithm
    public var signature: [UInt8]
    /// The b= value as written (whitespace removed): the first characters name the signature in
    /// Authentication-Results (header.b, RFC 6008).
    public var signatureText: String
    public var bodyHash: [UInt8]
    public var headerCanonicalization: Canonicalization
    public var bodyCanonicalization: Canonicalization
    /// d=, lowercased.
    public var domain: String
    /// s=, lowercased.
    public var selector: String
    /// h=, lowercased, in order, duplicates kept (each one signs one more instance or its absence).
    public var signedHeaders: [String]
    /// i=, defaulting to "@" + d (RFC 6376 §3.5).
    public var identity: String
    /// l=: how many canonical body bytes are signed, when the signer limited it.
    public var bodyLength: Int?
    /// t= and x=, seconds since the epoch.
    public var timestamp: Int64?
    public var expiration: Int64?

    /// The domain part of i=, lowercased.
    public var identityDomain: String {
        guard let at = identity.lastIndex(of: "@") else { return identity.lowercased() }
        return String(identity[identity.index(after: at)...]).lowercased()
    }

    /// Identifiers worth reporting even when the rest of the field is unusable.
    public struct Identifiers: Hashable, Sendable {
        public var domain: String?
        public var selector: String?
        public var algorithm: String?
        public var identity: String?
        public var signaturePrefix: String?
    }

    /// Reads d=, s=, a=, i= and b= best-effort from a field value that may not parse as a
    /// signature, for the evidence of its permerror.
    public static func identifiers(of value: some Collection<UInt8>) -> Identifiers {
        guard case let .success(list) = DKIMTagList.parse(value) else { return Identifiers() }
        return Identifiers(domain: list["d"]?.lowercased(), selector: list["s"]?.lowercased(), algorithm: list["a"]?.lowercased(),
                           identity: list["i"], signaturePrefix: list["b"].map { String(DKIMTagList.compact($0).prefix(8)) })
    }

    public static func parse(_ value: some Collection<UInt8>) -> Result<DKIMSignature, DKIMSignatureError> {
        func fail(_ text: String) -> Result<DKIMSignature, DKIMSignatureError> { .failure(DKIMSignatureError(description: text)) }
        let list: DKIMTagList
        switch DKIMTagList.parse(value) {
        case let .success(parsed): list = parsed
        case let .failure(error): return fail("signature syntax: \(error)")
        }
        // RFC 6376 §6.1.1: these tags are required.
        for name in ["v", "a", "b", "bh", "d", "h", "s"] where list[name] == nil {
            return fail("signature has no \(name)= tag")
        }
        guard list["v"] == "1" else { return fail("unsupported signature version v=\(list["v"] ?? "")") }
        let algorithmText = list["a"]!.lowercased()
        guard let algorithm = Algorithm(rawValue: algorithmText) else {
            if algorithmText == "rsa-sha1" { return fail("rsa-sha1 is not accepted (RFC 8301)") }
            return fail("unsupported algorithm a=\(algorithmText)")
        }
        let signatureText = DKIMTagList.compact(list["b"]!)
        guard let signature = DKIMBase64.decode(signatureText), !signature.isEmpty else { return fail("b= is not base64") }
        guard let bodyHash = DKIMBase64.decode(list["bh"]!), bodyHash.count == 32 else {
            return fail("bh= is not a base64 SHA-256 digest")
        }
        var header = Canonicalization.simple, body = Canonicalization.simple
        if let c = list["c"] {
            let parts = DKIMTagList.compact(c).lowercased().split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count <= 2, let h = Canonicalization(rawValue: String(parts[0])) else { return fail("unknown canonicalization c=\(c)") }
            header = h
            if parts.count == 2 {
                guard let b = Canonicalization(rawValue: String(parts[1])) else { return fail("unknown canonicalization c=\(c)") }
                body = b
            }
        }
        let domain = DKIMTagList.compact(list["d"]!).lowercased()
        let selector = DKIMTagList.compact(list["s"]!).lowercased()
        guard isDomainName(domain) else { return fail("bad d= domain \(DKIMTagList.printable(Array(domain.utf8)))") }
        guard isDomainName(selector) else { return fail("bad s= selector \(DKIMTagList.printable(Array(selector.utf8)))") }
        let headers = DKIMTagList.colonList(list["h"]!).map { $0.lowercased() }
        guard headers.count <= maxSignedHeaders else { return fail("h= names more than \(maxSignedHeaders) fields") }
        guard !headers.contains(where: \.isEmpty) else { return fail("h= has an empty field name") }
        // RFC 6376 §5.4: From must be signed.
        guard headers.contains("from") else { return fail("h= does not sign From") }
        let identity = list["i"].map { DKIMTagList.compact($0) } ?? "@" + domain
        var result = DKIMSignature(algorithm: algorithm, signature: signature, signatureText: signatureText, bodyHash: bodyHash,
                                   headerCanonicalization: header, bodyCanonicalization: body, domain: domain, selector: selector,
                                   signedHeaders: headers, identity: identity)
        // RFC 6376 §6.1.1: the i= domain must be d= or a subdomain of it.
        guard identity.contains("@") else { return fail("i= has no '@'") }
        let iDomain = result.identityDomain
        guard iDomain == domain || iDomain.hasSuffix("." + domain) else { return fail("i= domain \(iDomain) is not within d=\(domain)") }
        if let l = list["l"] {
            guard let length = decimal(l, maxDigits: 76) else { return fail("bad body length l=\(l)") }
            result.bodyLength = length
        }
        if let q = list["q"] {
            let methods = DKIMTagList.colonList(q).map { $0.lowercased() }
            guard methods.contains("dns/txt") else { return fail("no supported query method in q=\(q)") }
        }
        if let t = list["t"] {
            guard let value = decimal(t, maxDigits: 12) else { return fail("bad timestamp t=\(t)") }
            result.timestamp = Int64(value)
        }
        if let x = list["x"] {
            guard let value = decimal(x, maxDigits: 12) else { return fail("bad expiration x=\(x)") }
            result.expiration = Int64(value)
        }
        if let t = result.timestamp, let x = result.expiration, x < t { return fail("x= is before t=") }
        return .success(result)
    }

    /// 1*76DIGIT (RFC 6376 §3.5); values beyond Int are clamped, since only their comparison matters.
    static func decimal(_ text: String, maxDigits: Int) -> Int? {
        let digits = DKIMTagList.compact(text)
        guard !digits.isEmpty, digits.utf8.count <= maxDigits, digits.utf8.allSatisfy(DKIMTagList.isDigit) else { return nil }
        return Int(digits) ?? Int.max
    }

    /// LDH labels separated by dots (underscores allowed, as selectors and service names use them).
    static func isDomainName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 253 else { return false }
        for label in name.split(separator: ".", omittingEmptySubsequences: false) {
            guard !label.isEmpty, label.utf8.count <= 63,
                  label.utf8.allSatisfy({ DKIMTagList.isAlpha($0) || DKIMTagList.isDigit($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") })
            else { return false }
        }
        return true
    }
}

/// Why a DKIM-Signature field could not be used (a permerror).
public struct DKIMSignatureError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String
}
