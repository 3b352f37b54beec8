import Logging
import NIOCore
import Testing
@testable import Frontends

@Suite struct MetricsTests {
    @Test func countersAndGaugesAppearInTheExposition() {
        let metrics = RoostMetrics()
        metrics.connectionOpened(protocol: "imap")
        metrics.connectionOpened(protocol: "imap")
        metrics.connectionClosed(protocol: "imap")
        metrics.command(protocol: "imap", "FETCH")
        metrics.error(protocol: "imap", kind: .syntax)
        metrics.journalAppended(events: 3, bytes: 4096)
        metrics.journalFsync(duration: .microseconds(300))
        metrics.projectorLag(events: 7)
        let text = String(decoding: metrics.exposition(), as: UTF8.self)
        for line in [
            #"roost_connections_total{protocol="imap"} 2"#,
            #"roost_connections_active{protocol="imap"} 1"#,
            #"roost_commands_total{protocol="imap",command="FETCH"} 1"#,
            #"roost_errors_total{protocol="imap",kind="syntax"} 1"#,
            "roost_journal_appended_events_total 3",
            "roost_journal_appended_bytes_total 4096",
            "roost_journal_commits_total 1",
            #"roost_journal_fsync_seconds_bucket{le="0.0005"} 1"#,
            #"roost_journal_fsync_seconds_bucket{le="0.00025"} 0"#,
            "roost_journal_fsync_seconds_count 1",
            "roost_projector_lag_events 7",
        ] {
            #expect(text.contains(line), "\(line)\n\(text)")
        }
    }

    /// The endpoint over HTTP, with counters moving as connections come and go.
    @Test func endpointServesMetrics() async throws {
        let metrics = RoostMetrics()
        let endpoint = MetricsServer(configuration: .init(host: "127.0.0.1", port: 0), metrics: metrics, logger: Logger(label: "test"))
        let port = try await endpoint.bind().port!
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await endpoint.run() }
            try await ToyServer.run(tls: .none, metrics: metrics) { server in
                let before = try await Self.get(port: port, path: "/metrics")
                #expect(before.hasPrefix("HTTP/1.1 200 OK"))
                #expect(!before.contains(#"roost_connections_total{protocol="toy"}"#))
                let client = try await TestClient(port: server.port)
                _ = try await client.readReply()
                _ = try await client.command("NOOP")
                let after = try await Self.get(port: port, path: "/metrics")
                #expect(after.contains(#"roost_connections_total{protocol="toy"} 1"#))
                #expect(after.contains(#"roost_connections_active{protocol="toy"} 1"#))
                #expect(after.contains(#"roost_commands_total{protocol="toy",command="NOOP"} 1"#))
                #expect(try await Self.get(port: port, path: "/other").hasPrefix("HTTP/1.1 404"))
            }
            group.cancelAll()
        }
    }

    /// A minimal HTTP/1.1 GET over the test client's socket.
    static func get(port: Int, path: String) async throws -> String {
        let client = try await TestClient(port: port)
        try await client.send("GET \(path) HTTP/1.1\r\nHost: localhost\r\n\r\n")
        return try await client.readUntilClosed().joined(separator: "\n")
    }
}
