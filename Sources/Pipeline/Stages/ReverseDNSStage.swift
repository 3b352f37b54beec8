import Journal

/// Reverse DNS of the client with forward confirmation (the "does the sending IP match its
/// name" check, Postfix's reject_unknown_client_hostname): the PTR names of the client address,
/// and whether one of them resolves back to it.
/// Result: "confirmed", "unconfirmed" (PTR names, none resolving back), "none" (no PTR),
/// "temperror", "skipped" (no client address).
public struct ReverseDNSStage: InboundStage {
    public let name = "rdns"
    public let resolver: any DNSResolving
    /// Score contributions of the results, in thousandths of a point.
    public var noneScoreMilli: Int64
    public var unconfirmedScoreMilli: Int64
    /// At most this many PTR names are tried forward (RFC 7208 §4.6.4 uses the same bound of 10).
    public static let maximumNames = 10

    public init(resolver: any DNSResolving, noneScoreMilli: Int64 = 0, unconfirmedScoreMilli: Int64 = 0) {
        self.resolver = resolver; self.noneScoreMilli = noneScoreMilli; self.unconfirmedScoreMilli = unconfirmedScoreMilli
    }

    public func decide(_ facts: InboundFacts) async -> StageDecision {
        guard let client = facts.clientIP?.unmappedIPv4 else {
            return StageDecision(stage: name, result: "skipped", rules: [RuleResult(name: "RDNS_SKIPPED", contributionMilli: 0, evidence: "no client address")])
        }
        let names: [String]
        switch await resolver.query(client.reverseDomain, .ptr) {
        case .nonexistentDomain, .noRecords:
            return decision("none", "RDNS_NONE", noneScoreMilli, "no PTR record for \(client) (\(client.reverseDomain))")
        case .temporaryFailure(let why):
            return decision("temperror", "RDNS_TEMPERROR", 0, "PTR \(client.reverseDomain): \(why)")
        case .records(let records, _):
            names = records.compactMap { if case .ptr(let n) = $0 { n } else { nil } }
        }
        guard !names.isEmpty else {
            return decision("none", "RDNS_NONE", noneScoreMilli, "no PTR record for \(client) (\(client.reverseDomain))")
        }
        let type: DNSRecordType = client.isIPv4 ? .a : .aaaa
        var failures: [String] = []
        for ptr in names.prefix(Self.maximumNames) {
            switch await resolver.query(ptr, type) {
            case .records(let records, _):
                let addresses = records.compactMap { record -> IPAddress? in
                    switch record {
                    case .a(let a), .aaaa(let a): a
                    default: nil
                    }
                }
                if addresses.contains(client) {
                    return decision("confirmed", "RDNS_CONFIRMED", 0, "\(client) has PTR \(ptr), which has \(type) \(client)")
                }
            case .noRecords, .nonexistentDomain: break
            case .temporaryFailure(let why): failures.append("\(type) \(ptr): \(why)")
            }
        }
        // An unanswered forward lookup might have confirmed it: not a "no".
        if !failures.isEmpty {
            return decision("temperror", "RDNS_TEMPERROR", 0, "\(client) has PTR " + names.joined(separator: ", ") + "; " + failures.joined(separator: "; "))
        }
        return decision("unconfirmed", "RDNS_UNCONFIRMED", unconfirmedScoreMilli,
                        "\(client) has PTR " + names.prefix(Self.maximumNames).joined(separator: ", ") + ", none of which has \(type) \(client)")
    }

    private func decision(_ result: String, _ rule: String, _ score: Int64, _ evidence: String) -> StageDecision {
        StageDecision(stage: name, result: result, scoreMilli: score, rules: [RuleResult(name: rule, contributionMilli: score, evidence: evidence)])
    }
}
