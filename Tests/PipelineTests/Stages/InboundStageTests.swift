import Journal
import Testing
import Pipeline

private func facts(_ ip: String?, from: String = "someone@sender.test", helo: String = "mail.sender.test") -> InboundFacts {
    InboundFacts(clientIP: ip.flatMap(IPAddress.init), helo: helo, mailFrom: from)
}

/// Counts queries, so tests can see what a stage asked.
private final class CountingResolver: DNSResolving, @unchecked Sendable {
    let table: DNSTable
    private let lock = NSLockish()
    private var asked: [String] = []
    init(_ table: DNSTable) { self.table = table }
    func query(_ name: String, _ type: DNSRecordType) async -> DNSResult {
        lock.with { asked.append("\(name) \(type)") }
        return await table.query(name, type)
    }
    var queries: [String] { lock.with { asked } }
}

private final class NSLockish: @unchecked Sendable {
    private var m = pthread_mutex_t()
    init() { pthread_mutex_init(&m, nil) }
    func with<T>(_ body: () -> T) -> T { pthread_mutex_lock(&m); defer { pthread_mutex_unlock(&m) }; return body() }
}

#if canImport(Glibc)
import Glibc
#endif

@Suite struct DNSBLStageTests {
    let zone = DNSBLZone(zone: "bl.test.", meanings: [.v4(127, 0, 0, 2): "spam source", .v4(127, 0, 0, 4): "exploited host"], scoreMilli: 3000)

    @Test func queryNamesFollowRFC5782() {
        #expect(zone.queryName(for: IPAddress("192.0.2.99")!) == "99.2.0.192.bl.test")
        // §2.4: IPv6 as 32 reversed nibbles.
        #expect(zone.queryName(for: IPAddress("2001:db8::1")!)
                == "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.test")
        // An IPv4-mapped client is looked up as IPv4.
        #expect(zone.queryName(for: IPAddress("::ffff:192.0.2.99")!) == "99.2.0.192.bl.test")
        // §5: the test points.
        #expect(DNSBLStage.testPoints(zone) == ("2.0.0.127.bl.test", "1.0.0.127.bl.test"))
    }

    @Test func listedClientHasMeaningTXTAndScore() async {
        let table = DNSTable(records: [
            "2.0.0.127.bl.test": [.a(.v4(127, 0, 0, 2)), .txt([Array("test point".utf8)])],
            "99.2.0.192.bl.test": [.a(.v4(127, 0, 0, 4)), .txt([Array("see ".utf8), Array("https://bl.test/99".utf8)])],
        ])
        let stage = DNSBLStage(zones: [zone], resolver: table)
        let d = await stage.decide(facts("192.0.2.99"))
        #expect(d.result == "listed")
        #expect(d.scoreMilli == 3000)
        #expect(d.rules.count == 1)
        #expect(d.rules[0].name == "DNSBL_BL_TEST")
        #expect(d.rules[0].evidence == "192.0.2.99 listed in bl.test as 127.0.0.4 (exploited host): see https://bl.test/99")
        #expect(await stage.decide(facts("127.0.0.2")).rules[0].evidence.contains("127.0.0.2 (spam source): test point"))
        // Not listed (NXDOMAIN), and 127.0.0.1 is never listed.
        #expect(await stage.decide(facts("192.0.2.100")).result == "none")
        #expect(await stage.decide(facts("127.0.0.1")).result == "none")
    }

    @Test func answersOutside127AreNotListings() async {
        // A hijacked or wildcarding zone answering with a real address lists nobody.
        let table = DNSTable(records: ["99.2.0.192.bl.test": [.a(.v4(198, 51, 100, 1))]])
        #expect(await DNSBLStage(zones: [zone], resolver: table).decide(facts("192.0.2.99")).result == "none")
    }

    @Test func unknownReturnCodeStillLists() async {
        let table = DNSTable(records: ["99.2.0.192.bl.test": [.a(.v4(127, 0, 0, 9))]])
        let d = await DNSBLStage(zones: [zone], resolver: table).decide(facts("192.0.2.99"))
        #expect(d.result == "listed")
        #expect(d.rules[0].evidence == "192.0.2.99 listed in bl.test as 127.0.0.9 (listed)")
    }

    @Test func temporaryFailureIsNeverNotListed() async {
        let table = DNSTable(failing: ["99.2.0.192.bl.test"])
        let d = await DNSBLStage(zones: [zone], resolver: table).decide(facts("192.0.2.99"))
        #expect(d.result == "temperror")
        #expect(d.rules[0].evidence.contains("SERVFAIL"))
        // A listing in another zone still counts when one zone fails.
        let two = DNSTable(records: ["99.2.0.192.other.test": [.a(.v4(127, 0, 0, 2))]], failing: ["99.2.0.192.bl.test"])
        let both = await DNSBLStage(zones: [zone, DNSBLZone(zone: "other.test", scoreMilli: 1000)], resolver: two).decide(facts("192.0.2.99"))
        #expect(both.result == "listed")
        #expect(both.scoreMilli == 1000)
    }

    @Test func allZonesAreAskedAndScoresAdd() async {
        let table = CountingResolver(DNSTable(records: [
            "99.2.0.192.bl.test": [.a(.v4(127, 0, 0, 2))], "99.2.0.192.b.test": [.a(.v4(127, 0, 0, 3))],
        ]))
        let stage = DNSBLStage(zones: [zone, DNSBLZone(zone: "b.test", scoreMilli: 500), DNSBLZone(zone: "c.test")], resolver: table)
        let d = await stage.decide(facts("192.0.2.99"))
        #expect(d.result == "listed")
        #expect(d.scoreMilli == 3500)
        #expect(d.rules.map(\.name) == ["DNSBL_BL_TEST", "DNSBL_B_TEST"])
        #expect(Set(table.queries.filter { $0.hasSuffix(" A") }) == ["99.2.0.192.bl.test A", "99.2.0.192.b.test A", "99.2.0.192.c.test A"])
    }

    @Test func skippedWithoutZonesOrClient() async {
        #expect(await DNSBLStage(zones: [], resolver: DNSTable()).decide(facts("192.0.2.1")).result == "skipped")
        #expect(await DNSBLStage(zones: [zone], resolver: DNSTable()).decide(facts(nil)).result == "skipped")
    }
}

