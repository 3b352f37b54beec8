import Journal
import Pipeline
import Testing

@Suite struct SPFStageTests {
    static let table: DNSTable = {
        var z = SPFZone()
        z.txt("example.test", "v=spf1 ip4:192.0.2.0/25 -all exp=why.example.test")
        z.txt("why.example.test", "%{i} is not allowed to send for %{d}")
        z.txt("mail.example.test", "v=spf1 a -all")
        z.a("mail.example.test", "192.0.2.10")
        z.failing = ["slow.example.test"]
        return z.table
    }()

    @Test func failCarriesMechanismAndExplanation() async {
        let stage = SPFStage(resolver: Self.table)
        #expect(stage.name == "spf")
        let facts = InboundFacts(clientIP: IPAddress("192.0.2.200"), helo: "mail.example.test", mailFrom: "bob@example.test")
        let decision = await stage.decide(facts)
        #expect(decision.stage == "spf" && decision.result == "fail" && decision.scoreMilli == 0)
        #expect(decision.rules == [
            RuleResult(name: "spf.mailfrom", contributionMilli: 0, evidence:
                "spf=fail smtp.mailfrom=example.test: 192.0.2.200 is not allowed by example.test (mechanism -all); explanation: 192.0.2.200 is not allowed to send for example.test"),
            RuleResult(name: "spf.helo", contributionMilli: 0, evidence:
                "spf=fail smtp.helo=mail.example.test: 192.0.2.200 is not allowed by mail.example.test (mechanism -all)"),
        ])
    }

    @Test func passAndHELOPass() async {
        let stage = SPFStage(resolver: Self.table)
        let decision = await stage.decide(InboundFacts(clientIP: IPAddress("192.0.2.10"), helo: "mail.example.test", mailFrom: "bob@example.test"))
        #expect(decision.result == "pass")
        #expect(decision.rules.map(\.evidence) == [
            "spf=pass smtp.mailfrom=example.test: 192.0.2.10 is allowed by example.test (mechanism ip4:192.0.2.0/25)",
            "spf=pass smtp.helo=mail.example.test: 192.0.2.10 is allowed by mail.example.test (mechanism a)",
        ])
    }

    @Test func nullSenderIsTheHELOIdentity() async {
        let stage = SPFStage(resolver: Self.table)
        let decision = await stage.decide(InboundFacts(clientIP: IPAddress("192.0.2.10"), helo: "mail.example.test", mailFrom: ""))
        #expect(decision.result == "pass")
        #expect(decision.rules.first?.evidence ==
            "spf=pass smtp.mailfrom=postmaster@mail.example.test: 192.0.2.10 is allowed by mail.example.test (mechanism a)")
    }

    @Test func temporaryDNSFailureIsTemperrorNeverAVerdict() async {
        let stage = SPFStage(resolver: Self.table)
        let decision = await stage.decide(InboundFacts(clientIP: IPAddress("192.0.2.10"), helo: "helo.invalid", mailFrom: "a@slow.example.test"))
        #expect(decision.result == "temperror")
        #expect(decision.rules.first?.evidence.hasPrefix("spf=temperror smtp.mailfrom=slow.example.test: slow.example.test: DNS: ") == true)
        #expect(decision.rules.last?.evidence == "spf=none smtp.helo=helo.invalid: helo.invalid: no SPF record")
    }

    @Test func heloIdentityCanBeLeftToTheNullSender() async {
        let stage = SPFStage(resolver: Self.table, checksHELOIdentity: false)
        let decision = await stage.decide(InboundFacts(clientIP: IPAddress("192.0.2.10"), helo: "mail.example.test", mailFrom: "bob@example.test"))
        #expect(decision.result == "pass" && decision.rules.map(\.name) == ["spf.mailfrom"])
        let bounce = await stage.decide(InboundFacts(clientIP: IPAddress("192.0.2.99"), helo: "mail.example.test", mailFrom: ""))
        #expect(bounce.result == "fail" && bounce.rules.map(\.name) == ["spf.mailfrom", "spf.helo"])
    }

    @Test func noClientAddress() async {
        let decision = await SPFStage(resolver: Self.table).decide(InboundFacts(clientIP: nil, helo: "x", mailFrom: "a@example.test"))
        #expect(decision.result == "none")
    }
}

/// SPF over the real resolver and the Knot test server (Tests/Fixtures/dns/spf.test.zone).
@Suite struct SPFOverLiveDNSTests {
    func evaluator() async throws -> (SPFEvaluator, LiveDNSResolver) {
        let server = try await DNSTestServer.shared()
        let resolver = LiveDNSResolver(nameservers: [server.server], timeout: .seconds(2), attempts: 2)
        return (SPFEvaluator(resolver: resolver), resolver)
    }

