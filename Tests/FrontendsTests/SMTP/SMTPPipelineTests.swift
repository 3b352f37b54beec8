import Journal
import Pipeline
import Testing
@testable import Frontends
@testable import Projections

/// The inbound checks on the MX listener over a fixed DNS table: decided at MAIL FROM, refusals
/// recorded with the envelope so far, accepted messages' decisions in the same batch as the
/// message, a Junk verdict delivered to the \Junk mailbox.
extension SMTPServerTests {
    static let table = DNSTable(records: [
        "1.0.0.127.bl.test": [.a(.v4(127, 0, 0, 2)), .txt([Array("listed for the test".utf8)])],
        "listed.test": [.mx(preference: 10, exchange: "mx.listed.test")],
        "fine.test": [.mx(preference: 10, exchange: "mx.fine.test")],
    ], failing: ["broken.test"])

    static func pipeline(dnsbl: Bool) -> InboundPipeline {
        var policy = InboundPolicy.standard
        policy.actions["rdns.none"] = .junk
        let stages: [any InboundStage] = [SenderSyntaxStage(), SenderDomainStage(resolver: table), ReverseDNSStage(resolver: table)]
            + (dnsbl ? [DNSBLStage(zones: [DNSBLZone(zone: "bl.test")], resolver: table)] : [])
        return InboundPipeline(stages: stages, policy: policy, trustedNetworks: [])
    }

    @Test func junkVerdictDeliversToJunkWithDecisionsInTheSameBatch() async throws {
        let f = try await Fixture()
        try await f.run(pipeline: Self.pipeline(dnsbl: false)) { port in
            let client = try await TestClient(port: port)
            _ = try await client.readReply()
            _ = try await client.command("EHLO client.example")
            #expect(try await client.command("MAIL FROM:<ann@fine.test>") == "250 2.1.0 Ok")
            #expect(try await client.command("RCPT TO:<alice@example.org>") == "250 2.1.5 Ok")
            _ = try await client.command("DATA")
            let reply = try #require(try await client.command("Subject: junk\r\n\r\nbody\r\n."))
            #expect(reply.hasPrefix("250 2.0.0 Ok: queued as "))
            let id = UInt64(reply.split(separator: " ").last!)!
            #expect(try f.store.messages(mailbox: f.inbox).isEmpty)
            #expect(try f.store.messages(mailbox: f.junk).count == 1)
            let delivered = try #require(try Event.decode(f.journal.record(id + 1))?.body as? MessageDelivered)
            #expect(delivered.mailbox == f.junk)
            var decisions: [FilterDecision] = []
            for seq in (id + 2)...f.journal.lastSequence {
                if let d = try Event.decode(f.journal.record(seq))?.body as? FilterDecision { decisions.append(d) }
            }
            #expect(decisions.map(\.stage) == ["sender", "sender-domain", "rdns", "policy"])
            #expect(decisions.allSatisfy { $0.received == id })
            #expect(decisions.map(\.result) == ["valid", "pass", "none", "junk"])
            #expect(decisions[2].verdict == "junk")
            #expect(decisions[2].rules[0].evidence == "no PTR record for 127.0.0.1 (1.0.0.127.in-addr.arpa)")
            // A temporary DNS failure: 451 4.4.3, never a pass or a fail.
            let temp = try #require(try await client.command("MAIL FROM:<ann@broken.test>"))
            #expect(temp.hasPrefix("451 4.4.3 <ann@broken.test>: temporary DNS failure (sender-domain temperror)"))
            _ = try await client.command("QUIT")
        }
    }

    @Test func listedClientIsRefusedAtMailFromAndRecorded() async throws {
        let f = try await Fixture()
        try await f.run(pipeline: Self.pipeline(dnsbl: true)) { port in
            let client = try await TestClient(port: port)
            _ = try await client.readReply()
            _ = try await client.command("EHLO client.example")
            let before = f.journal.lastSequence
            let reply = try #require(try await client.command("MAIL FROM:<ann@listed.test>"))
            #expect(reply == "554 5.7.1 <ann@listed.test>: client address blocked: 127.0.0.1 listed in bl.test as 127.0.0.2 (listed): listed for the test")
            // The refusal is durable before the reply: its decisions are there now.
            var decisions: [FilterDecision] = []
            for seq in (before + 1)...f.journal.lastSequence {
                if let d = try Event.decode(f.journal.record(seq))?.body as? FilterDecision { decisions.append(d) }
            }
            #expect(decisions.map(\.stage) == ["sender", "sender-domain", "rdns", "dnsbl", "policy"])
            #expect(decisions.allSatisfy { $0.received == 0 && $0.mailFrom == "ann@listed.test" && $0.helo == "client.example" })
            #expect(decisions[3].verdict == "reject")
            #expect(decisions[4].context.clientAddress?.hasPrefix("127.0.0.1:") == true)
            #expect(try await client.command("RCPT TO:<alice@example.org>")?.hasPrefix("503") == true)
            // A listing beats a temporary failure elsewhere: still refused for good.
            #expect(try await client.command("MAIL FROM:<ann@broken.test>")?.hasPrefix("554 5.7.1 ") == true)
            _ = try await client.command("QUIT")
        }
        #expect(try f.store.messages(mailbox: f.inbox).isEmpty && f.store.messages(mailbox: f.junk).isEmpty)
    }
}
