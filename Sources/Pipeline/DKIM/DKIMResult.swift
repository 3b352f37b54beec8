public import Journal

/// One DKIM-Signature's outcome, with the identifiers that Authentication-Results and DMARC
/// need. Recorded as one rule of the "dkim" decision (`rule`), and read back from it
/// (`init?(rule:)`), so later readers work from the recorded decision, not a re-run.
public struct DKIMResult: Hashable, Sendable {
    /// RFC 8601 §2.7.1 result words.
    public enum Status: String, Hashable, Sendable, CaseIterable {
        case pass, fail, policy, neutral, temperror, permerror
    }

    public var status: Status
    /// Why, for everything but a plain pass: "body hash mismatch", "key revoked", "no key for signature"…
    public var reason: String?
    public var domain: String?
    public var selector: String?
    public var algorithm: String?
    public var identity: String?
    /// The first eight characters of b= (RFC 6008 header.b).
    public var signaturePrefix: String?
    /// l= when the signer limited the signed body.
    public var bodyLengthLimit: Int?
    /// Canonical body bytes after the l= limit: content nobody signed.
    public var unsignedBodyBytes: Int?
    /// The key record said t=y.
    public var testing: Bool

    public init(status: Status, reason: String? = nil, domain: String? = nil, selector: String? = nil, algorithm: String? = nil,
                identity: String? = nil, signaturePrefix: String? = nil, bodyLengthLimit: Int? = nil, unsignedBodyBytes: Int? = nil,
                testing: Bool = false) {
        self.status = status; self.reason = reason; self.domain = domain; self.selector = selector; self.algorithm = algorithm
        self.identity = identity; self.signaturePrefix = signaturePrefix; self.bodyLengthLimit = bodyLengthLimit
        self.unsignedBodyBytes = unsignedBodyBytes; self.testing = testing
    }

    public static let rulePrefix = "dkim."

    /// `dkim.<status>` with evidence `d=… s=… a=… i=… b=… [l=N unsigned=M] [t=y][: reason]`.
    public var rule: RuleResult {
        var parts: [String] = []
        if let domain { parts.append("d=\(domain)") }
        if let selector { parts.append("s=\(selector)") }
        if let algorithm { parts.append("a=\(algorithm)") }
        if let identity { parts.append("i=\(identity)") }
        if let signaturePrefix { parts.append("b=\(signaturePrefix)") }
        if let bodyLengthLimit { parts.append("l=\(bodyLengthLimit)") }
        if let unsignedBodyBytes { parts.append("unsigned=\(unsignedBodyBytes)") }
        if testing { parts.append("t=y") }
        var evidence = parts.isEmpty ? "(unreadable signature)" : parts.joined(separator: " ")
        if let reason { evidence += ": " + reason }
        return RuleResult(name: Self.rulePrefix + status.rawValue, contributionMilli: 0, evidence: evidence)
    }

    public init?(rule: RuleResult) {
        guard rule.name.hasPrefix(Self.rulePrefix),
              let status = Status(rawValue: String(rule.name.dropFirst(Self.rulePrefix.count))) else { return nil }
        self.init(status: status)
        var identifiers = Substring(rule.evidence)
        if let split = rule.evidence.range(of: ": ") {
            identifiers = rule.evidence[..<split.lowerBound]
            reason = String(rule.evidence[split.upperBound...])
        }
        for part in identifiers.split(separator: " ") {
            guard let eq = part.firstIndex(of: "=") else { continue }
            let key = part[..<eq], value = String(part[part.index(after: eq)...])
            switch key {
            case "d": domain = value
            case "s": selector = value
            case "a": algorithm = value
            case "i": identity = value
            case "b": signaturePrefix = value
            case "l": bodyLengthLimit = Int(value)
            case "unsigned": unsignedBodyBytes = Int(value)
            case "t": testing = value == "y"
            default: break
            }
        }
    }
}
