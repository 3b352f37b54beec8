import Glibc
import Journal

/// The "dkim" inbound stage: every DKIM-Signature's result and reason as one rule each
/// (`DKIMResult.rule`). The stage result is the best of them: pass if any signature passed,
/// else fail, policy, temperror, permerror, neutral in that order; "none" for an unsigned message.
public struct DKIMStage: InboundStage {
    public let name = "dkim"
    public var verifier: DKIMVerifier

    public init(resolver: any DNSResolving) {
        self.verifier = DKIMVerifier(resolver: resolver)
    }

    public func decide(_ facts: InboundFacts) async -> StageDecision {
        guard let message = facts.message else {
            return StageDecision(stage: name, result: "none", rules: [RuleResult(name: "dkim.none", contributionMilli: 0, evidence: "no message yet")])
        }
        let now = facts.receivedAt ?? Int64(time(nil))
        let results = await verifier.verify(message, now: now)
        return Self.decision(results)
    }

    public static func decision(_ results: [DKIMResult]) -> StageDecision {
        guard !results.isEmpty else {
            return StageDecision(stage: "dkim", result: "none", rules: [RuleResult(name: "dkim.none", contributionMilli: 0, evidence: "message has no DKIM-Signature")])
        }
        let order: [DKIMResult.Status] = [.pass, .fail, .policy, .temperror, .permerror, .neutral]
        let best = order.first { status in results.contains { $0.status == status } } ?? .neutral
        return StageDecision(stage: "dkim", result: best.rawValue, rules: results.map(\.rule))
    }

    /// The per-signature results recorded in a "dkim" decision.
    public static func results(in decision: StageDecision) -> [DKIMResult] {
        decision.rules.compactMap(DKIMResult.init(rule:))
    }
}
