import Foundation
import Journal
import MailMessage
import Testing
@testable import Pipeline

@Suite struct PublicSuffixListTests {
    @Test(arguments: [
        ("example.com", "example.com"),
        ("mail.example.com", "example.com"),
        ("a.b.c.example.com.", "example.com"),
        ("MAIL.Example.CO.UK", "example.co.uk"),
        ("example.co.uk", "example.co.uk"),
        ("co.uk", "co.uk"),
        ("com", "com"),
        ("www.ck", "www.ck"),        // !www.ck: an exception to *.ck
        ("a.www.ck", "www.ck"),
        ("a.b.ck", "a.b.ck"),        // *.ck: b.ck is a public suffix
        ("mail.dkim.test", "dkim.test"),  // no rule: the implicit *
        ("user.github.io", "user.github.io"),  // a private-section suffix
        ("x.example.xn--p1ai", "example.xn--p1ai"),
        ("x.example.рф", "example.рф"),
    ])
    func organisationalDomains(_ domain: String, _ expected: String) {
        #expect(PublicSuffixList.shared.organizationalDomain(of: domain) == expected)
    }

    @Test func theShippedListIsComplete() {
        #expect(PublicSuffixList.shared.count > 9000)
        #expect(PublicSuffixList.shared.publicSuffix(of: "foo.bar.kawasaki.jp") == "bar.kawasaki.jp")
        #expect(PublicSuffixList.shared.publicSuffix(of: "city.kawasaki.jp") == "kawasaki.jp")
    }
}

@Suite struct DMARCRecordTests {
    func parse(_ text: String) -> Result<DMARCRecord, DKIMSignatureError> { DMARCRecord.parse(Array(text.utf8)) }

    @Test func readsAllTags() throws {
        let r = try parse("v=DMARC1; p=Reject; sp=none; adkim=s; aspf=s; pct=20; rua=mailto:d@example.com; fo=1").get()
        #expect(r.policy == .reject && r.subdomainPolicy == DMARCRecord.Policy.none)
        #expect(r.dkimAlignment == .strict && r.spfAlignment == .strict)
        #expect(r.percent == 20)
        #expect(r.aggregateReports == "mailto:d@example.com")
        let defaults = try parse("v=DMARC1;p=quarantine").get()
        #expect(defaults.subdomainPolicy == nil && defaults.percent == 100 && defaults.dkimAlignment == .relaxed)
    }

    @Test func badValuesFallBackOrDiscard() throws {
        let r = try parse("v=DMARC1; p=none; pct=150; adkim=x; sp=maybe").get()
        #expect(r.percent == 100 && r.dkimAlignment == .relaxed && r.subdomainPolicy == nil)
        #expect(try parse("v=DMARC1; p=bogus; rua=mailto:a@example.com").get().policy == DMARCRecord.Policy.none, "RFC 7489 §6.6.3")
        #expect(throws: DKIMSignatureError(description: "unknown policy p=bogus")) { try parse("v=DMARC1; p=bogus").get() }
        #expect(throws: DKIMSignatureError(description: "record has no p= tag")) { try parse("v=DMARC1").get() }
        #expect(throws: DKIMSignatureError.self) { try parse("p=reject; v=DMARC1").get() }
        #expect(throws: DKIMSignatureError.self) { try parse("v=DMARC10; p=reject").get() }
        #expect(!DMARCRecord.isDMARC(Array("v=spf1 -all".utf8)))
        #expect(DMARCRecord.isDMARC(Array("v = DMARC1 ;p=none".utf8)))
    }
}

@Suite struct DMARCVerifierTests {
    static let table = DNSTable(records: [
        "_dmarc.example.com": [.txt([Array("v=DMARC1; p=reject; sp=quarantine".utf8)])],
        "_dmarc.strict.example": [.txt([Array("v=DMARC1; p=reject; adkim=s; aspf=s".utf8)])],
        "_dmarc.own.example.com": [.txt([Array("v=DMARC1; p=none".utf8)])],
        "_dmarc.half.example": [.txt([Array("v=DMARC1; p=reject; pct=50".utf8)])],
        "_dmarc.twice.example": [.txt([Array("v=DMARC1; p=reject".utf8)]), .txt([Array("v=DMARC1; p=none".utf8)])],
        "_dmarc.spf-too.example": [.txt([Array("v=spf1 -all".utf8)]), .txt([Array("v=DMARC1; p=quarantine".utf8)])],
    ], failing: ["_dmarc.broken.example"])

    let verifier = DMARCVerifier(resolver: table)
    static func dkimPass(_ d: String) -> DKIMResult { DKIMResult(status: .pass, domain: d, selector: "s") }

