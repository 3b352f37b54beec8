public import Journal

/// The DMARC outcome for one message (RFC 7489 §6.6) and the policy applied. Recorded as the
/// "dmarc" decision's rule (`rule`), read back with `init?(rule:)` by Authentication-Results.
public struct DMARCResult: Hashable, Sendable {
    /// RFC 8601 §2.7.1 / RFC 7489 §11.2 result words.
    public enum Status: String, Hashable, Sendable {
        case pass, fail, none, temperror, permerror
    }

    public var status: Status
    public var reason: String?
    /// The RFC5322.From domain (header.from).
    public var fromDomain: String?
    /// Where the policy record was found: the From domain or its organisational domain.
    public var policyDomain: String?
    public var policy: DMARCRecord.Policy?
    public var subdomainPolicy: DMARCRecord.Policy?
    public var percent: Int?
    /// What the domain asks for this message: none unless it failed; lowered by pct=.
    public var disposition: DMARCRecord.Policy = .none
    /// Whether pct= sampling picked this message (always true at pct=100).
    public var sampled: Bool?
    public var spfResult: String?
    public var spfDomain: String?
    public var spfAligned = false
    /// d= of the passing DKIM signatures that align with the From domain.
    public var alignedDKIMDomains: [String] = []

    public init(status: Status, reason: String? = nil, fromDomain: String? = nil) {
        self.status = status; self.reason = reason; self.fromDomain = fromDomain
    }

    /// The stage's result word, which the policy maps to an action: pass, none, temperror,
    /// permerror, or for a failure the disposition asked for: reject, quarantine, or fail (p=none).
    public var stageResult: String {
        guard status == .fail else { return status.rawValue }
        switch disposition {
        case .reject: return "reject"
        case .quarantine: return "quarantine"
        case .none: return "fail"
        }
    }

    public static let rulePrefix = "dmarc."

    public var rule: RuleResult {
        var parts: [String] = []
        func add(_ key: String, _ value: String?) { if let value, !value.isEmpty { parts.append("\(key)=\(value)") } }
        add("header.from", fromDomain)
        add("policy.domain", policyDomain)
        add("p", policy?.rawValue)
        add("sp", subdomainPolicy?.rawValue)
        add("pct", percent.map(String.init))
        add("disposition", disposition.rawValue)
        add("sampled", sampled.map { $0 ? "yes" : "no" })
        add("spf", spfResult)
        add("smtp.mailfrom", spfDomain)
        add("spf.aligned", spfAligned ? "yes" : "no")
        add("dkim.aligned", alignedDKIMDomains.joined(separator: ","))
        var evidence = parts.joined(separator: " ")
        if let reason { evidence += ": " + reason }
        return RuleResult(name: Self.rulePrefix + status.rawValue, contributionMilli: 0, evidence: evidence)
    }

    public init?(rule: RuleResult) {
        guard rule.name.hasPrefix(Self.rulePrefix), let status = Status(rawValue: String(rule.name.dropFirst(Self.rulePrefix.count))) else { return nil }
        self.init(status: status)
        var head = Substring(rule.evidence)
        if let split = rule.evidence.range(of: ": ") {
            head = rule.evidence[..<split.lowerBound]
            reason = String(rule.evidence[split.upperBound...])
        }
        for part in head.split(separator: " ") {
            guard let eq = part.firstIndex(of: "=") else { continue }
            let value = String(part[part.index(after: eq)...])
            switch part[..<eq] {
            case "header.from": fromDomain = value
            case "policy.domain": policyDomain = value
            case "p": policy = DMARCRecord.Policy(rawValue: value)
            case "sp": subdomainPolicy = DMARCRecord.Policy(rawValue: value)
            case "pct": percent = Int(value)
            case "disposition": disposition = DMARCRecord.Policy(rawValue: value) ?? .none
            case "sampled": sampled = value == "yes"
            case "spf": spfResult = value
            case "smtp.mailfrom": spfDomain = value
            case "spf.aligned": spfAligned = value == "yes"
            case "dkim.aligned": alignedDKIMDomains = value.split(separator: ",").map(String.init)
            default: break
            }
        }
    }
}
