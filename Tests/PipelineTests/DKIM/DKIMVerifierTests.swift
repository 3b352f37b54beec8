import Foundation
import Journal
import Testing
@testable import Pipeline

@Suite struct DKIMVerifierTests {
    static let message = "From: a@unit.test\r\nTo: b@example.org\r\nSubject: hello\r\n\r\nBody line\r\n"

    @Test func passesItsOwnSignature() async throws {
        let signer = DKIMTestSigner()
        let results = await DKIMVerifier(resolver: signer.table).verify(try signer.sign(Self.message), now: 1000)
        #expect(results.map(\.status) == [.pass])
        #expect(results.first?.domain == "unit.test")
        #expect(results.first?.selector == "unit")
        #expect(results.first?.algorithm == "ed25519-sha256")
        #expect(results.first?.identity == "@unit.test")
    }

    @Test func expiredAndFutureSignatures() async throws {
        let signer = DKIMTestSigner()
        let verifier = DKIMVerifier(resolver: signer.table)
        let expired = await verifier.verify(try signer.sign(Self.message, tags: "t=100; x=200; "), now: 1000)
        #expect(expired.first?.status == .permerror)
        #expect(expired.first?.reason == "signature expired (x=200)")
        let valid = await verifier.verify(try signer.sign(Self.message, tags: "t=100; x=2000; "), now: 1000)
        #expect(valid.first?.status == .pass)
        let future = await verifier.verify(try signer.sign(Self.message, tags: "t=5000; "), now: 1000)
        #expect(future.first?.status == .permerror)
        #expect(future.first?.reason?.contains("in the future") == true)
        let skew = await verifier.verify(try signer.sign(Self.message, tags: "t=1200; "), now: 1000)
        #expect(skew.first?.status == .pass, "a few minutes of clock skew are fine")
        let backwards = await verifier.verify(try signer.sign(Self.message, tags: "t=300; x=200; "), now: 100)
        #expect(backwards.first?.reason == "x= is before t=")
    }

    @Test func bodyLengthLimits() async throws {
        let signer = DKIMTestSigner()
        let verifier = DKIMVerifier(resolver: signer.table)
        // "Body line\r\n" is 11 canonical bytes.
        let whole = await verifier.verify(try signer.sign(Self.message, bodyLength: 11), now: 0)
        #expect(whole.first?.status == .pass)
        #expect(whole.first?.unsignedBodyBytes == 0)
        let part = await verifier.verify(try signer.sign(Self.message, bodyLength: 4), now: 0)
        #expect(part.first?.status == .policy)
        #expect(part.first?.reason == "body length limit l=4 leaves 7 bytes unsigned")
        let past = await verifier.verify(try signer.sign(Self.message, bodyLength: 12), now: 0)
        #expect(past.first?.status == .permerror)
        #expect(past.first?.reason == "l=12 is longer than the body (11 bytes)")
        let zero = await verifier.verify(try signer.sign(Self.message, bodyLength: 0), now: 0)
        #expect(zero.first?.status == .policy, "l=0 signs no body at all")
    }

    @Test func oversigningCatchesAnAddedField() async throws {
        let signer = DKIMTestSigner()
        let verifier = DKIMVerifier(resolver: signer.table)
        let signed = try signer.sign(Self.message, headers: "from:to:subject:subject")
        #expect(await verifier.verify(signed, now: 0).first?.status == .pass)
        // A second Subject added above the signed one: the oversigned empty slot now has a field.
        let moved = Array(String(decoding: signed, as: UTF8.self).replacingOccurrences(of: "To: b@", with: "Subject: win\r\nTo: b@").utf8)
        #expect(await verifier.verify(moved, now: 0).first?.reason == "signature mismatch")
        // Without oversigning the same addition goes unnoticed (the reason oversigning exists).
        let plain = try signer.sign(Self.message, headers: "from:to:subject")
        let added = Array(String(decoding: plain, as: UTF8.self).replacingOccurrences(of: "To: b@", with: "Subject: win\r\nTo: b@").utf8)
        #expect(await verifier.verify(added, now: 0).first?.status == .pass)
    }

    @Test func unsignedAndBrokenSignatures() async throws {
        let signer = DKIMTestSigner()
        let verifier = DKIMVerifier(resolver: signer.table)
        #expect(await verifier.verify(Array(Self.message.utf8), now: 0).isEmpty)
        let noFrom = await verifier.verify(try signer.sign(Self.message, headers: "to:subject"), now: 0)
        #expect(noFrom.first?.status == .permerror)
        #expect(noFrom.first?.reason == "h= does not sign From")
        #expect(noFrom.first?.domain == "unit.test", "identifiers are reported even for unusable signatures")
        let garbage = await verifier.verify(Array(("DKIM-Signature: \u{1}garbage;;;\r\n" + Self.message).utf8), now: 0)
        #expect(garbage.first?.status == .permerror)
        #expect(garbage.first?.reason?.hasPrefix("signature syntax:") == true)
        #expect(garbage.first?.rule.evidence.hasPrefix("(unreadable signature): signature syntax:") == true)
    }

