import Journal

/// The reverse-path's shape, the classic `reject_non_fqdn_sender` (the SMTP parser already
/// refused what RFC 5321 §4.1.2 does not allow). No DNS.
/// Result: "valid", "invalid", "null" (the null sender `<>` of bounces).
public struct SenderSyntaxStage: InboundStage {
    public let name = "sender"
    public init() {}

    public func decide(_ facts: InboundFacts) async -> StageDecision {
        let sender = facts.mailFrom
        guard !sender.isEmpty else {
            return StageDecision(stage: name, result: "null", rules: [RuleResult(name: "NULL_SENDER", contributionMilli: 0, evidence: "MAIL FROM <>")])
        }
        guard let domain = SenderAddress.domain(of: sender) else {
            return invalid("NO_SENDER_DOMAIN", "MAIL FROM <\(sender)> has no domain")
        }
        if domain.hasPrefix("[") {
            return StageDecision(stage: name, result: "valid", rules: [RuleResult(name: "SENDER_ADDRESS_LITERAL", contributionMilli: 0, evidence: "MAIL FROM <\(sender)>")])
        }
        guard SenderAddress.isFullyQualified(domain) else {
            return invalid("NON_FQDN_SENDER", "MAIL FROM <\(sender)>")
        }
        return StageDecision(stage: name, result: "valid", rules: [RuleResult(name: "SENDER_FQDN", contributionMilli: 0, evidence: "MAIL FROM <\(sender)>")])
    }

    private func invalid(_ rule: String, _ evidence: String) -> StageDecision {
        StageDecision(stage: name, result: "invalid", rules: [RuleResult(name: rule, contributionMilli: 0, evidence: evidence)])
    }
}

/// Whether the sender's domain can receive mail at all (RFC 5321 §5.1: MX, else an A/AAAA as
/// implicit MX; RFC 7505 null MX), Postfix's `reject_unknown_sender_domain`. Bounces to such a
/// sender could never be delivered.
/// Result: "pass", "nullmx", "nxdomain", "norecords", "temperror", "skipped" (null sender,
/// address literal, or a domain the syntax stage refuses).
public struct SenderDomainStage: InboundStage {
    public let name = "sender-domain"
    public let resolver: any DNSResolving
    public init(resolver: any DNSResolving) { self.resolver = resolver }

    public func decide(_ facts: InboundFacts) async -> StageDecision {
        guard let domain = SenderAddress.domain(of: facts.mailFrom), !domain.hasPrefix("["), SenderAddress.isFullyQualified(domain) else {
            return decision("skipped", "SENDER_DOMAIN_SKIPPED", facts.mailFrom.isEmpty ? "MAIL FROM <>" : "MAIL FROM <\(facts.mailFrom)> has no domain to look up")
        }
        let domainName = domain.lowercased()
        switch await resolver.query(domainName, .mx) {
        case .temporaryFailure(let why):
            return decision("temperror", "SENDER_DOMAIN_TEMPERROR", "MX \(domainName): \(why)")
        case .nonexistentDomain:
            return decision("nxdomain", "SENDER_DOMAIN_NXDOMAIN", "sender domain \(domainName) does not exist (NXDOMAIN)")
        case .records(let records, _):
            let exchanges = records.compactMap { if case .mx(let p, let x) = $0 { (p, x) } else { nil } }
            // RFC 7505 §3: a single MX of preference 0 with exchange "." says "no mail here".
            if exchanges.count == 1, exchanges[0].1.isEmpty || exchanges[0].1 == "." {
                return decision("nullmx", "SENDER_DOMAIN_NULL_MX", "sender domain \(domainName) has a null MX (RFC 7505): it accepts no mail")
            }
            if !exchanges.isEmpty {
                return decision("pass", "SENDER_DOMAIN_MX", "MX \(domainName): " + exchanges.map { "\($0.0) \($0.1)" }.joined(separator: ", "))
            }
            return await implicitMX(domainName)
        case .noRecords:
            return await implicitMX(domainName)
        }
    }

    /// RFC 5321 §5.1: without MX records the domain itself is the mail exchanger.
    private func implicitMX(_ domain: String) async -> StageDecision {
        var failure: String?
        for type in [DNSRecordType.a, .aaaa] {
            switch await resolver.query(domain, type) {
            case .records(let records, _) where !records.isEmpty:
                return decision("pass", "SENDER_DOMAIN_IMPLICIT_MX", "no MX for \(domain); \(type) \(records.compactMap(\.address).map(\.description).joined(separator: ", "))")
            case .temporaryFailure(let why): failure = "\(type) \(domain): \(why)"
            default: break
            }
        }
        if let failure { return decision("temperror", "SENDER_DOMAIN_TEMPERROR", failure) }
        return decision("norecords", "SENDER_DOMAIN_NO_RECORDS", "sender domain \(domain) has no MX, A or AAAA record")
    }

    private func decision(_ result: String, _ rule: String, _ evidence: String) -> StageDecision {
        StageDecision(stage: name, result: result, rules: [RuleResult(name: rule, contributionMilli: 0, evidence: evidence)])
    }
}

/// The parts of a reverse-path the sender checks read.
public enum SenderAddress {
    /// The domain after the last `@` (quoted local parts may hold `@`), or nil.
    public static func domain(of address: String) -> String? {
        guard let at = address.lastIndex(of: "@") else { return nil }
        let domain = address[address.index(after: at)...]
        return domain.isEmpty ? nil : String(domain)
    }

    /// At least two labels of letters, digits and hyphens (or UTF-8 for SMTPUTF8 domains), none
    /// empty, no hyphen at either end of a label.
    public static func isFullyQualified(_ domain: String) -> Bool {
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, domain.utf8.count <= 253 else { return false }
        return labels.allSatisfy { label in
            let bytes = label.utf8
            guard let first = bytes.first, let last = bytes.last, bytes.count <= 63, first != 0x2D, last != 0x2D else { return false }
            // Letters, digits, hyphens; bytes ≥ 0x80 are UTF-8 (SMTPUTF8 domains).
            return bytes.allSatisfy { b in b >= 0x80 || (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A || b >= 0x30 && b <= 0x39 || b == 0x2D }
        }
    }
}

extension DNSRecordData {
    /// The address of an A or AAAA record.
    public var address: IPAddress? {
        switch self {
        case .a(let a), .aaaa(let a): a
        default: nil
        }
    }
}