    @Test func alignedSPFOrDKIMPasses() async {
        let spf = await verifier.evaluate(fromDomain: "example.com", spf: ("pass", "bounces.example.com"), dkim: [], sample: 0)
        #expect(spf.status == .pass && spf.spfAligned && spf.reason == "SPF aligned")
        let dkim = await verifier.evaluate(fromDomain: "news.example.com", spf: ("fail", "other.example"), dkim: [Self.dkimPass("example.com")], sample: 0)
        #expect(dkim.status == .pass && dkim.alignedDKIMDomains == ["example.com"])
        #expect(DMARCStage.decision(dkim).result == "pass")
    }

    @Test func unalignedPassesFail() async {
        let r = await verifier.evaluate(fromDomain: "example.com", spf: ("pass", "mailer.example.net"),
                                        dkim: [Self.dkimPass("example.net"), DKIMResult(status: .fail, reason: "body hash mismatch", domain: "example.com")], sample: 0)
        #expect(r.status == .fail)
        #expect(r.disposition == .reject)
        #expect(r.policyDomain == "example.com")
        #expect(r.reason == "no aligned SPF or DKIM pass; SPF passed for mailer.example.net, not aligned")
        #expect(DMARCStage.decision(r).result == "reject")
    }

    @Test func strictAlignmentWantsTheSameName() async {
        let relaxedOnly = await verifier.evaluate(fromDomain: "strict.example", spf: ("pass", "mail.strict.example"),
                                                  dkim: [Self.dkimPass("sub.strict.example")], sample: 0)
        #expect(relaxedOnly.status == .fail)
        let exact = await verifier.evaluate(fromDomain: "strict.example", spf: ("softfail", "strict.example"), dkim: [Self.dkimPass("strict.example")], sample: 0)
        #expect(exact.status == .pass)
    }

    @Test func subdomainPolicyAndOrganisationalFallback() async {
        let sub = await verifier.evaluate(fromDomain: "shop.example.com", spf: nil, dkim: [], sample: 0)
        #expect(sub.status == .fail && sub.policyDomain == "example.com" && sub.disposition == .quarantine, "sp= for a subdomain")
        #expect(DMARCStage.decision(sub).result == "quarantine")
        // A subdomain with a record of its own uses its own p=, not the parent's sp=.
        let own = await verifier.evaluate(fromDomain: "own.example.com", spf: nil, dkim: [], sample: 0)
        #expect(own.policyDomain == "own.example.com" && own.disposition == DMARCRecord.Policy.none)
        #expect(DMARCStage.decision(own).result == "fail")
        let top = await verifier.evaluate(fromDomain: "example.com", spf: nil, dkim: [], sample: 0)
        #expect(top.disposition == .reject)
    }

    @Test func percentSamplingLowersThePolicy() async {
        let inSample = await verifier.evaluate(fromDomain: "half.example", spf: nil, dkim: [], sample: 49)
        #expect(inSample.disposition == .reject && inSample.sampled == true)
        let outside = await verifier.evaluate(fromDomain: "half.example", spf: nil, dkim: [], sample: 50)
        #expect(outside.disposition == .quarantine && outside.sampled == false)
        #expect(outside.reason?.contains("pct=50 left this message out: reject lowered to quarantine") == true)
        // The sample comes from the message bytes: the same message always gets the same one.
        let message = Array("From: a@half.example\r\n\r\nhi\r\n".utf8)
        #expect(DMARCStage.sample(message) == DMARCStage.sample(message))
        #expect((0..<100).contains(DMARCStage.sample(message)))
        let spread = Set((0..<200).map { DMARCStage.sample(Array("message \($0)".utf8)) })
        #expect(spread.count > 50, "the samples spread over 0..<100")
    }

    @Test func discoveryEdgeCases() async {
        let none = await verifier.evaluate(fromDomain: "mail.nodmarc.example", spf: ("fail", "x.example"), dkim: [], sample: 0)
        #expect(none.status == DMARCResult.Status.none)
        #expect(none.reason == "no DMARC record for mail.nodmarc.example or nodmarc.example")
        #expect(DMARCStage.decision(none).result == "none")
        let twice = await verifier.evaluate(fromDomain: "twice.example", spf: nil, dkim: [], sample: 0)
        #expect(twice.status == DMARCResult.Status.none && twice.reason == "2 DMARC records at _dmarc.twice.example")
        let mixed = await verifier.evaluate(fromDomain: "spf-too.example", spf: nil, dkim: [], sample: 0)
        #expect(mixed.disposition == .quarantine, "non-DMARC TXT records are ignored")
        let temp = await verifier.evaluate(fromDomain: "broken.example", spf: ("pass", "broken.example"), dkim: [], sample: 0)
        #expect(temp.status == .temperror)
    }

