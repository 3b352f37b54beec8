import Foundation
import Journal
import Pipeline
import Testing
@testable import Frontends
@testable import Projections

/// DKIM and DMARC after DATA on the MX listener, over a real socket, journal and projections:
/// a forged From with p=reject is refused with the DMARC reason and nothing is stored; a
/// signed message is delivered with Authentication-Results recorded with its delivery, and a
/// forged Authentication-Results claiming Roost's name is renamed.
extension SMTPServerTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// The py2048 key from the DKIM fixtures' zone, and DMARC records for the test domains.
    static func dmarcTable() throws -> DNSTable {
        let zone = String(decoding: try Data(contentsOf: fixtures.appendingPathComponent("dns/dkim.test.zone")), as: UTF8.self)
        let line = try #require(zone.split(separator: "\n").first { $0.hasPrefix("py2048._domainkey ") })
        let strings = line.split(separator: "\"").enumerated().filter { $0.offset % 2 == 1 }.map { Array($0.element.utf8) }
        return DNSTable(records: [
            "py2048._domainkey.dkim.test": [.txt(strings)],
            "_dmarc.dkim.test": [.txt([Array("v=DMARC1; p=reject".utf8)])],
            "_dmarc.forged.test": [.txt([Array("v=DMARC1; p=reject; rua=mailto:reports@forged.test".utf8)])],
            "_dmarc.careful.test": [.txt([Array("v=DMARC1; p=quarantine".utf8)])],
            "fine.test": [.mx(preference: 10, exchange: "mx.fine.test")],
        ])
    }

    static func messagePipeline(_ table: DNSTable) -> InboundPipeline {
        InboundPipeline(stages: [DKIMStage(resolver: table), DMARCStage(resolver: table)], policy: .standard, trustedNetworks: [])
    }

    static func decisions(_ f: Fixture, after sequence: UInt64) throws -> [FilterDecision] {
        var out: [FilterDecision] = []
        guard f.journal.lastSequence > sequence else { return out }
        for seq in (sequence + 1)...f.journal.lastSequence {
            if let d = try Event.decode(f.journal.record(seq))?.body as? FilterDecision { out.append(d) }
        }
        return out
    }

    @Test func forgedFromWithRejectPolicyIsRefusedAfterData() async throws {
        let f = try await Fixture()
        let table = try Self.dmarcTable()
        try await f.run(pipeline: Self.pipeline(dnsbl: false), messagePipeline: Self.messagePipeline(table)) { port in
            let client = try await TestClient(port: port)
            _ = try await client.readReply()
            _ = try await client.command("EHLO client.example")
            #expect(try await client.command("MAIL FROM:<ann@fine.test>") == "250 2.1.0 Ok")
            #expect(try await client.command("RCPT TO:<alice@example.org>") == "250 2.1.5 Ok")
            _ = try await client.command("DATA")
            let before = f.journal.lastSequence
            let reply = try #require(try await client.command("From: CEO <ceo@forged.test>\r\nSubject: wire the money\r\n\r\nnow\r\n."))
            #expect(reply.hasPrefix("550 5.7.26 rejected by the sender domain's DMARC policy (reject): header.from=forged.test policy.domain=forged.test p=reject"))
            #expect(reply.hasSuffix("no aligned SPF or DKIM pass"))
            // Recorded before the reply, with the envelope, and nothing stored.
            let decisions = try Self.decisions(f, after: before)
            #expect(decisions.map(\.stage) == ["sender", "sender-domain", "rdns", "dkim", "dmarc", "policy"])
            #expect(decisions.allSatisfy { $0.received == 0 && $0.mailFrom == "ann@fine.test" && $0.recipients == ["alice@example.org"] })
            #expect(decisions[4].verdict == "reject" && decisions[4].result == "reject")
            #expect(decisions[3].result == "none")
            #expect(try f.store.messages(mailbox: f.inbox).isEmpty && f.store.messages(mailbox: f.junk).isEmpty)
            // The session goes on: the next transaction works.
            #expect(try await client.command("MAIL FROM:<ann@fine.test>") == "250 2.1.0 Ok")
            _ = try await client.command("QUIT")
        }
    }

    @Test func signedMessageIsDeliveredWithAuthenticationResults() async throws {
        let f = try await Fixture()
        let table = try Self.dmarcTable()
        let signed = String(decoding: try Data(contentsOf: Self.fixtures.appendingPathComponent("dkim/dkimpy-rsa-relaxed.eml")), as: UTF8.self)
        // Someone upstream claims to be us; the claim must not survive.
        let sent = "Authentication-Results: mx.example.org; dkim=pass header.d=bank.example\r\n" + signed
        try await f.run(pipeline: Self.pipeline(dnsbl: false), messagePipeline: Self.messagePipeline(table)) { port in
            let client = try await TestClient(port: port)
            _ = try await client.readReply()
            _ = try await client.command("EHLO client.example")
            #expect(try await client.command("MAIL FROM:<ann@fine.test>") == "250 2.1.0 Ok")
            #expect(try await client.command("RCPT TO:<alice@example.org>") == "250 2.1.5 Ok")
            _ = try await client.command("DATA")
            let reply = try #require(try await client.command(sent + "."))
            #expect(reply.hasPrefix("250 2.0.0 Ok: queued as "))
            let id = UInt64(reply.split(separator: " ").last!)!
            let received = try #require(try Event.decode(f.journal.record(id))?.body as? MessageReceived)
            let stored = String(decoding: received.message, as: UTF8.self)
            #expect(stored.hasPrefix("X-Roost-Untrusted-Authentication-Results: mx.example.org; dkim=pass header.d=bank.example\r\nDKIM-Signature:"))
            #expect(stored.hasSuffix(signed))
            let delivered = try #require(try Event.decode(f.journal.record(id + 1))?.body as? MessageDelivered)
            #expect(delivered.mailbox == f.inbox)
            let added = String(decoding: delivered.addedHeader, as: UTF8.self)
            #expect(added.contains("Authentication-Results: mx.example.org;\r\n\tdkim=pass header.d=dkim.test header.i=@dkim.test header.s=py2048 header.a=rsa-sha256 header.b="))
            #expect(added.contains(";\r\n\tdmarc=pass (p=reject dis=none) header.from=dkim.test\r\n"))
            #expect(added.hasPrefix("Return-Path: <ann@fine.test>\r\nAuthentication-Results: "))
            let decisions = try Self.decisions(f, after: id)
            #expect(decisions.map(\.stage) == ["sender", "sender-domain", "rdns", "dkim", "dmarc", "policy"])
            #expect(decisions.allSatisfy { $0.received == id })
            #expect(decisions[3].rules[0].name == "dkim.pass")
            _ = try await client.command("QUIT")
        }
    }

    @Test func quarantinePolicyDeliversToJunk() async throws {
        let f = try await Fixture()
        let table = try Self.dmarcTable()
        var envelope = InboundPolicy.standard
        envelope.actions["rdns.none"] = .accept
        let pipeline = InboundPipeline(stages: [SenderSyntaxStage(), SenderDomainStage(resolver: table), ReverseDNSStage(resolver: table)],
                                       policy: envelope, trustedNetworks: [])
        var message = Self.messagePipeline(table)
        message.policy = envelope
        try await f.run(pipeline: pipeline, messagePipeline: message) { port in
            let client = try await TestClient(port: port)
            _ = try await client.readReply()
            _ = try await client.command("EHLO client.example")
            _ = try await client.command("MAIL FROM:<ann@fine.test>")
            _ = try await client.command("RCPT TO:<alice@example.org>")
            _ = try await client.command("DATA")
            let reply = try #require(try await client.command("From: news@careful.test\r\nSubject: hi\r\n\r\nbody\r\n."))
            #expect(reply.hasPrefix("250 2.0.0 Ok: queued as "))
            #expect(try f.store.messages(mailbox: f.junk).count == 1)
            #expect(try f.store.messages(mailbox: f.inbox).isEmpty)
            _ = try await client.command("QUIT")
        }
    }
}
