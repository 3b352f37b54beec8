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
    public init(context: EventContext, received: UInt64, stage: String, verdict: String, scoreMilli: Int64, rules: [RuleResult]) {
        self.context = context; self.received = received; self.stage = stage; self.verdict = verdict
        self.scoreMilli = scoreMilli; self.rules = rules
    }
    public func encode(to w: inout FieldWriter) {
        w.message(1, context); w.uint(2, received); w.string(3, stage); w.string(4, verdict); w.int(5, scoreMilli)
        for rule in rules { w.message(6, rule) }
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
            default: break
            }
        }
    }
}