    @Test func typicalRecordThroughTheCache() async throws {
        let (spf, resolver) = try await evaluator()
        #expect(await spf.checkMailFrom(ip: IPAddress("192.0.2.7")!, mailFrom: "a@spf.test", helo: "x.spf.test").code == .pass)
        let viaInclude = await spf.checkMailFrom(ip: IPAddress("198.51.100.9")!, mailFrom: "a@spf.test", helo: "x.spf.test")
        #expect(viaInclude.code == .pass && viaInclude.mechanism == "include:_spf.provider.spf.test")
        #expect(await spf.checkMailFrom(ip: IPAddress("2001:db8:5::1")!, mailFrom: "a@spf.test", helo: "x.spf.test").code == .pass)
        #expect(await spf.checkMailFrom(ip: IPAddress("203.0.113.1")!, mailFrom: "a@spf.test", helo: "x.spf.test").code == .softfail)
        let before = resolver.upstreamQueryCount
        #expect(await spf.checkMailFrom(ip: IPAddress("198.51.100.9")!, mailFrom: "a@spf.test", helo: "x.spf.test").code == .pass)
        #expect(resolver.upstreamQueryCount == before, "answered from the cache")
    }

    @Test func failWithExplanationOverDNS() async throws {
        let (spf, _) = try await evaluator()
        let result = await spf.checkMailFrom(ip: IPAddress("192.0.2.9")!, mailFrom: "a@strict.spf.test", helo: "x.spf.test")
        #expect(result.code == .fail && result.explanation == "192.0.2.9 is not one of strict.spf.test's mail servers")
        #expect(await spf.checkMailFrom(ip: IPAddress("192.0.2.200")!, mailFrom: "a@strict.spf.test", helo: "x").code == .pass)
    }

    @Test func servfailIsTemperrorAndDuplicatesPermerror() async throws {
        let (spf, _) = try await evaluator()
        #expect(await spf.checkMailFrom(ip: IPAddress("192.0.2.9")!, mailFrom: "a@broken.spf.test", helo: "x").code == .temperror)
        #expect(await spf.checkMailFrom(ip: IPAddress("192.0.2.9")!, mailFrom: "a@double.spf.test", helo: "x").code == .permerror)
        #expect(await spf.checkMailFrom(ip: IPAddress("192.0.2.9")!, mailFrom: "a@nothing.spf.test", helo: "x").code == .none)
    }

    @Test func timeoutIsTemperror() async throws {
        let server = try await DNSTestServer.shared()
        let spf = SPFEvaluator(resolver: LiveDNSResolver(nameservers: [server.silentServer], timeout: .seconds(1), attempts: 1))
        #expect(await spf.checkMailFrom(ip: IPAddress("192.0.2.9")!, mailFrom: "a@spf.test", helo: "x").code == .temperror)
    }
}

/// The record parser on garbage, oversized and truncated input: always a value or a
/// SyntaxError, never a crash.
@Suite struct SPFRecordRobustnessTests {
    @Test func garbageAndTruncations() {
        let record = Array("v=spf1 a:%{d2}.x.example.com/24//64 mx:%{l1r-}.example.org ip6:2001:db8::/32 include:%{ir}.%{v}.example.net exists:%{p}.e.example.com redirect=%{o} exp=%{H}.example.com ?all".utf8)
        #expect((try? SPFRecord(parsing: record)) != nil)
        for length in 0...record.count { _ = try? SPFRecord(parsing: Array(record.prefix(length))) }
        var generator = SplitMix(seed: 11)
        let alphabet = Array("v=spf1 %{}:/.-+~?allincludemxptrip4ip6exists0123456789redirectexp=slodipvhcrt_,".utf8)
        for _ in 0..<4000 {
            let count = Int(generator.next() % 120)
            var bytes = Array("v=spf1 ".utf8)
            for _ in 0..<count { bytes.append(alphabet[Int(generator.next() % UInt64(alphabet.count))]) }
            _ = try? SPFRecord(parsing: bytes)
            _ = try? MacroString(parsing: String(decoding: bytes, as: UTF8.self), context: .explanation)
        }
        let huge = Array("v=spf1 ".utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: SPFRecord.maximumLength)
        #expect(throws: SPFRecord.SyntaxError.self) { try SPFRecord(parsing: huge) }
    }
}
