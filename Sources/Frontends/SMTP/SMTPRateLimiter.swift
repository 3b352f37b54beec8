

/// Messages per client address (IPv4, or IPv6 /64: `ClientKey`) per minute, the classic
/// anvil-style inbound limit. A fixed one-minute window per client; an actor because every
/// connection of a listener shares it.
public actor SMTPRateLimiter {
    public enum Verdict: Sendable, Hashable {
        case allowed
        /// Over the limit; `firstInWindow` is true for the first refusal of the window (the one
        /// worth recording as an event, so a flood does not flood the journal too).
        case refused(firstInWindow: Bool)
    }

    private struct Window { var start: ContinuousClock.Instant; var count: Int; var refused: Bool }
    public let perMinute: Int
    private var windows: [ClientKey: Window] = [:]
    private let clock = ContinuousClock()

    /// `perMinute` 0 allows everything.
    public init(perMinute: Int) {
        self.perMinute = perMinute
    }

    public func admit(_ client: ClientKey) -> Verdict {
        guard perMinute > 0 else { return .allowed }
        let now = clock.now
        if windows.count > 10_000 { windows = windows.filter { now - $0.value.start < .seconds(60) } }
        var window = windows[client].flatMap { now - $0.start < .seconds(60) ? $0 : nil } ?? Window(start: now, count: 0, refused: false)
        defer { windows[client] = window }
        guard window.count < perMinute else {
            let first = !window.refused
            window.refused = true
            return .refused(firstInWindow: first)
        }
        window.count += 1
        return .allowed
    }
}
