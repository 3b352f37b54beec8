import Foundation
import Logging
import NIOCore
import NIOPosix
import Testing
@testable import Frontends
import SharedTestProtocol

/// The shared server over real sockets, driven by the toy protocol.
@Suite struct ServerTests {
    @Test func plaintextDialogue() async throws {
        try await ToyServer.run(tls: .none) { server in
            let client = try await TestClient(port: server.port)
            #expect(try await client.readReply() == ["220 toy ESMTP ready"])
            try await client.send("EHLO me\r\n")
            // No certificate: STARTTLS is not offered.
            #expect(try await client.readReply() == ["250-toy", "250 AUTH PLAIN LOGIN"])
            #expect(try await client.command("STARTTLS") == "454 4.7.0 TLS not available")
            #expect(try await client.command("WHOAMI") == "250 anonymous plaintext")
            #expect(try await client.command("QUIT") == "221 2.0.0 Bye")
            #expect(try await client.readLine() == nil)
        }
    }

    @Test func startTLSUpgradesAndResetsState() async throws {
        try await ToyServer.run(tls: .startTLS) { server in
            let client = try await TestClient(port: server.port)
            _ = try await client.readReply()
            try await client.send("EHLO me\r\n")
            #expect(try await client.readReply() == ["250-toy", "250-STARTTLS", "250 AUTH PLAIN LOGIN"])
            #expect(try await client.command("STARTTLS") == "220 2.0.0 Ready to start TLS")
            try await client.startTLS()
            #expect(try await client.command("WHOAMI") == "250 anonymous TLSv1.3")
            #expect(try await client.peerSerial() == TestCertificates.first.serial)
            try await client.send("EHLO me\r\n")
            #expect(try await client.readReply() == ["250-toy", "250 AUTH PLAIN LOGIN"], "no STARTTLS once encrypted")
            #expect(try await client.command("STARTTLS") == "454 4.7.0 TLS not available")
        }
    }

    @Test func implicitTLS() async throws {
        try await ToyServer.run(tls: .implicit) { server in
            let client = try await TestClient(port: server.port, implicitTLS: true)
            #expect(try await client.readReply() == ["220 toy ESMTP ready"])
            #expect(try await client.command("WHOAMI") == "250 anonymous TLSv1.3")
            #expect(try await client.peerSerial() == TestCertificates.first.serial)
        }
    }

    /// PLATFORM.md "STARTTLS injection": a command pipelined after STARTTLS in the same write is
    /// never executed, and the connection is closed without the go-ahead.
    @Test func commandPipelinedAfterStartTLSIsNeverExecuted() async throws {
        try await ToyServer.run(tls: .startTLS) { server in
            let client = try await TestClient(port: server.port)
            _ = try await client.readReply()
            try await client.send("STARTTLS\r\nEVIL\r\n")
            #expect(try await client.readUntilClosed() == [], "no 220, no reply to EVIL")
            try await Task.sleep(for: .milliseconds(100))
            #expect(server.journal.executed == ["STARTTLS"])
            #expect(server.journal.closeReasons == [.inputAfterStartTLS])
        }
    }

    /// The same with half a command buffered in the framer (no CRLF yet).
    @Test func partialCommandAfterStartTLSClosesTheConnection() async throws {
        try await ToyServer.run(tls: .startTLS) { server in
            let client = try await TestClient(port: server.port)
            _ = try await client.readReply()
            try await client.send("STARTTLS\r\nEVI")
            #expect(try await client.readUntilClosed() == [])
            try await Task.sleep(for: .milliseconds(100))
            #expect(server.journal.executed == ["STARTTLS"])
            #expect(server.journal.closeReasons == [.inputAfterStartTLS])
        }
    }

    /// Plaintext arriving after the go-ahead lands in the TLS handshake and fails it.
    @Test func plaintextAfterGoAheadFailsTheHandshake() async throws {
        try await ToyServer.run(tls: .startTLS) { server in
            let client = try await TestClient(port: server.port)
            _ = try await client.readReply()
            #expect(try await client.command("STARTTLS") == "220 2.0.0 Ready to start TLS")
            try await client.send("EVIL\r\n")
            _ = try await client.readUntilClosed()
            try await Task.sleep(for: .milliseconds(100))
            #expect(server.journal.executed == ["STARTTLS"])
            #expect(server.journal.closeReasons == [.tlsHandshakeFailed])
        }
    }

