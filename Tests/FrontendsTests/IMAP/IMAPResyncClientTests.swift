import Foundation
import Journal
import Testing
@testable import Frontends
@testable import Projections

/// CONDSTORE and QRESYNC over real sockets: RFC 7162's examples adapted to Roost's data, run by
/// scripts/test-imap-resync.py against a real journal and projection database. The restart and
/// `roost rebuild` part runs against a real `roost serve` in scripts/test-qresync.sh.
@Suite struct IMAPResyncClientTests {
    @Test func rfc7162Examples() async throws {
        try await IMAPTestServer.run { s in
            let fixture = try s.writeFixture()
            let result = try await POP3TestServer.runProcess(
                "/usr/bin/env", ["python3", POP3TestServer.repository + "/scripts/test-imap-resync.py", "condstore", fixture])
            #expect(result.status == 0, "condstore:\n\(result.output)")
            // The conditional STOREs went through the journal with their UNCHANGEDSINCE.
            let conditional = try s.events(FlagsChanged.self).filter { $0.unchangedSince != nil }
            #expect(!conditional.isEmpty)
            // The projection rebuilt from the journal equals the live one, expunged UIDs included.
            let live = try s.store.canonicalDump()
            #expect(live.contains("== expunged\nmailboxId="))
            let rebuilt = try ProjectionStore(path: s.directory + "/rebuilt.sqlite")
            let projector = try Projector(journal: s.journal, store: rebuilt)
            try await projector.catchUp()
            #expect(try rebuilt.canonicalDump() == live)
            try rebuilt.close()
        }
    }

    @Test func createSpecialUse() async throws {
        try await IMAPTestServer.run { s in
            let result = try await POP3TestServer.runProcess(
                "/usr/bin/env", ["python3", POP3TestServer.repository + "/scripts/test-imap-resync.py", "special-use", try s.writeFixture()])
            #expect(result.status == 0, "special-use:\n\(result.output)")
            let created = try s.events(MailboxCreated.self).filter { $0.name == "Sent Items" }
            #expect(created.map(\.specialUse) == [["\\Sent"]])
        }
    }
}