@Suite struct ReverseDNSStageTests {
    let table = DNSTable(records: [
        "10.2.0.192.in-addr.arpa": [.ptr("host.sender.test")],
        "host.sender.test": [.a(.v4(192, 0, 2, 10)), .a(.v4(192, 0, 2, 11))],
        "25.2.0.192.in-addr.arpa": [.ptr("other.sender.test"), .ptr("mx.sender.test")],
        "other.sender.test": [.a(.v4(198, 51, 100, 1))],
        "mx.sender.test": [.a(.v4(192, 0, 2, 25))],
        "30.2.0.192.in-addr.arpa": [.ptr("liar.sender.test")],
        "liar.sender.test": [.a(.v4(198, 51, 100, 30))],
        "40.2.0.192.in-addr.arpa": [.ptr("gone.sender.test")],
        "50.2.0.192.in-addr.arpa": [.ptr("broken.sender.test")],
        "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa": [.ptr("v6.sender.test")],
        "v6.sender.test": [.aaaa(IPAddress("2001:db8::1")!), .a(.v4(192, 0, 2, 1))],
    ], failing: ["60.2.0.192.in-addr.arpa", "broken.sender.test"])

    @Test func confirmedWhenAPTRNameResolvesBack() async {
        let stage = ReverseDNSStage(resolver: table, noneScoreMilli: 1500, unconfirmedScoreMilli: 700)
        let one = await stage.decide(facts("192.0.2.10"))
        #expect(one.result == "confirmed")
        #expect(one.scoreMilli == 0)
        #expect(one.rules[0].evidence == "192.0.2.10 has PTR host.sender.test, which has A 192.0.2.10")
        // The second of two PTR names confirms.
        #expect(await stage.decide(facts("192.0.2.25")).result == "confirmed")
        // IPv6 asks AAAA; an IPv4-mapped client is checked as IPv4.
        #expect(await stage.decide(facts("2001:db8::1")).result == "confirmed")
        #expect(await stage.decide(facts("::ffff:192.0.2.10")).result == "confirmed")
    }

