public import Journal

/// What the policy does with one stage result.
public enum PolicyAction: Hashable, Sendable, CustomStringConvertible {
    case accept
    /// Add this many thousandths of a point to the message's score.
    case score(Int64)
    /// Deliver to each recipient's Junk mailbox.
    case junk
    /// Refuse at SMTP time with a 5xx that carries the reason.
    case reject
    /// Refuse with a 4xx: the sender retries later (DNS temporary errors).
    case tempfail

    /// `accept`, `junk`, `reject`, `tempfail` or `score N` (N a decimal, may be negative).
    public init?(_ text: String) {
        let words = text.split(separator: " ", omittingEmptySubsequences: true)
        switch (words.first, words.count) {
        case ("accept", 1): self = .accept
        case ("junk", 1): self = .junk
        case ("reject", 1): self = .reject
        case ("tempfail", 1): self = .tempfail
        case ("score", 2):
            guard let milli = PolicyAction.milli(String(words[1])) else { return nil }
            self = .score(milli)
        default: return nil
        }
    }

    /// "1.5" → 1500, exactly (at most three decimals).
    public static func milli(_ text: String) -> Int64? {
        var s = Substring(text)
        let negative = s.hasPrefix("-")
        if negative || s.hasPrefix("+") { s = s.dropFirst() }
        let parts = s.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.count <= 9, whole.allSatisfy(\.isASCII), let w = Int64(whole) else { return nil }
        var fraction: Int64 = 0
        if parts.count == 2 {
            let f = parts[1]
            guard !f.isEmpty, f.count <= 3, f.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            fraction = Int64(f + String(repeating: "0", count: 3 - f.count))!
        }
        let value = w * 1000 + fraction
        return negative ? -value : value
    }

    public var description: String {
        switch self {
        case .accept: "accept"
        case .score(let milli): "score \(PolicyAction.points(milli))"
        case .junk: "junk"
        case .reject: "reject"
        case .tempfail: "tempfail"
        }
    }

    /// 1500 → "1.5".
    public static func points(_ milli: Int64) -> String {
        let sign = milli < 0 ? "-" : ""
        let m = milli.magnitude
        var fraction = String(m % 1000)
        fraction = String(repeating: "0", count: 3 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return sign + String(m / 1000) + (fraction.isEmpty ? "" : "." + fraction)
    }
}

/// Maps stage results to actions (`[policy]` in the config), and the summed score to Junk or
/// rejection. A result the policy does not name is accepted.
public struct InboundPolicy: Hashable, Sendable {
    /// "stage.result" → action, e.g. "spf.fail" → .reject.
    public var actions: [String: PolicyAction]
    public var junkScoreMilli: Int64?
    public var rejectScoreMilli: Int64?

    public init(actions: [String: PolicyAction] = [:], junkScoreMilli: Int64? = nil, rejectScoreMilli: Int64? = nil) {
        self.actions = actions; self.junkScoreMilli = junkScoreMilli; self.rejectScoreMilli = rejectScoreMilli
    }

    public func action(stage: String, result: String) -> PolicyAction { actions[stage + "." + result] ?? .accept }

    /// What a server on the internet starts with: the classic stack's defaults.
    public static let standard = InboundPolicy(actions: [
        "sender.invalid": .reject,
        "sender-domain.nxdomain": .reject, "sender-domain.norecords": .reject, "sender-domain.nullmx": .reject,
        "sender-domain.temperror": .tempfail,
        "spf.fail": .reject, "spf.softfail": .score(2000), "spf.neutral": .score(500), "spf.temperror": .tempfail,
        "spf.permerror": .score(1000),
        "rdns.none": .score(1500), "rdns.unconfirmed": .score(1000),
        "dnsbl.listed": .reject,
        // The From domain's own DMARC request (RFC 7489 §6.7): reject, or quarantine to Junk.
        "dmarc.reject": .reject, "dmarc.quarantine": .junk, "dmarc.fail": .score(1000),
        "dkim.fail": .score(500),
    ], junkScoreMilli: 5000)

