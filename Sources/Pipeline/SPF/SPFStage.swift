import Journal

/// The "spf" inbound stage: RFC 7208 for the MAIL FROM identity and, separately, the HELO
/// identity (§2.3). The decision's result is the MAIL FROM result word (for the null sender,
/// the HELO check is the MAIL FROM check, §2.4); each identity's rule carries its exact
/// evidence in Authentication-Results style. Scores are left to the policy.
public struct SPFStage: InboundStage {
    public let evaluator: SPFEvaluator
    /// Also check the HELO identity when MAIL FROM is not `<>` (RFC 7208 §2.3 recommends it;
    /// it doubles the DNS work). For `<>` the HELO identity is the MAIL FROM check anyway.
    public var checksHELOIdentity: Bool
    public var name: String { "spf" }

    public init(evaluator: SPFEvaluator, checksHELOIdentity: Bool = true) {
        self.evaluator = evaluator
        self.checksHELOIdentity = checksHELOIdentity
    }

    public init(resolver: any DNSResolving, receiver: String = "unknown", checksHELOIdentity: Bool = true) {
        self.init(evaluator: SPFEvaluator(resolver: resolver, receiver: receiver), checksHELOIdentity: checksHELOIdentity)
    }

    public func decide(_ facts: InboundFacts) async -> StageDecision {
        guard let ip = facts.clientIP else {
            return StageDecision(stage: name, result: SPFResult.Code.none.rawValue,
                                 rules: [RuleResult(name: "spf.mailfrom", contributionMilli: 0, evidence: "spf=none: no client IP address")])
        }
        let nullSender = facts.mailFrom.isEmpty
        let helo = nullSender || checksHELOIdentity ? await evaluator.checkHELO(ip: ip, helo: facts.helo) : nil
        let mailFrom: SPFResult
        if nullSender, let helo { mailFrom = helo } else { mailFrom = await evaluator.checkMailFrom(ip: ip, mailFrom: facts.mailFrom, helo: facts.helo) }
        let mailFromProperty = nullSender ? "smtp.mailfrom=postmaster@\(facts.helo)" : "smtp.mailfrom=\(Self.domain(of: facts.mailFrom))"
        var rules = [RuleResult(name: "spf.mailfrom", contributionMilli: 0, evidence: Self.evidence(mailFrom, property: mailFromProperty, ip: ip))]
        if let helo {
            rules.append(RuleResult(name: "spf.helo", contributionMilli: 0, evidence: Self.evidence(helo, property: "smtp.helo=\(facts.helo)", ip: ip)))
        }
        return StageDecision(stage: name, result: mailFrom.code.rawValue, rules: rules)
    }

    static func domain(of address: String) -> String {
        guard let at = address.lastIndex(of: "@") else { return address }
        return String(address[address.index(after: at)...])
    }

    /// "spf=fail smtp.mailfrom=example.test: 192.0.2.9 is not allowed by example.test (mechanism -all); explanation: …"
    public static func evidence(_ result: SPFResult, property: String, ip: IPAddress) -> String {
        var text = "spf=\(result.code.rawValue) \(property): "
        switch result.code {
        case .pass:
            text += "\(ip) is allowed by \(result.domain)"
        case .fail, .softfail:
            text += "\(ip) is not allowed by \(result.domain)"
        case .neutral:
            text += result.mechanism == nil ? "\(result.domain) says nothing about \(ip) (no mechanism matched)"
                                            : "\(result.domain) says nothing about \(ip)"
        case .none, .temperror, .permerror:
            text += "\(result.domain): \(result.reason)"
        }
        if let mechanism = result.mechanism { text += " (mechanism \(mechanism))" }
        if let explanation = result.explanation { text += "; explanation: \(explanation)" }
        return text
    }
}
