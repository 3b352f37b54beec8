import Journal

/// Runs the configured stages for one transaction, all at once (they are independent), and
/// turns their decisions into one verdict with the policy. Produces decisions only; the SMTP
/// front-end records them as events and acts on the verdict.
public struct InboundPipeline: Sendable {
    public var stages: [any InboundStage]
    public var policy: InboundPolicy
    /// Clients the network stages are not run for (the household's own machines, loopback by
    /// default, as pypolicyd-spf's Skip_Addresses): their decisions say "skipped" and why.
    public var trustedNetworks: [(address: IPAddress, prefixLength: Int)]
    /// Stages that look only at what the client said, run for trusted clients too.
    public var alwaysRun: Set<String>
    /// Run the stages at the same time (each in a child task). Off, they run one after another,
    /// which is cheaper when their answers are cached.
    public var concurrent = true

    public static let loopback: [(address: IPAddress, prefixLength: Int)] = [(.v4(127, 0, 0, 0), 8), (IPAddress("::1")!, 128)]

    public init(stages: [any InboundStage], policy: InboundPolicy, trustedNetworks: [(address: IPAddress, prefixLength: Int)] = loopback,
                alwaysRun: Set<String> = ["sender"]) {
        self.stages = stages; self.policy = policy; self.trustedNetworks = trustedNetworks; self.alwaysRun = alwaysRun
    }

    public var stageNames: [String] { stages.map(\.name) }

    public func evaluate(_ facts: InboundFacts) async -> InboundVerdict {
        let trusted = facts.clientIP.flatMap { ip in
            trustedNetworks.first { ip.unmappedIPv4.isIn(network: $0.address, prefixLength: $0.prefixLength) }
        }
        let decisions: [StageDecision]
        let run = stages.map { stage in (stage, trusted == nil || alwaysRun.contains(stage.name)) }
        if !concurrent || run.filter(\.1).count <= 1 {
            var list: [StageDecision] = []
            for (stage, runs) in run {
                list.append(runs ? await stage.decide(facts) : Self.skipped(stage.name, trusted!))
            }
            decisions = list
        } else {
            decisions = await withTaskGroup(of: (Int, StageDecision).self) { group in
                var results = [StageDecision?](repeating: nil, count: run.count)
                for (index, (stage, runs)) in run.enumerated() {
                    if runs { group.addTask { (index, await stage.decide(facts)) } } else { results[index] = Self.skipped(stage.name, trusted!) }
                }
                for await (index, decision) in group { results[index] = decision }
                return results.map { $0! }
            }
        }
        return judge(decisions)
    }

    static func skipped(_ stage: String, _ network: (address: IPAddress, prefixLength: Int)) -> StageDecision {
        StageDecision(stage: stage, result: "skipped", rules: [
            RuleResult(name: "TRUSTED_CLIENT", contributionMilli: 0, evidence: "client in trusted network \(network.address)/\(network.prefixLength)")])
    }

    /// The policy over a set of decisions: reject beats tempfail beats junk beats accept; the
    /// summed score can raise the action to junk or reject.
    public func judge(_ decisions: [StageDecision]) -> InboundVerdict {
        let judged = decisions.map { JudgedDecision(decision: $0, action: policy.action(stage: $0.stage, result: $0.result)) }
        let total = judged.reduce(Int64(0)) { $0 + $1.scoreMilli }
        var verdict = InboundVerdict(action: .accept, totalScoreMilli: total, decisions: judged, reason: "")
        func describe(_ j: JudgedDecision) -> String { "\(j.decision.stage) \(j.decision.result) → \(j.action)" }
        if let rejecting = judged.first(where: { $0.action == .reject }) {
            verdict.action = .reject
            verdict.reason = describe(rejecting)
            let (code, enhanced) = Self.rejection(rejecting.decision)
            verdict.replyCode = code; verdict.replyEnhanced = enhanced
            verdict.replyText = Self.replyText(rejecting.decision)
        } else if let limit = policy.rejectScoreMilli, total >= limit {
            verdict.action = .reject
            verdict.reason = "score \(PolicyAction.points(total)) ≥ reject_score \(PolicyAction.points(limit))"
            verdict.replyCode = 550; verdict.replyEnhanced = "5.7.1"
            verdict.replyText = "message refused: spam score \(PolicyAction.points(total)) (limit \(PolicyAction.points(limit)))"
        } else if let failing = judged.first(where: { $0.action == .tempfail }) {
            verdict.action = .tempfail
            verdict.reason = describe(failing)
            verdict.replyCode = 451; verdict.replyEnhanced = "4.4.3"
            verdict.replyText = "temporary DNS failure (\(failing.decision.stage) \(failing.decision.result)): "
                + Self.evidence(failing.decision) + "; try again later"
        } else if let junk = judged.first(where: { $0.action == .junk }) {
            verdict.action = .junk
            verdict.reason = describe(junk)
        } else if let limit = policy.junkScoreMilli, total >= limit {
            verdict.action = .junk
            verdict.reason = "score \(PolicyAction.points(total)) ≥ junk_score \(PolicyAction.points(limit))"
        } else {
            verdict.reason = "score \(PolicyAction.points(total))" + (policy.junkScoreMilli.map { " < junk_score \(PolicyAction.points($0))" } ?? "")
        }
        return verdict
    }

    /// RFC 3463 / RFC 7372 codes for a rejecting stage.
    static func rejection(_ decision: StageDecision) -> (Int, String) {
        switch decision.stage {
        case "sender" where decision.result == "invalid": (504, "5.5.2")     // as Postfix's reject_non_fqdn_sender
        case "sender", "sender-domain": (550, "5.1.8")                          // bad sender's system address
        case "spf": (550, "5.7.23")                                            // RFC 7372: SPF validation failed
        case "rdns": (550, "5.7.25")                                           // RFC 7372: reverse DNS validation failed
        case "dnsbl": (554, "5.7.1")
        case "dmarc": (550, "5.7.26")                                          // RFC 7372: multiple authentication checks failed
        case "dkim": (550, "5.7.20")                                           // RFC 7372: no passing DKIM signature
        default: (550, "5.7.1")
        }
    }

    static func replyText(_ decision: StageDecision) -> String {
        let what = switch (decision.stage, decision.result) {
        case ("sender", "invalid"): "sender address rejected: need fully-qualified address"
        case ("sender-domain", _): "sender address rejected: domain cannot receive mail"
        case ("spf", let r): "SPF \(r)"
        case ("rdns", "none"): "client has no reverse DNS"
        case ("rdns", _): "client reverse DNS not confirmed"
        case ("dnsbl", _): "client address blocked"
        case ("dmarc", let r): "rejected by the sender domain's DMARC policy (\(r))"
        case (let s, let r): "\(s) \(r)"
        }
        return what + ": " + evidence(decision)
    }

    /// The first rule's evidence, printable ASCII only and bounded: it goes into a reply line.
    static func evidence(_ decision: StageDecision) -> String {
        let text = decision.rules.first?.evidence ?? decision.result
        return String(String(text.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? Character($0) : "?" }).prefix(300))
    }
}
