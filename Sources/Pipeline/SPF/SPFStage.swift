public import Journal

/// The "spf" inbound stage: RFC 7208 for the MAIL FROM identity and, separately, the HELO
/// identity (§2.3). The decision's result is the MAIL FROM result word (for the null sender,
/// the HELO check is the MAIL FROM check, §2.4); each identity's rule carries its exact
/// evidence in Authentication-Results style. Scores are left to the policy.
public struct SPFStage: InboundStage {
    public let evaluator: SPFEvaluator
    public var name: String { "spf" }

    public init(evaluator: SPFEvaluator) {
        self.evaluator = evaluator
    }

    public init(resolver: any DNSResolving, receiver: String = "unknown") {
        self.evaluator = SPFEvaluator(resolver: resolver, receiver: receiver)
    }

    public func decide(_ facts: InboundFacts) async -> StageDecision {
        guard let ip = facts.clientIP else {
            return StageDecision(stage: name, result: SPFResult.Code.none.rawValue,
                                 rules: [RuleResult(name: "spf.mailfrom", contributionMilli: 0, evidence: "spf=none: no client IP address")])
        }
        let helo = await evaluator.checkHELO(ip: ip, helo: facts.helo)
        let mailFrom = facts.mailFrom.isEmpty ? helo : await evaluator.checkMailFrom(ip: ip, mailFrom: facts.mailFrom, helo: facts.helo)
        let mailFromProperty = facts.mailFrom.isEmpty ? "smtp.mailfrom=postmaster@\(facts.helo)" : "smtp.mailfrom=\(Self.domain(of: facts.mailFrom))"
        return StageDecision(stage: name, result: mailFrom.code.rawValue, rules: [
            RuleResult(name: "spf.mailfrom", contributionMilli: 0, evidence: Self.evidence(mailFrom, property: mailFromProperty, ip: ip)),
            RuleResult(name: "spf.helo", contributionMilli: 0, evidence: Self.evidence(helo, property: "smtp.helo=\(facts.helo)", ip: ip)),
        ])
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
