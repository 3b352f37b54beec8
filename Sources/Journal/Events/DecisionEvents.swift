/// One rule or test that contributed to a decision, with what it found.
public struct RuleResult: Hashable, Sendable, FieldCodable {
    public var name: String
    /// Score contribution in thousandths of a point (so 1.5 is 1500): exact, no floating point.
    public var contributionMilli: Int64
    /// What the rule saw: "SPF fail for example.com from 192.0.2.1", a matched header…
    public var evidence: String
    public init(name: String, contributionMilli: Int64, evidence: String) {
        self.name = name; self.contributionMilli = contributionMilli; self.evidence = evidence
    }
    public func encode(to w: inout FieldWriter) { w.string(1, name); w.int(2, contributionMilli); w.string(3, evidence) }
    public init(from r: inout FieldReader) throws {
        self.init(name: "", contributionMilli: 0, evidence: "")
        while let (n, v) = try r.next() {
            switch n {
            case 1: name = try v.string()
            case 2: contributionMilli = try v.int()
            case 3: evidence = try v.string()
            default: break
            }
        }
    }
}

/// A filter stage's decision about a received message, with every rule that produced it
/// (DESIGN.md invariant 4), so `roost audit` can say why.
public struct FilterDecision: EventBody {
    public static let type = EventType.filterDecision
    public var context: EventContext
    /// The sequence number of the `MessageReceived` event decided on.
    public var received: UInt64
    /// "spf", "dnsbl", "spam", "virus", "sieve"…
    public var stage: String
    /// "accept", "reject", "junk", "quarantine", "discard", "tempfail"…
    public var verdict: String
    public var scoreMilli: Int64
    public var rules: [RuleResult]
    /// The stage's own result word ("fail", "listed", "unconfirmed"…), which the policy turned
    /// into `verdict`; empty when the stage has none.
    public var result: String
    /// For a transaction refused before a message existed (`received` 0): the envelope so far,
    /// so `roost audit --rejected` can show whom it was from and for.
    public var mailFrom: String?
    public var helo: String?
    public var recipients: [String]
    public init(context: EventContext, received: UInt64, stage: String, verdict: String, scoreMilli: Int64, rules: [RuleResult],
                result: String = "", mailFrom: String? = nil, helo: String? = nil, recipients: [String] = []) {
        self.context = context; self.received = received; self.stage = stage; self.verdict = verdict
        self.scoreMilli = scoreMilli; self.rules = rules
        self.result = result; self.mailFrom = mailFrom; self.helo = helo; self.recipients = recipients
    }
    public func encode(to w: inout FieldWriter) {
        w.message(1, context); w.uint(2, received); w.string(3, stage); w.string(4, verdict); w.int(5, scoreMilli)
        for rule in rules { w.message(6, rule) }
        if !result.isEmpty { w.string(7, result) }
        w.string(8, mailFrom); w.string(9, helo)
        for recipient in recipients { w.string(10, recipient) }
    }
    public init(from r: inout FieldReader) throws {
        self.init(context: .system("unknown"), received: 0, stage: "", verdict: "", scoreMilli: 0, rules: [])
        while let (n, v) = try r.next() {
            switch n {
            case 1: context = try v.message(EventContext.self, depth: r.depth)
            case 2: received = try v.uint()
            case 3: stage = try v.string()
            case 4: verdict = try v.string()
            case 5: scoreMilli = try v.int()
            case 6: rules.append(try v.message(RuleResult.self, depth: r.depth))
            case 7: result = try v.string()
            case 8: mailFrom = try v.string()
            case 9: helo = try v.string()
            case 10: recipients.append(try v.string())
            default: break
            }
        }
    }
}
