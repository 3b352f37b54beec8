import Synchronization

/// Caps concurrent connections per client address (`ClientKey`) and in total, shared by all
/// listeners that should share the caps. `acquire` hands out a token; the connection holds it
/// until it closes, and releasing (or dropping) the token frees the slot.
public final class ConnectionLimiter: Sendable {
    public struct Configuration: Sendable, Hashable {
        /// Concurrent connections from one address (or IPv6 /64).
        public var perClient: Int
        /// Concurrent connections in total.
        public var total: Int
        public init(perClient: Int = 20, total: Int = 500) {
            self.perClient = perClient
            self.total = total
        }
    }

    public enum Refusal: Error, Sendable, Hashable {
        case tooManyFromClient
        case tooManyInTotal

        public var closeReason: CloseReason {
            switch self {
            case .tooManyFromClient: .tooManyConnectionsFromAddress
            case .tooManyInTotal: .tooManyConnections
            }
        }
    }

    /// A held connection slot. Released once, by `release()` or when the token is dropped.
    public final class Token: Sendable {
        private let limiter: ConnectionLimiter
        private let client: ClientKey
        private let released = Atomic<Bool>(false)

        fileprivate init(limiter: ConnectionLimiter, client: ClientKey) {
            self.limiter = limiter
            self.client = client
        }

        public func release() {
            if !released.exchange(true, ordering: .acquiringAndReleasing) {
                limiter.release(client)
            }
        }

        deinit { release() }
    }

    private struct Counts {
        var total = 0
        var perClient: [ClientKey: Int] = [:]
    }

    public let configuration: Configuration
    private let counts = Mutex(Counts())

    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
    }

    public func acquire(for client: ClientKey) -> Result<Token, Refusal> {
        let outcome: Refusal? = counts.withLock { counts in
            if counts.total >= configuration.total { return .tooManyInTotal }
            let mine = counts.perClient[client, default: 0]
            if mine >= configuration.perClient { return .tooManyFromClient }
            counts.total += 1
            counts.perClient[client] = mine + 1
            return nil
        }
        if let outcome { return .failure(outcome) }
        return .success(Token(limiter: self, client: client))
    }

    /// Connections open now: in total and from `client`.
    public func current(for client: ClientKey) -> (total: Int, client: Int) {
        counts.withLock { ($0.total, $0.perClient[client, default: 0]) }
    }

    fileprivate func release(_ client: ClientKey) {
        counts.withLock { counts in
            counts.total -= 1
            let left = counts.perClient[client, default: 1] - 1
            counts.perClient[client] = left > 0 ? left : nil
        }
    }
}