    @Test func unconfirmedAndNoneCarryTheirScores() async {
        let stage = ReverseDNSStage(resolver: table, noneScoreMilli: 1500, unconfirmedScoreMilli: 700)
        let liar = await stage.decide(facts("192.0.2.30"))
        #expect(liar.result == "unconfirmed")
        #expect(liar.scoreMilli == 700)
        #expect(liar.rules[0].evidence == "192.0.2.30 has PTR liar.sender.test, none of which has A 192.0.2.30")
        #expect(await stage.decide(facts("192.0.2.40")).result == "unconfirmed")  // the PTR name does not exist
        let none = await stage.decide(facts("192.0.2.99"))
        #expect(none.result == "none")
        #expect(none.scoreMilli == 1500)
        #expect(none.rules[0].evidence == "no PTR record for 192.0.2.99 (99.2.0.192.in-addr.arpa)")
    }

    @Test func temporaryFailuresAreTemperrorNotNone() async {
        let stage = ReverseDNSStage(resolver: table, noneScoreMilli: 1500)
        #expect(await stage.decide(facts("192.0.2.60")).result == "temperror")
        // A forward lookup that failed might have confirmed: temperror, not unconfirmed.
        let d = await stage.decide(facts("192.0.2.50"))
        #expect(d.result == "temperror")
        #expect(d.scoreMilli == 0)
    }

    @Test func atMostTenNamesAreTried() async {
        var records: [String: [DNSRecordData]] = ["7.2.0.192.in-addr.arpa": (1...15).map { .ptr("n\($0).sender.test") }]
        records["n12.sender.test"] = [.a(.v4(192, 0, 2, 7))]
        let resolver = CountingResolver(DNSTable(records: records))
        #expect(await ReverseDNSStage(resolver: resolver).decide(facts("192.0.2.7")).result == "unconfirmed")
        #expect(resolver.queries.count == 11)
    }
}

@Suite struct SenderStageTests {
    @Test func syntax() async {
        let stage = SenderSyntaxStage()
        #expect(await stage.decide(facts(nil, from: "a@example.org")).result == "valid")
        #expect(await stage.decide(facts(nil, from: "")).result == "null")
        let local = await stage.decide(facts(nil, from: "root@localhost"))
        #expect(local.result == "invalid")
        #expect(local.rules[0].name == "NON_FQDN_SENDER")
        #expect(await stage.decide(facts(nil, from: "a@-bad.example")).result == "invalid")
        #expect(await stage.decide(facts(nil, from: "a@bad..example")).result == "invalid")
        #expect(await stage.decide(facts(nil, from: "a@[192.0.2.1]")).result == "valid")
        #expect(await stage.decide(facts(nil, from: "\"x@y\"@example.org")).result == "valid")
        #expect(await stage.decide(facts(nil, from: "user@bücher.example")).result == "valid")
    }

    let table = DNSTable(records: [
        "mx.test": [.mx(preference: 10, exchange: "mail.mx.test")],
        "implicit.test": [.a(.v4(192, 0, 2, 5))],
        "v6only.test": [.aaaa(IPAddress("2001:db8::5")!)],
        "nullmx.test": [.mx(preference: 0, exchange: "")],
        "empty.test": [.txt([Array("v=spf1 -all".utf8)])],
    ], failing: ["broken.test"])

    @Test(arguments: [
        ("a@mx.test", "pass"), ("a@MX.Test", "pass"), ("a@implicit.test", "pass"), ("a@v6only.test", "pass"),
        ("a@nullmx.test", "nullmx"), ("a@nowhere.test", "nxdomain"), ("a@empty.test", "norecords"),
        ("a@broken.test", "temperror"), ("", "skipped"), ("a@[192.0.2.1]", "skipped"), ("a@localhost", "skipped"),
    ])
    func domain(_ sender: String, _ result: String) async {
        #expect(await SenderDomainStage(resolver: table).decide(facts(nil, from: sender)).result == result)
    }
}

