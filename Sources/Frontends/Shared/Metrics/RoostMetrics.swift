import CoreMetrics
import Metrics
public import Prometheus
import Synchronization

/// Roost's metrics, written through the swift-metrics API into a Prometheus registry that
/// `MetricsServer` serves at `GET /metrics`. One instance per process, handed to every service;
/// the journal and projector wiring report through `journalAppended`, `journalFsync` and
/// `projectorLag`. Names and labels are listed in docs/monitoring.md; keep the two in step.
///
/// Label values must come from fixed sets (protocol names, command verbs the parser knows, the
/// reasons below), never from client input, so the number of series stays bounded.
public final class RoostMetrics: Sendable {
    /// The three kinds of error a session maps replies to (STYLE.md).
    public enum ErrorKind: String, Sendable {
        /// The client asked for something it may not have (5xx / NO).
        case user
        /// The client's command did not parse (50x / BAD).
        case syntax
        /// Roost failed (4xx temporary failure; logged with an id).
        case `internal`
    }

    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["roost_journal_fsync_seconds"] = [
            .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500),
            .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1),
        ]
        self.factory = factory
    }

    // MARK: Connections

    public func connectionOpened(protocol name: String) {
        counter("roost_connections_total", [("protocol", name)]).increment()
        Meter(label: "roost_connections_active", dimensions: [("protocol", name)], factory: factory).increment()
    }

    public func connectionClosed(protocol name: String) {
        Meter(label: "roost_connections_active", dimensions: [("protocol", name)], factory: factory).decrement()
    }

    /// A connection refused by the limiter, or closed by Roost for a reason (timeouts, STARTTLS
    /// injection, shutdown).
    public func connectionClosedByServer(protocol name: String, reason: CloseReason) {
        counter("roost_connections_closed_by_server_total", [("protocol", name), ("reason", reason.metricLabel)]).increment()
    }

    public func tlsHandshake(protocol name: String, succeeded: Bool) {
        counter("roost_tls_handshakes_total", [("protocol", name), ("result", succeeded ? "ok" : "failed")]).increment()
    }

    // MARK: Sessions

    /// One command executed. `command` is the verb as the parser knows it ("EHLO", "FETCH"),
    /// or "unknown".
    public func command(protocol name: String, _ command: String) {
        counter("roost_commands_total", [("protocol", name), ("command", command)]).increment()
    }

    public func error(protocol name: String, kind: ErrorKind) {
        counter("roost_errors_total", [("protocol", name), ("kind", kind.rawValue)]).increment()
    }

    public func authenticationSucceeded(protocol name: String) {
        counter("roost_auth_successes_total", [("protocol", name)]).increment()
    }

    public func authenticationFailed(protocol name: String, reason: AuthenticationFailureReason) {
        counter("roost_auth_failures_total", [("protocol", name), ("reason", reason.rawValue)]).increment()
    }

    // MARK: Journal and projector

    /// `events` events appended (durably) in one group commit of `bytes` bytes.
    public func journalAppended(events: Int, bytes: Int) {
        counter("roost_journal_appended_events_total", []).increment(by: events)
        counter("roost_journal_appended_bytes_total", []).increment(by: bytes)
        counter("roost_journal_commits_total", []).increment()
    }

    public func journalFsync(duration: Duration) {
        Metrics.Timer(label: "roost_journal_fsync_seconds", dimensions: [], factory: factory).record(duration: duration)
    }

    /// How many journal events the projector has yet to apply.
    public func projectorLag(events: Int) {
        Gauge(label: "roost_projector_lag_events", dimensions: [], factory: factory).record(events)
    }

    // MARK: Exposition

    /// The registry in the Prometheus text format (version 0.0.4).
    public func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }

    /// Counters made once per label and dimensions: making one asks the registry under its lock
    /// and builds its name, on every command of every session otherwise.
    private let counters = Mutex<[String: CoreMetrics.Counter]>([:])

    private func counter(_ label: String, _ dimensions: [(String, String)]) -> CoreMetrics.Counter {
        var key = label
        for (name, value) in dimensions { key += "\u{0}" + name + "\u{0}" + value }
        return counters.withLock { cache in
            if let counter = cache[key] { return counter }
            let counter = CoreMetrics.Counter(label: label, dimensions: dimensions, factory: factory)
            cache[key] = counter
            return counter
        }
    }
}

extension CloseReason {
    var metricLabel: String {
        switch self {
        case .idleTimeout: "idle_timeout"
        case .commandTimeout: "command_timeout"
        case .inputAfterStartTLS: "input_after_starttls"
        case .tlsHandshakeFailed: "tls_handshake_failed"
        case .malformedInput: "malformed_input"
        case .tooManyConnectionsFromAddress: "limit_per_address"
        case .tooManyConnections: "limit_total"
        case .shutdown: "shutdown"
        case .transportError: "transport_error"
        }
    }
}
