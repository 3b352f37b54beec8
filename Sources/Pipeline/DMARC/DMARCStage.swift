import Crypto
import Foundation
import Journal
import MailMessage

/// The "dmarc" inbound stage. Runs after "spf" and "dkim" and reads their decisions from
/// `InboundFacts.priorDecisions`. Its result word is `DMARCResult.stageResult`: pass, none,
/// temperror, permerror, or for a failing message the disposition the domain asked for
/// (reject, quarantine, fail), which the `[policy]` maps to an action.
public struct DMARCStage: InboundStage {
    public let name = "dmarc"
    public var verifier: DMARCVerifier

    public init(resolver: any DNSResolving, suffixes: PublicSuffixList = .shared) {
        self.verifier = DMARCVerifier(resolver: resolver, suffixes: suffixes)
    }

    public func decide(_ facts: InboundFacts) async -> StageDecision {
        guard let bytes = facts.message else {
            return Self.decision(DMARCResult(status: .none, reason: "no message yet"))
        }
        let message = Message(bytes: bytes)
        let from: String
        switch DMARCVerifier.fromDomain(of: message) {
        case let .success(domain): from = domain
        case let .failure(error): return Self.decision(DMARCResult(status: .permerror, reason: error.description))
        }
        let spfDomain = Self.spfDomain(facts)
        let spf = facts.priorDecision("spf").map { (result: $0.result, domain: spfDomain) }
        let dkim = facts.priorDecision("dkim").map(DKIMStage.results(in:)) ?? []
        let result = await verifier.evaluate(fromDomain: from, spf: spf, dkim: dkim, sample: Self.sample(bytes))
        return Self.decision(result)
    }

    public static func decision(_ result: DMARCResult) -> StageDecision {
        StageDecision(stage: "dmarc", result: result.stageResult, rules: [result.rule])
    }

    /// The recorded DMARC result of a "dmarc" decision.
    public static func result(in decision: StageDecision) -> DMARCResult? {
        decision.rules.lazy.compactMap(DMARCResult.init(rule:)).first
    }

    /// The domain SPF checked: MAIL FROM's, or HELO's for the null sender (RFC 7489 §3.1.2).
    static func spfDomain(_ facts: InboundFacts) -> String {
        if let at = facts.mailFrom.lastIndex(of: "@") { return String(facts.mailFrom[facts.mailFrom.index(after: at)...]).lowercased() }
        return facts.helo.lowercased()
    }

    /// pct= sampling without a random number: the message's own SHA-256 picks 0..<100, so a
    /// replay of the same message makes the same choice (DESIGN.md invariant 3).
    public static func sample(_ message: [UInt8]) -> Int {
        let digest = Array(SHA256.hash(data: message))
        let n = UInt32(digest[0]) << 24 | UInt32(digest[1]) << 16 | UInt32(digest[2]) << 8 | UInt32(digest[3])
        return Int(n % 100)
    }
}
