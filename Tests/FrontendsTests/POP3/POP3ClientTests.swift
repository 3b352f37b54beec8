import Foundation
import Journal
import Testing
@testable import Frontends
@testable import Projections

/// The POP3 server over real sockets, driven by Python's poplib (scripts/test-pop3.py) and by
/// fetchmail, against a real journal and projection database.
@Suite struct POP3ClientTests {
    func run(_ scenario: String, on server: POP3TestServer) async throws {
        let result = try await server.python(scenario)
        #expect(result.status == 0, "\(scenario):\n\(result.output)")
    }

    @Test func everyCommandOverSTLS() async throws {
        try await POP3TestServer.run { s in
            try await run("commands", on: s)
            #expect(try s.expungeEvents().isEmpty, "QUIT without marks writes nothing")
            #expect(try s.store.messages(mailbox: s.inbox).count == 3)
        }
    }

    @Test func errorPathsAndLimits() async throws {
        try await POP3TestServer.run { s in
            try await run("errors", on: s)
            #expect(try s.expungeEvents().isEmpty)
        }
    }

    @Test func pipelinedCommandsAndByteStuffing() async throws {
        try await POP3TestServer.run { s in
            try await run("pipelining", on: s)
            #expect(try s.expungeEvents().isEmpty, "RSET before QUIT: nothing deleted")
        }
    }

    @Test func saslPlainAndLogin() async throws {
        try await POP3TestServer.run { s in
            try await run("sasl", on: s)
        }
    }

    @Test func secondSessionGetsInUse() async throws {
        try await POP3TestServer.run { s in
            try await run("in-use", on: s)
        }
    }

    /// DESIGN.md invariant 2: after QUIT's +OK the expunge is in the journal and applied.
    @Test func quitDeletesDurablyBeforeOK() async throws {
        try await POP3TestServer.run { s in
            try await run("quit-delete", on: s)
            let events = try s.expungeEvents()
            #expect(events.count == 1)
            #expect(events.first?.mailbox == s.inbox)
            #expect(events.first?.messages == [s.refs[0], s.refs[2]])
            #expect(events.first?.context.proto == "pop3")
            #expect(events.first?.context.actor == .user(s.user))
            #expect(try s.store.messages(mailbox: s.inbox).map(\.ref) == [s.refs[1]])
            // The projection rebuilt from the journal agrees (UIDL is derived from recorded values).
            let path = s.directory + "/rebuilt.sqlite"
            try await Rebuild.run(journal: s.journal, databasePath: path, batchSize: 50)
            let rebuilt = try ProjectionStore(path: path)
            defer { try? rebuilt.close() }
            #expect(try rebuilt.canonicalDump() == (try s.store.canonicalDump()))
        }
    }

    @Test func droppedConnectionDeletesNothing() async throws {
        try await POP3TestServer.run { s in
            try await run("drop", on: s)
            #expect(try s.expungeEvents().isEmpty)
            #expect(try s.store.messages(mailbox: s.inbox).count == 3)
        }
    }

    /// PLATFORM.md STARTTLS injection: a command pipelined after STLS is never executed.
    @Test func commandAfterSTLSIsNotExecuted() async throws {
        try await POP3TestServer.run { s in
            try await run("stls-injection", on: s)
        }
    }

    /// The timer is long enough that a loaded machine does not hit it between the scenario's
    /// own commands; the script checks it fired no earlier than it should.
    @Test func autologoutReleasesTheLockAndDeletesNothing() async throws {
        try await POP3TestServer.run(timeouts: .init(idle: .seconds(4), command: .seconds(4), tlsHandshake: .seconds(10))) { s in
            try await run("timeout", on: s)
            #expect(try s.expungeEvents().isEmpty)
        }
    }

    /// fetchmail downloads everything over implicit TLS into an mbox through an MDA and deletes
    /// it from the server (its default without --keep).
    @Test func fetchmailDownloadsAndDeletes() async throws {
        try await POP3TestServer.run { s in
            let mbox = s.directory + "/mbox"
            let rc = s.directory + "/fetchmailrc"
            try """
            set no syslog
            poll 127.0.0.1 service \(s.implicitPort) protocol pop3:
              user "\(POP3TestServer.account)" password "\(POP3TestServer.password)" is "nobody" here
              ssl no sslcertck
              mda "/bin/sh -c 'cat >> \(mbox); echo >> \(mbox)'"
            """.write(toFile: rc, atomically: true, encoding: .utf8)
            chmod(rc, 0o600)
            let result = try await POP3TestServer.runProcess("/usr/bin/env", [
                "fetchmail", "-f", rc, "--pidfile", s.directory + "/fetchmail.pid", "-i", s.directory + "/fetchids",
                "--nosyslog", "-v",
            ], environment: ["HOME": s.directory, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"])
            #expect(result.status == 0, "fetchmail:\n\(result.output)")
            let downloaded = (try? String(contentsOfFile: mbox, encoding: .utf8)) ?? ""
            #expect(downloaded.contains("Subject: dots"), "\(result.output)")
            #expect(downloaded.contains("Subject: two") && downloaded.contains("Subject: three"))
            #expect(downloaded.contains("\n.leading dot") && downloaded.contains("\n..two dots"), "un-stuffed by the client")
            #expect(try s.store.messages(mailbox: s.inbox).isEmpty, "fetchmail deleted what it fetched")
            #expect(try s.expungeEvents().flatMap(\.messages).sorted() == s.refs.sorted())
        }
    }

    /// mpop over STLS with SASL PLAIN, keeping the mail: a second run downloads nothing, because
    /// the UIDLs are stable across sessions.
    @Test func mpopKeepsMailAndRecognisesItByUIDL() async throws {
        try await POP3TestServer.run { s in
            let mbox = s.directory + "/mpop.mbox"
            let rc = s.directory + "/mpoprc"
            try """
            defaults
            tls on
            tls_starttls on
            tls_certcheck off
            account roost
            host 127.0.0.1
            port \(s.startTLSPort)
            auth plain
            user \(POP3TestServer.account)
            password \(POP3TestServer.password)
            delivery mbox \(mbox)
            keep on
            only_new on
            uidls_file \(s.directory)/mpop.uidls

            """.write(toFile: rc, atomically: true, encoding: .utf8)
            chmod(rc, 0o600)
            for run in 1...2 {
                let result = try await POP3TestServer.runProcess("/usr/bin/env", ["mpop", "--file=\(rc)", "roost"])
                #expect(result.status == 0, "mpop run \(run):\n\(result.output)")
            }
            let downloaded = (try? String(contentsOfFile: mbox, encoding: .utf8)) ?? ""
            #expect(downloaded.components(separatedBy: "\nSubject: ").count - 1 == 3, "three messages, once each:\n\(downloaded)")
            #expect(try s.store.messages(mailbox: s.inbox).count == 3, "keep on: nothing deleted")
            #expect(try s.expungeEvents().isEmpty)
            let uidls = (try? String(contentsOfFile: s.directory + "/mpop.uidls", encoding: .utf8)) ?? ""
            #expect(uidls.contains("\(POP3TestServer.uidValidity).1") && uidls.contains("\(POP3TestServer.uidValidity).3"), "\(uidls)")
        }
    }
}