    @Test func onlyTheFirstEightSignaturesAreChecked() async throws {
        let signer = DKIMTestSigner()
        var message = try signer.sign(Self.message)
        for _ in 0..<9 { message = try signer.sign(String(decoding: message, as: UTF8.self)) }
        let results = await DKIMVerifier(resolver: signer.table).verify(message, now: 0)
        #expect(results.count == 10)
        #expect(results.prefix(8).allSatisfy { $0.status == .pass })
        #expect(results.suffix(2).allSatisfy { $0.status == .neutral && $0.reason == "not checked: more than 8 signatures" })
    }

    @Test func bareLineFeedsAreReadAsCRLF() async throws {
        let signer = DKIMTestSigner()
        let signed = String(decoding: try signer.sign(Self.message), as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
        #expect(await DKIMVerifier(resolver: signer.table).verify(Array(signed.utf8), now: 0).first?.status == .pass)
    }

    @Test func keyRecordOddities() async throws {
        var signer = DKIMTestSigner()
        signer.selector = "k"
        let message = try signer.sign(Self.message)
        func verify(_ records: [DNSRecordData]) async -> DKIMResult? {
            await DKIMVerifier(resolver: DNSTable(records: ["k._domainkey.unit.test": records])).verify(message, now: 0).first
        }
        let key = String(decoding: signer.keyRecord.joinedText!, as: UTF8.self)
        #expect(await verify([.txt([Array("v=DKIM1; k=ed25519; s=email; p=".utf8)])])?.reason == "key revoked")
        #expect(await verify([.txt([Array(key.utf8) + Array("; s=other".utf8)])])?.reason == "key is not for email (s=other)")
        #expect(await verify([.txt([Array(key.utf8) + Array("; s=*".utf8)])])?.status == .pass)
        #expect(await verify([.txt([Array("k=ed25519; v=DKIM1; p=abcd".utf8)])])?.reason == "key record is not v=DKIM1")
        #expect(await verify([.txt([Array("garbage".utf8)]), signer.keyRecord])?.status == .pass, "the first usable record is used")
        // A key split across character-strings is joined without separators.
        let split = signer.keyRecord.joinedText!
        #expect(await verify([.txt([Array(split.prefix(20)), Array(split.dropFirst(20))])])?.status == .pass)
        #expect(await verify([.a(IPAddress("192.0.2.1")!)])?.reason?.hasPrefix("no key for signature") == true)
    }

    @Test func resultsRoundTripThroughTheirRule() {
        let results = [
            DKIMResult(status: .pass, domain: "example.com", selector: "s1", algorithm: "rsa-sha256", identity: "@example.com", signaturePrefix: "abcdefgh"),
            DKIMResult(status: .policy, reason: "body length limit l=4 leaves 7 bytes unsigned: see", domain: "example.com", selector: "s", algorithm: "ed25519-sha256",
                       identity: "user@mail.example.com", signaturePrefix: "AB+/cd==", bodyLengthLimit: 4, unsignedBodyBytes: 7, testing: true),
            DKIMResult(status: .permerror, reason: "signature syntax: bad tag name: 'x'"),
        ]
        for result in results {
            #expect(DKIMResult(rule: result.rule) == result)
        }
        #expect(DKIMResult(rule: RuleResult(name: "spf.pass", contributionMilli: 0, evidence: "")) == nil)
    }

    @Test func theStageSummarisesItsSignatures() async throws {
        let pass = DKIMResult(status: .pass, domain: "a.example")
        let fail = DKIMResult(status: .fail, reason: "body hash mismatch", domain: "b.example")
        let perm = DKIMResult(status: .permerror, reason: "no key for signature", domain: "c.example")
        #expect(DKIMStage.decision([fail, pass]).result == "pass")
        #expect(DKIMStage.decision([perm, fail]).result == "fail")
        #expect(DKIMStage.decision([perm]).result == "permerror")
        #expect(DKIMStage.decision([]).result == "none")
        let decision = DKIMStage.decision([fail, pass, perm])
        #expect(decision.stage == "dkim")
        #expect(decision.rules.map(\.name) == ["dkim.fail", "dkim.pass", "dkim.permerror"])
        #expect(DKIMStage.results(in: decision) == [fail, pass, perm])

        let signer = DKIMTestSigner()
        let stage = DKIMStage(resolver: signer.table)
        var facts = InboundFacts(clientIP: nil, helo: "h", mailFrom: "a@unit.test", message: try signer.sign(Self.message, tags: "x=50; "))
        facts.receivedAt = 10
        #expect(await stage.decide(facts).result == "pass", "time comes from the facts, so replay gives the same answer")
        facts.receivedAt = 100
        #expect(await stage.decide(facts).result == "permerror")
        facts.message = nil
        #expect(await stage.decide(facts).result == "none")
    }
}