    /// The development profile: everything evaluated and scored, nothing refused but what the
    /// SMTP checks always refused (a non-FQDN sender).
    public static let development = InboundPolicy(actions: [
        "sender.invalid": .reject,
        "spf.fail": .junk, "spf.softfail": .score(2000), "spf.neutral": .score(500), "spf.permerror": .score(1000),
        "rdns.none": .score(1500), "rdns.unconfirmed": .score(1000),
        "dmarc.reject": .junk, "dmarc.quarantine": .junk, "dmarc.fail": .score(1000), "dkim.fail": .score(500),
    ], junkScoreMilli: 5000)
}

/// A stage's decision with what the policy made of it.
public struct JudgedDecision: Hashable, Sendable {
    public var decision: StageDecision
    public var action: PolicyAction

    /// The stage's score plus what the policy added.
    public var scoreMilli: Int64 {
        if case .score(let extra) = action { return decision.scoreMilli + extra }
        return decision.scoreMilli
    }

    /// The verdict word recorded in the event: the action, with a score-only action as "accept".
    public var verdict: String {
        switch action {
        case .accept, .score: "accept"
        case .junk: "junk"
        case .reject: "reject"
        case .tempfail: "tempfail"
        }
    }
}

/// The pipeline's answer for one transaction: every stage's judged decision and the action.
public struct InboundVerdict: Hashable, Sendable {
    public enum Action: String, Hashable, Sendable { case accept, junk, reject, tempfail }
    public var action: Action
    public var totalScoreMilli: Int64
    public var decisions: [JudgedDecision]
    /// Why the action was taken: "spf fail → reject", "score 5.5 ≥ junk_score 5".
    public var reason: String
    /// For reject and tempfail: the SMTP reply (code, enhanced status code, text).
    public var reply: (code: Int, enhanced: String, text: String)? {
        switch action {
        case .accept, .junk: return nil
        case .reject, .tempfail: return (replyCode, replyEnhanced, replyText)
        }
    }
    var replyCode = 0, replyEnhanced = "", replyText = ""

    public static func == (a: Self, b: Self) -> Bool {
        a.action == b.action && a.totalScoreMilli == b.totalScoreMilli && a.decisions == b.decisions && a.reason == b.reason
            && a.replyCode == b.replyCode && a.replyEnhanced == b.replyEnhanced && a.replyText == b.replyText
    }
    public func hash(into h: inout Hasher) { h.combine(action); h.combine(totalScoreMilli); h.combine(decisions); h.combine(reason) }

    /// The events that record this verdict: one per stage, then the policy's summary.
    /// `received` is the message-received sequence number, or 0 for a refused transaction
    /// (then the envelope so far goes in each event).
    public func filterDecisions(context: EventContext, received: UInt64, mailFrom: String? = nil, helo: String? = nil,
                                recipients: [String] = []) -> [FilterDecision] {
        var events = decisions.map { judged in
            FilterDecision(context: context, received: received, stage: judged.decision.stage, verdict: judged.verdict,
                           scoreMilli: judged.scoreMilli,
                           rules: judged.decision.rules + [RuleResult(
                               name: "POLICY", contributionMilli: judged.scoreMilli - judged.decision.scoreMilli,
                               evidence: "\(judged.decision.stage).\(judged.decision.result) → \(judged.action)")],
                           result: judged.decision.result, mailFrom: mailFrom, helo: helo, recipients: recipients)
        }
        events.append(FilterDecision(context: context, received: received, stage: "policy", verdict: action.rawValue,
                                     scoreMilli: totalScoreMilli,
                                     rules: [RuleResult(name: "POLICY_" + action.rawValue.uppercased(), contributionMilli: totalScoreMilli, evidence: reason)],
                                     result: action.rawValue, mailFrom: mailFrom, helo: helo, recipients: recipients))
        return events
    }
}
