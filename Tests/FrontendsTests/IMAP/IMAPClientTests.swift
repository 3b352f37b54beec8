import Foundation
import Journal
import Testing
@testable import Frontends
@testable import Projections

/// The IMAP server over real sockets, driven by Python's imaplib (scripts/test-imap.py), against
/// a real journal and projection database.
/// Serialized: each scenario starts real clients (mbsync, offlineimap, mutt); running them one at a
/// time keeps the load on a 2-core CI machine down for the timing-sensitive suites beside them.
@Suite(.serialized) struct IMAPClientTests {
    func run(_ scenario: String, on server: IMAPTestServer) async throws {
        let result = try await server.python(scenario)
        #expect(result.status == 0, "\(scenario):\n\(result.output)")
    }

    @Test func everyCommand() async throws {
        try await IMAPTestServer.run { s in
            try await run("commands", on: s)
            // Every change went through the journal, by alice over IMAP (DESIGN.md invariant 1).
            let appended = try s.events(MessageAppended.self)
            #expect(appended.count == 3)
            #expect(appended.allSatisfy { $0.context.proto == "imap" && $0.context.actor == .user(s.user) })
            #expect(try !s.events(FlagsChanged.self).isEmpty)
            #expect(try s.events(MessagesMoved.self).count == 1)
            #expect(try !s.events(MessagesExpunged.self).isEmpty)
            #expect(try s.events(MailboxRenamed.self).count == 2)
            // The projection rebuilt from the journal equals the live one (invariant 3).
            let live = try s.store.canonicalDump()
            let rebuiltPath = s.directory + "/rebuilt.sqlite"
            let rebuilt = try ProjectionStore(path: rebuiltPath)
            let projector = try Projector(journal: s.journal, store: rebuilt)
            try await projector.catchUp()
            #expect(try rebuilt.canonicalDump() == live)
            try rebuilt.close()
        }
    }

    @Test func errorPathsAndLimits() async throws {
        try await IMAPTestServer.run { s in
            let before = s.journal.lastSequence
            try await run("errors", on: s)
            // Bad input changes nothing (DESIGN.md invariant 5).
            #expect(s.journal.lastSequence == before)
        }
    }

    /// \Recent for IMAP4rev1 sessions (RFC 3501 §2.3.2), none for IMAP4rev2.
    @Test func recentForIMAP4rev1Sessions() async throws {
        try await IMAPTestServer.run { s in
            try await run("recent", on: s)
        }
    }

    @Test func startTLSInjectionIsNotExecuted() async throws {
        try await IMAPTestServer.run { s in
            try await run("starttls-injection", on: s)
        }
    }

    /// mbsync (Debian package isync) syncs both ways (issue 10's sync test).
    @Test func mbsyncTwoWaySync() async throws {
        try await IMAPTestServer.run { s in
            try await run("mbsync", on: s)
        }
    }

    /// offlineimap syncs both ways (the same checks as mbsync).
    @Test func offlineimapTwoWaySync() async throws {
        try await IMAPTestServer.run { s in
            try await run("offlineimap", on: s)
        }
    }

    /// mutt under tmux reads and flags a message; imaplib sees the flags.
    @Test func muttReadsAndFlags() async throws {
        try await IMAPTestServer.run { s in
            try await run("mutt", on: s)
        }
    }

    /// A message delivered the way SMTP records it shows up in an idling session within 1 s.
    @Test func deliveryReachesAnIdlingSessionWithinASecond() async throws {
        try await IMAPTestServer.run { s in
            async let result = s.python("idle-delivery")
            #expect(try await waitForFile(s.directory + "/idling", seconds: 60), "the client never started idling")
            let start = ContinuousClock.now
            try await s.deliver("From: Ann <ann@example.net>\nSubject: over smtp\n\nhello\n")
            #expect(try await waitForFile(s.directory + "/exists", seconds: 10))
            let elapsed = ContinuousClock.now - start
            #expect(elapsed < .seconds(1), "EXISTS took \(elapsed)")
            let finished = try await result
            #expect(finished.status == 0, "idle-delivery:\n\(finished.output)")
        }
    }

    func waitForFile(_ path: String, seconds: Int) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if FileManager.default.fileExists(atPath: path) { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    @Test func idleAndConcurrentSessions() async throws {
        try await IMAPTestServer.run { s in
            try await run("idle", on: s)
        }
    }
}