@Suite struct InboundPolicyTests {
    @Test func actionsParse() {
        #expect(PolicyAction("reject") == .reject)
        #expect(PolicyAction("score 1.5") == .score(1500))
        #expect(PolicyAction("score -0.25") == .score(-250))
        #expect(PolicyAction("score 3") == .score(3000))
        for bad in ["", "score", "score x", "score 1.2345", "rejected", "reject now", "score 1e3"] { #expect(PolicyAction(bad) == nil, "\(bad)") }
        #expect(PolicyAction.points(5500) == "5.5")
        #expect(PolicyAction.points(-250) == "-0.25")
    }

    func pipeline(_ decisions: [StageDecision], policy: InboundPolicy = .standard) -> InboundVerdict {
        InboundPipeline(stages: [], policy: policy).judge(decisions)
    }

    @Test func rejectHasTheReasonAndEnhancedCode() {
        let v = pipeline([
            StageDecision(stage: "spf", result: "fail", rules: [RuleResult(name: "SPF_FAIL", contributionMilli: 0, evidence: "bad.test: -all matched 192.0.2.1")]),
            StageDecision(stage: "rdns", result: "confirmed"),
        ])
        #expect(v.action == .reject)
        #expect(v.reply?.code == 550)
        #expect(v.reply?.enhanced == "5.7.23")
        #expect(v.reply?.text == "SPF fail: bad.test: -all matched 192.0.2.1")
        #expect(v.reason == "spf fail → reject")
        let dnsbl = pipeline([StageDecision(stage: "dnsbl", result: "listed", rules: [RuleResult(name: "X", contributionMilli: 0, evidence: "listed\u{7}\r\n in bl")])])
        #expect(dnsbl.reply?.code == 554)
        #expect(dnsbl.reply?.text == "client address blocked: listed??? in bl")  // never a line break in a reply
        #expect(pipeline([StageDecision(stage: "sender", result: "invalid")]).reply?.code == 504)
        #expect(pipeline([StageDecision(stage: "sender-domain", result: "nxdomain")]).reply?.enhanced == "5.1.8")
    }

    @Test func temporaryErrorsTempfailButRejectWins() {
        let temp = pipeline([StageDecision(stage: "spf", result: "temperror", rules: [RuleResult(name: "T", contributionMilli: 0, evidence: "TXT x: timeout")])])
        #expect(temp.action == .tempfail)
        #expect(temp.reply?.code == 451)
        #expect(temp.reply?.enhanced == "4.4.3")
        #expect(temp.reply?.text.hasPrefix("temporary DNS failure (spf temperror): TXT x: timeout") == true)
        let both = pipeline([StageDecision(stage: "spf", result: "temperror"), StageDecision(stage: "dnsbl", result: "listed")])
        #expect(both.action == .reject)
    }

    @Test func scoresAddUpToJunkAndReject() {
        let some = pipeline([StageDecision(stage: "spf", result: "softfail"), StageDecision(stage: "rdns", result: "none")])
        #expect(some.totalScoreMilli == 3500)
        #expect(some.action == .accept)
        #expect(some.reason == "score 3.5 < junk_score 5")
        let more = pipeline([StageDecision(stage: "spf", result: "softfail"), StageDecision(stage: "rdns", result: "none"),
                             StageDecision(stage: "dnsbl", result: "listed", scoreMilli: 2000)],
                            policy: InboundPolicy(actions: InboundPolicy.standard.actions.merging(["dnsbl.listed": .accept]) { $1 }, junkScoreMilli: 5000))
        #expect(more.totalScoreMilli == 5500)
        #expect(more.action == .junk)
        #expect(more.reason == "score 5.5 ≥ junk_score 5")
        #expect(more.reply == nil)
        var strict = InboundPolicy.standard
        strict.rejectScoreMilli = 3000
        let refused = pipeline([StageDecision(stage: "spf", result: "softfail"), StageDecision(stage: "rdns", result: "none")], policy: strict)
        #expect(refused.action == .reject)
        #expect(refused.reply?.text == "message refused: spam score 3.5 (limit 3)")
        #expect(pipeline([StageDecision(stage: "spf", result: "fail")], policy: .development).action == .junk)
    }

    @Test func recordedDecisionsExplainEveryStep() {
        let v = pipeline([StageDecision(stage: "rdns", result: "none", scoreMilli: 200, rules: [RuleResult(name: "RDNS_NONE", contributionMilli: 200, evidence: "no PTR")])])
        let events = v.filterDecisions(context: .system("smtp"), received: 0, mailFrom: "a@b.test", helo: "h.test")
        #expect(events.map(\.stage) == ["rdns", "policy"])
        #expect(events[0].verdict == "accept")
        #expect(events[0].result == "none")
        #expect(events[0].scoreMilli == 1700)
        #expect(events[0].rules.map(\.name) == ["RDNS_NONE", "POLICY"])
        #expect(events[0].rules[1].evidence == "rdns.none → score 1.5")
        #expect(events[0].rules[1].contributionMilli == 1500)
        #expect(events[1].verdict == "accept")
        #expect(events[1].scoreMilli == 1700)
        #expect(events.allSatisfy { $0.mailFrom == "a@b.test" && $0.helo == "h.test" && $0.received == 0 })
    }
}

@Suite struct InboundPipelineTests {
    let table = DNSTable(records: [
        "10.2.0.192.in-addr.arpa": [.ptr("host.sender.test")], "host.sender.test": [.a(.v4(192, 0, 2, 10))],
        "10.2.0.192.bl.test": [.a(.v4(127, 0, 0, 2))],
        "sender.test": [.mx(preference: 10, exchange: "host.sender.test")],
    ], failing: ["broken.test"])