    @Test func certificateReloadServesNewCertificateAndKeepsOldConnections() async throws {
        let directory = TemporaryDirectory()
        let files = try directory.install(TestCertificates.first)
        let provider = try TLSContextProvider(files: files, pollInterval: .milliseconds(100), logger: Logger(label: "test"))
        try await ToyServer.run(tls: .implicit, tlsProvider: provider) { server in
            let old = try await TestClient(port: server.port, implicitTLS: true)
            _ = try await old.readReply()
            #expect(try await old.peerSerial() == TestCertificates.first.serial)

            try directory.install(TestCertificates.second)
            #expect(provider.reloadIfChanged())
            let new = try await TestClient(port: server.port, implicitTLS: true)
            _ = try await new.readReply()
            #expect(try await new.peerSerial() == TestCertificates.second.serial)
            #expect(try await old.command("NOOP") == "250 2.0.0 OK", "the old connection lives on")

            // A broken file keeps the current certificate.
            try "not a certificate".write(toFile: files.certificateChain, atomically: true, encoding: .utf8)
            #expect(!provider.reloadIfChanged())
            #expect(throws: TLSMaterial.LoadError.self) { try provider.reload() }
            let third = try await TestClient(port: server.port, implicitTLS: true)
            _ = try await third.readReply()
            #expect(try await third.peerSerial() == TestCertificates.second.serial)
        }
    }

