import Journal

/// One DNS blocklist zone (RFC 5782): what its return codes mean and what a listing scores.
public struct DNSBLZone: Hashable, Sendable {
    public var zone: String
    /// Meanings of the 127.0.0.x answers the zone documents ("127.0.0.2" → "spam source").
    /// Answers not listed count as a listing with a generic meaning (RFC 5782 §2.1: any
    /// 127.0.0.0/8 answer is a listing).
    public var meanings: [IPAddress: String]
    /// Score contribution of a listing, in thousandths of a point.
    public var scoreMilli: Int64
    /// The rule name a listing is recorded under: DNSBL_ and the zone in capitals.
    public var ruleName: String {
        "DNSBL_" + String(String.UnicodeScalarView(zone.uppercased().unicodeScalars.map {
            ("A"..."Z").contains($0) || ("0"..."9").contains($0) ? $0 : "_"
        }))
    }

    public init(zone: String, meanings: [IPAddress: String] = [:], scoreMilli: Int64 = 0) {
        var zone = zone.lowercased()
        while zone.hasSuffix(".") { zone.removeLast() }
        self.zone = zone; self.meanings = meanings; self.scoreMilli = scoreMilli
    }

    /// The query name for a client: reversed octets (IPv4) or nibbles (IPv6, RFC 5782 §2.4) + zone.
    public func queryName(for client: IPAddress) -> String {
        client.unmappedIPv4.reversedLabels + "." + zone
    }
}

/// Checks the client address against configured blocklist zones (RFC 5782), all zones at once.
/// Result: "listed" (any zone lists it), "none" (no zone does), "temperror" (a zone could not be
/// asked and no other lists it), "skipped" (no client address or no zones).
public struct DNSBLStage: InboundStage {
    public let name = "dnsbl"
    public let zones: [DNSBLZone]
    public let resolver: any DNSResolving

    public init(zones: [DNSBLZone], resolver: any DNSResolving) {
        self.zones = zones; self.resolver = resolver
    }

    enum ZoneOutcome: Sendable {
        case listed(RuleResult)
        case notListed
        case failed(String)
    }

    public func decide(_ facts: InboundFacts) async -> StageDecision {
        guard let client = facts.clientIP, !zones.isEmpty else {
            return StageDecision(stage: name, result: "skipped", rules: [
                RuleResult(name: "DNSBL_SKIPPED", contributionMilli: 0,
                           evidence: zones.isEmpty ? "no DNSBL zones configured" : "no client address")])
        }
        let outcomes: [ZoneOutcome]
        if zones.count == 1 {
            outcomes = [await check(zones[0], client)]
        } else {
            outcomes = await withTaskGroup(of: (Int, ZoneOutcome).self) { group in
                for (index, zone) in zones.enumerated() {
                    group.addTask { (index, await check(zone, client)) }
                }
                var results = [ZoneOutcome](repeating: .notListed, count: zones.count)
                for await (index, outcome) in group { results[index] = outcome }
                return results
            }
        }
        var rules: [RuleResult] = [], failures: [String] = []
        for outcome in outcomes {
            switch outcome {
            case .listed(let rule): rules.append(rule)
            case .notListed: break
            case .failed(let why): failures.append(why)
            }
        }
        if !rules.isEmpty {
            return StageDecision(stage: name, result: "listed", scoreMilli: rules.reduce(0) { $0 + $1.contributionMilli }, rules: rules)
        }
        if !failures.isEmpty {
            return StageDecision(stage: name, result: "temperror", rules: failures.map {
                RuleResult(name: "DNSBL_TEMPERROR", contributionMilli: 0, evidence: $0)
            })
        }
        return StageDecision(stage: name, result: "none", rules: [
            RuleResult(name: "DNSBL_NOT_LISTED", contributionMilli: 0,
                       evidence: "\(client) not listed in " + zones.map(\.zone).joined(separator: ", "))])
    }

    func check(_ zone: DNSBLZone, _ client: IPAddress) async -> ZoneOutcome {
        let name = zone.queryName(for: client)
        switch await resolver.query(name, .a) {
        case .nonexistentDomain, .noRecords:
            return .notListed
        case .temporaryFailure(let why):
            return .failed("\(zone.zone): \(why)")
        case .records(let records, _):
            // RFC 5782 §2.1: listings answer inside 127.0.0.0/8; anything else is a broken or
            // hijacked zone (some answer every name), never a listing.
            let codes = records.compactMap { record -> IPAddress? in
                if case .a(let address) = record, address.isIn(network: .v4(127, 0, 0, 0), prefixLength: 8) { return address }
                return nil
            }
            guard !codes.isEmpty else { return .notListed }
            let meanings = codes.map { zone.meanings[$0] ?? "listed" }
            var evidence = "\(client) listed in \(zone.zone) as " + zip(codes, meanings).map { "\($0) (\($1))" }.joined(separator: ", ")
            // RFC 5782 §2.1: the TXT record at the same name says why.
            if case .records(let texts, _) = await resolver.query(name, .txt) {
                let reasons = texts.compactMap(\.joinedText).map { String(decoding: $0.prefix(300), as: UTF8.self) }
                if !reasons.isEmpty { evidence += ": " + reasons.joined(separator: "; ") }
            }
            return .listed(RuleResult(name: zone.ruleName, contributionMilli: zone.scoreMilli, evidence: evidence))
        }
    }

    /// RFC 5782 §5: a zone must list 127.0.0.2 and must not list 127.0.0.1; operators can check
    /// a configured zone with this before trusting it.
    public static func testPoints(_ zone: DNSBLZone) -> (listed: String, notListed: String) {
        (zone.queryName(for: .v4(127, 0, 0, 2)), zone.queryName(for: .v4(127, 0, 0, 1)))
    }
}