    func pipeline(_ policy: InboundPolicy = .standard, trusted: [(address: IPAddress, prefixLength: Int)] = InboundPipeline.loopback) -> InboundPipeline {
        InboundPipeline(stages: [SenderSyntaxStage(), SenderDomainStage(resolver: table), ReverseDNSStage(resolver: table),
                                 DNSBLStage(zones: [DNSBLZone(zone: "bl.test")], resolver: table)],
                        policy: policy, trustedNetworks: trusted)
    }

    @Test func decisionsComeInConfiguredOrder() async {
        let v = await pipeline().evaluate(facts("192.0.2.10"))
        #expect(v.decisions.map(\.decision.stage) == ["sender", "sender-domain", "rdns", "dnsbl"])
        #expect(v.decisions.map(\.decision.result) == ["valid", "pass", "confirmed", "listed"])
        #expect(v.action == .reject)
        #expect(v.reply?.code == 554)
        let fine = await pipeline().evaluate(facts("192.0.2.11"))
        #expect(fine.decisions.map(\.decision.result) == ["valid", "pass", "none", "none"])
        #expect(fine.action == .accept)
        #expect(fine.totalScoreMilli == 1500)
        #expect(await pipeline().evaluate(facts("192.0.2.11", from: "a@broken.test")).action == .tempfail)
    }

    @Test func trustedClientsSkipNetworkStagesButNotSyntax() async {
        let v = await pipeline().evaluate(facts("127.0.0.1", from: "root@localhost"))
        #expect(v.decisions.map(\.decision.result) == ["invalid", "skipped", "skipped", "skipped"])
        #expect(v.decisions[1].decision.rules[0].evidence == "client in trusted network 127.0.0.0/8")
        #expect(v.action == .reject)
        #expect(await pipeline(trusted: []).evaluate(facts("127.0.0.1")).decisions[2].decision.result == "none")
        #expect(await pipeline().evaluate(facts("::1")).decisions[3].decision.result == "skipped")
    }
}