    @Test func temporaryErrorsAndLengthLimitedSignatures() async {
        let dkimTemp = await verifier.evaluate(fromDomain: "example.com", spf: ("fail", "example.com"),
                                               dkim: [DKIMResult(status: .temperror, reason: "key lookup failed", domain: "example.com")], sample: 0)
        #expect(dkimTemp.status == .temperror, "a DNS hiccup for the key is not the sender's failure")
        let limited = DKIMResult(status: .policy, reason: "body length limit l=4 leaves 7 bytes unsigned", domain: "example.com", unsignedBodyBytes: 7)
        let r = await verifier.evaluate(fromDomain: "example.com", spf: nil, dkim: [limited], sample: 0)
        #expect(r.status == .fail)
        #expect(r.reason?.contains("DKIM d=example.com ignored: body length limit leaves content unsigned") == true)
    }

    @Test func resultsRoundTripThroughTheirRule() async {
        let r = await verifier.evaluate(fromDomain: "half.example", spf: ("pass", "other.example"), dkim: [Self.dkimPass("half.example")], sample: 70)
        #expect(DMARCResult(rule: r.rule) == r)
        let f = await verifier.evaluate(fromDomain: "half.example", spf: ("pass", "other.example"), dkim: [], sample: 70)
        #expect(DMARCResult(rule: f.rule) == f)
        #expect(DMARCStage.result(in: DMARCStage.decision(f)) == f)
    }

    @Test func fromDomainNeedsOneAddress() {
        func from(_ header: String) -> String {
            switch DMARCVerifier.fromDomain(of: Message(header + "\r\nSubject: x\r\n\r\nbody\r\n")) {
            case let .success(d): d
            case let .failure(e): e.description
            }
        }
        #expect(from("From: Alice <alice@Mail.Example.COM>") == "mail.example.com")
        #expect(from("To: bob@example.com") == "message has no From field")
        #expect(from("From: a@example.com\r\nFrom: b@example.org") == "message has 2 From fields")
        #expect(from("From: a@example.com, b@example.org") == "From has 2 addresses")
        #expect(from("From: undisclosed") == "From has no usable domain" || from("From: undisclosed") == "From has no address")
    }
}

/// The stage end to end over the DKIM fixtures: DKIM verified for real, SPF as recorded.
@Suite struct DMARCStageTests {
    @Test func consumesTheSPFAndDKIMDecisions() async throws {
        let zone = try ZoneFile.table([TestFiles.fixtures.appendingPathComponent("dns/dkim.test.zone")])
        var records = zone.records
        records["_dmarc.dkim.test"] = [.txt([Array("v=DMARC1; p=reject".utf8)])]
        let dns = DNSTable(records: records)
        let message = try TestFiles.bytes(TestFiles.fixtures.appendingPathComponent("dkim/dkimpy-rsa-relaxed.eml"))
        var facts = InboundFacts(clientIP: IPAddress("192.0.2.1"), helo: "mx.other.example", mailFrom: "bounce@other.example", message: message)
        facts.receivedAt = 1_796_200_000
        let dkim = await DKIMStage(resolver: dns).decide(facts)
        #expect(dkim.result == "pass")
        facts.priorDecisions = [StageDecision(stage: "spf", result: "pass"), dkim]
        let pass = await DMARCStage(resolver: dns).decide(facts)
        #expect(pass.result == "pass")
        #expect(pass.rules.first?.evidence.contains("dkim.aligned=dkim.test") == true)

        // The same From with the body changed: DKIM fails, SPF passed for another domain.
        let tampered = try TestFiles.bytes(TestFiles.fixtures.appendingPathComponent("dkim/dkimpy-tampered-body.eml"))
        facts.message = tampered
        facts.priorDecisions = [StageDecision(stage: "spf", result: "pass"), await DKIMStage(resolver: dns).decide(facts)]
        let reject = await DMARCStage(resolver: dns).decide(facts)
        #expect(reject.result == "reject")
        #expect(reject.rules.first?.name == "dmarc.fail")

        // SPF aligned (the null sender's HELO is the From domain) rescues it.
        facts.mailFrom = ""
        facts.helo = "dkim.test"
        #expect(await DMARCStage(resolver: dns).decide(facts).result == "pass")
        facts.message = nil
        #expect(await DMARCStage(resolver: dns).decide(facts).result == "none")
    }
}