    @Test func mtimePollPicksUpNewCertificate() async throws {
        let directory = TemporaryDirectory()
        let files = try directory.install(TestCertificates.first)
        let provider = try TLSContextProvider(files: files, pollInterval: .milliseconds(100), logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await provider.run() }
            try directory.install(TestCertificates.second)
            // Generous: a loaded CI machine can stall a 100 ms poll for seconds.
            let deadline = ContinuousClock.now + .seconds(60)
            while provider.material.serialNumber != TestCertificates.second.serial, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(provider.material.serialNumber == TestCertificates.second.serial)
            group.cancelAll()
        }
    }

    @Test func mismatchedKeyIsRefused() throws {
        let directory = TemporaryDirectory()
        let files = try directory.install(TestCertificates.Pair(
            certificate: TestCertificates.first.certificate, key: TestCertificates.second.key, serial: ""))
        #expect(throws: TLSMaterial.LoadError.self) { try TLSMaterial(files: files) }
    }

    @Test func idleTimeoutClosesWithFarewell() async throws {
        try await ToyServer.run(tls: .none, timeouts: .init(idle: .seconds(1), command: .seconds(60))) { server in
            let client = try await TestClient(port: server.port)
            // On a loaded machine the timer may fire before the greeting is written: the
            // farewell is the last line either way.
            #expect(try await client.readUntilClosed().last == "421 4.4.2 toy timeout")
        }
    }

    /// The idle timer is set once per period and looks at the last activity when it fires:
    /// commands keep the connection open past the first deadline, and quiet closes it after.
    @Test func activityPostponesTheIdleTimeout() async throws {
        try await ToyServer.run(tls: .none, timeouts: .init(idle: .seconds(3), command: .seconds(60))) { server in
            let client = try await TestClient(port: server.port)
            _ = try await client.readReply()
            let opened = ContinuousClock.now
            for _ in 0..<8 {
                try await Task.sleep(for: .milliseconds(500))
                #expect(try await client.command("NOOP") == "250 2.0.0 OK")
            }
            #expect(ContinuousClock.now - opened > .seconds(4), "past the first idle deadline")
            let quiet = ContinuousClock.now
            #expect(try await client.readUntilClosed() == ["421 4.4.2 toy timeout"])
            #expect(ContinuousClock.now - quiet > .seconds(2), "closed only after a full idle period")
        }
    }

    @Test func commandTimeoutStopsTricklingClients() async throws {
        try await ToyServer.run(tls: .none, timeouts: .init(idle: .seconds(60), command: .seconds(1))) { server in
            let client = try await TestClient(port: server.port)
            _ = try await client.readReply()
            // A byte every 100 ms and never a line end: activity that keeps the idle timer away,
            // but no command. The command timeout must end it while the bytes keep coming. (On a
            // loaded machine the close may come before a later byte is sent; that ends the
            // trickle too, so the loop stops at the first failed write.)
            let started = ContinuousClock.now
            while ContinuousClock.now - started < .seconds(30) {
                do { try await client.send("O") } catch { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            // The writes stopped because the server closed, not because the loop ran out (the
            // 60 s idle timer cannot have fired while bytes kept arriving).
            #expect(ContinuousClock.now - started < .seconds(30))
            #expect(try await client.readUntilClosed() == ["421 4.4.2 toy timeout"])
            #expect(server.journal.executed.isEmpty)
        }
    }

    @Test func overlongLineClosesWithFarewell() async throws {
        try await ToyServer.run(tls: .none) { server in
            let client = try await TestClient(port: server.port)
            _ = try await client.readReply()
            try await client.send(String(repeating: "x", count: 5000))
            #expect(try await client.readUntilClosed() == ["500 5.5.2 toy line too long"])
        }
    }

    @Test func connectionLimitPerClient() async throws {
        let limiter = ConnectionLimiter(configuration: .init(perClient: 2, total: 10))
        try await ToyServer.run(tls: .none, limiter: limiter) { server in
            let a = try await TestClient(port: server.port)
            let b = try await TestClient(port: server.port)
            _ = try await a.readReply()
            _ = try await b.readReply()
            let c = try await TestClient(port: server.port)
            #expect(try await c.readUntilClosed() == ["421 4.7.0 toy too many connections"])
            // Another address is still welcome.
            let d = try await TestClient(port: server.port, source: "127.0.0.2")
            #expect(try await d.readReply() == ["220 toy ESMTP ready"])
            // A slot frees when a connection ends.
            _ = try await a.command("QUIT")
            _ = try await a.readUntilClosed()
            try await Task.sleep(for: .milliseconds(100))
            let e = try await TestClient(port: server.port)
            #expect(try await e.readReply() == ["220 toy ESMTP ready"])
        }
    }

    @Test func bindErrorNamesAddressAndPort() async throws {
        try await ToyServer.run(tls: .none) { server in
            let logger = Logger(label: "test")
            let authenticator = Authenticator(lookup: { _ in nil }, throttle: AuthenticationThrottle(logger: logger), logger: logger)
            let second = Server(
                configuration: .init(name: "toy", host: "127.0.0.1", port: server.port, tls: .none),
                handler: ToyHandler(authenticator: authenticator), logger: logger
            )
            do {
                try await second.bind()
                Issue.record("bound a port that is taken")
            } catch let error as Server<ToyHandler>.BindError {
                #expect(error.description.hasPrefix("toy: cannot listen on 127.0.0.1:\(server.port): "))
            }
        }
    }

    @Test func shutdownDrainsThenClosesWithFarewell() async throws {
        try await ToyServer.run(tls: .none, drainTimeout: .milliseconds(300)) { server in
            let client = try await TestClient(port: server.port)
            _ = try await client.readReply()
            await server.server.stopAccepting()
            // Still served during the drain time.
            #expect(try await client.command("NOOP") == "250 2.0.0 OK")
            #expect(try await client.readUntilClosed() == ["421 4.3.2 toy shutting down"])
        }
    }

    @Test func oneFailingConnectionDoesNotAffectOthers() async throws {
        try await ToyServer.run(tls: .implicit) { server in
            // Garbage instead of a ClientHello.
            let bad = try await TestClient(port: server.port)
            try await bad.send("HELLO\r\n")
            #expect(try await bad.readUntilClosed() == [])
            let good = try await TestClient(port: server.port, implicitTLS: true)
            #expect(try await good.readReply() == ["220 toy ESMTP ready"])
        }
    }
}
