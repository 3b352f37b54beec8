public import Journal

/// What an inbound check may look at. Fields a check runs before they are known (the message
/// bytes before DATA) are nil; each stage says which ones it needs by reading them.
public struct InboundFacts: Sendable {
    public var clientIP: IPAddress?
    public var helo: String
    /// The reverse-path without angle brackets; empty for the null sender `<>`.
    public var mailFrom: String
    public var recipients: [String]
    /// The raw message as received, once DATA or BDAT LAST is complete.
    public var message: [UInt8]?
    public var tlsVersion: String?
    public var authenticatedUser: String?
    /// "mx", "submission", "submissions".
    public var listener: String
    /// When the message arrived (seconds since the epoch), from the event, so checks that depend
    /// on time (DKIM x=) give the same answer on replay. Nil: the stage uses the current time.
    public var receivedAt: Int64?
    /// Decisions of the stages that ran before this one, in order: DMARC reads SPF's and DKIM's.
    public var priorDecisions: [StageDecision] = []

    public init(clientIP: IPAddress?, helo: String, mailFrom: String, recipients: [String] = [], message: [UInt8]? = nil,
                tlsVersion: String? = nil, authenticatedUser: String? = nil, listener: String = "mx") {
        self.clientIP = clientIP; self.helo = helo; self.mailFrom = mailFrom; self.recipients = recipients
        self.message = message; self.tlsVersion = tlsVersion; self.authenticatedUser = authenticatedUser
        self.listener = listener
    }

    /// The prior decision of the named stage, if it ran.
    public func priorDecision(_ stage: String) -> StageDecision? {
        priorDecisions.last { $0.stage == stage }
    }
}

/// What a stage concluded. The policy, not the stage, turns results into actions; a stage only
/// reports its verdict, score contribution and evidence (DESIGN.md invariant 4).
public struct StageDecision: Hashable, Sendable {
    /// "spf", "dnsbl", "rdns", "sender", …: the `stage` of the recorded `FilterDecision`.
    public var stage: String
    /// The stage's own result word ("pass", "fail", "softfail", "listed", "temperror", …).
    public var result: String
    public var scoreMilli: Int64
    public var rules: [RuleResult]

    public init(stage: String, result: String, scoreMilli: Int64 = 0, rules: [RuleResult] = []) {
        self.stage = stage; self.result = result; self.scoreMilli = scoreMilli; self.rules = rules
    }
}

/// One independent inbound check: one input, one decision type. Spam, Sieve and virus stages of
/// later work plug in the same way.
public protocol InboundStage: Sendable {
    var name: String { get }
    func decide(_ facts: InboundFacts) async -> StageDecision
}
