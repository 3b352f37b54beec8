public import Journal
import GRDB
import Synchronization

/// The one writer of the projection tables: applies journal events in order, recording the last
/// applied sequence number in the same SQLite transaction, and wakes whoever waits for them.
///
/// Writers append to the journal, then `await projector.apply(through: seq)` before replying:
/// that is DESIGN.md invariant 2 (acknowledged means durable *and* visible).
///
/// Batches run on the database's writer queue, not on Swift's cooperative pool: a writer waiting
/// for its events is resumed once, by the batch that applied them. (An actor that started a task
/// that awaited the pool's async write took five hops through a pool that, on two cores with
/// fifty sessions, has a long queue: most of a STORE's latency.)
public final class Projector: Sendable {
    public let journal: Journal
    public let store: ProjectionStore
    /// Events applied per transaction: big enough to amortise the commit, small enough that
    /// waiting writers are not held up long.
    let batchSize: Int
    /// How batches are read and prepared; tests make the pipeline's chunks small.
    let tuning: Preparation.Tuning

    private struct Waiter {
        var through: UInt64
        var continuation: CheckedContinuation<Void, any Error>
    }
    private struct State {
        var appliedSequence: UInt64
        var waiters: [Waiter] = []
        /// The highest sequence number known to be committed that is to be applied without
        /// anyone waiting yet (the journal's commit listener).
        var committed: UInt64 = 0
        /// A run of batches is scheduled or running on the writer queue.
        var running = false
        var subscribers: [MailboxID: [Int: AsyncStream<MailboxChange>.Continuation]] = [:]
        var nextSubscriber = 0
        /// The sequence number of the last applied change to each mailbox changed since start.
        var changedAt: [MailboxID: UInt64] = [:]
    }
    private let state: Mutex<State>

    public convenience init(journal: Journal, store: ProjectionStore, batchSize: Int = 2000) throws {
        try self.init(journal: journal, store: store, batchSize: batchSize, tuning: Preparation.Tuning())
    }

    init(journal: Journal, store: ProjectionStore, batchSize: Int, tuning: Preparation.Tuning) throws {
        self.journal = journal
        self.store = store
        self.batchSize = batchSize
        self.tuning = tuning
        state = Mutex(State(appliedSequence: try store.appliedSequence()))
        journal.addCommitListener { [weak self] last in self?.committed(through: last) }
    }

    /// A commit made events up to `last` durable: apply them now, before their writers ask.
    private func committed(through last: UInt64) {
        let start = state.withLock { s in
            s.committed = max(s.committed, last)
            guard !s.running, s.appliedSequence < last else { return false }
            s.running = true
            return true
        }
        if start { store.pool.asyncWriteWithoutTransaction { [self] db in runBatches(db) } }
    }

    public var appliedSequence: UInt64 { state.withLock { $0.appliedSequence } }

    /// Applies every event the journal has that the projections don't; call before binding ports.
    public func catchUp() async throws {
        try await apply(through: journal.lastSequence)
    }

    /// Returns once every event up to `sequence` is applied (read-your-writes). Concurrent callers
    /// share batches: one run of batches at a time applies everything up to the highest sequence
    /// number waited for.
    public func apply(through sequence: UInt64) async throws {
        if state.withLock({ $0.appliedSequence >= sequence }) { return }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            enum Next { case done, wait, start }
            let next: Next = state.withLock { s in
                if s.appliedSequence >= sequence { return .done }
                s.waiters.append(Waiter(through: sequence, continuation: continuation))
                if s.running { return .wait }
                s.running = true
                return .start
            }
            switch next {
            case .done: continuation.resume()
            case .wait: break
            case .start: store.pool.asyncWriteWithoutTransaction { [self] db in runBatches(db) }
            }
        }
    }

    /// On the writer queue: applies batches until nobody waits for more.
    private func runBatches(_ db: Database) {
        while true {
            let (wanted, impossible) = state.withLock { s -> ((from: UInt64, upTo: UInt64)?, [Waiter]) in
                // Read under this lock: a writer that registered before it took it had its events
                // published by then; one read earlier could miss the commit that woke it.
                let last = journal.lastSequence
                let impossible = s.waiters.filter { $0.through > last }
                s.waiters.removeAll { $0.through > last }
                let highest = min(max(s.waiters.lazy.map(\.through).max() ?? 0, s.committed), last)
                guard highest > s.appliedSequence else {
                    s.running = false
                    return (nil, impossible)
                }
                return ((s.appliedSequence + 1, highest), impossible)
            }
            for waiter in impossible { waiter.continuation.resume(throwing: JournalError.noSuchSequence(waiter.through)) }
            guard let wanted else { return }
            let through = min(wanted.upTo, wanted.from + UInt64(batchSize) - 1)
            do {
                let changes = try applyBatch(from: wanted.from, through: through, db: db)
                let (ready, subscribers) = state.withLock { s in
                    s.appliedSequence = through
                    for change in changes { s.changedAt[change.mailbox] = change.modseq }
                    let ready = s.waiters.filter { $0.through <= through }
                    s.waiters.removeAll { $0.through <= through }
                    return (ready, changes.isEmpty ? [:] : s.subscribers)
                }
                // Outside the lock: finishing a stream runs its termination handler, which takes it.
                publish(changes, to: subscribers)
                for waiter in ready { waiter.continuation.resume() }
            } catch {
                // Everyone waiting hears of it; the next caller tries again from the same place.
                let failed: [Waiter] = state.withLock { s in
                    defer {
                        s.waiters = []
                        s.committed = s.appliedSequence
                        s.running = false
                    }
                    return s.waiters
                }
                for waiter in failed { waiter.continuation.resume(throwing: error) }
                return
            }
        }
    }

    private func applyBatch(from: UInt64, through: UInt64, db: Database) throws -> [MailboxChange] {
        var changes: [MailboxChange] = []
        let journal = self.journal, tuning = self.tuning
        try db.inTransaction {
            var applier = EventApplier()
            try Preparation.run(journal: journal, from: from, through: through, tuning: tuning) { prepared in
                try applier.apply(prepared, db: db)
            }
            try applier.finish(db)
            try db.run("UPDATE meta SET value = ? WHERE key = 'appliedSequence'", arguments: [Int64(through)])
            changes = applier.changes
            return .commit
        }
        return changes
    }

    /// The sequence number of the last change applied to `mailbox` since this projector started
    /// (0 if none): when it has not moved, what a session read of the mailbox is still current.
    public func lastChange(of mailbox: MailboxID) -> UInt64 {
        state.withLock { $0.changedAt[mailbox] ?? 0 }
    }

    /// Changes to `mailbox` from now on, until the stream is dropped.
    public func changes(for mailbox: MailboxID) -> AsyncStream<MailboxChange> {
        let (stream, continuation) = AsyncStream<MailboxChange>.makeStream(bufferingPolicy: .bufferingNewest(10_000))
        let id = state.withLock { s in
            let id = s.nextSubscriber
            s.nextSubscriber += 1
            s.subscribers[mailbox, default: [:]][id] = continuation
            return id
        }
        continuation.onTermination = { [weak self] _ in self?.unsubscribe(mailbox, id) }
        return stream
    }

    private func unsubscribe(_ mailbox: MailboxID, _ id: Int) {
        state.withLock { s in
            s.subscribers[mailbox]?[id] = nil
            if s.subscribers[mailbox]?.isEmpty == true { s.subscribers[mailbox] = nil }
        }
    }

    private func publish(_ changes: [MailboxChange], to subscribers: [MailboxID: [Int: AsyncStream<MailboxChange>.Continuation]]) {
        guard !subscribers.isEmpty else { return }
        for change in changes {
            guard let listeners = subscribers[change.mailbox] else { continue }
            for continuation in listeners.values { continuation.yield(change) }
            if case .deleted = change.kind {
                for continuation in listeners.values { continuation.finish() }
            }
        }
    }
}

extension Journal {
    /// Appends events, then waits until the projector has applied them: the reply may be sent.
    public func append(events: [any EventBody], applyingWith projector: Projector) async throws -> [UInt64] {
        let sequences = try await append(events: events)
        if let last = sequences.last { try await projector.apply(through: last) }
        return sequences
    }
}

extension Journal {
    /// Appends events and, in the same batch and fdatasync, the events `derived` makes from the
    /// first one's sequence number (deliveries that name their message-received event), then waits
    /// until the projector has applied them all. Returns every sequence number, `events`' first.
    public func append(events: [any EventBody], derived: @escaping @Sendable (_ firstSequence: UInt64) -> [any EventBody],
                       applyingWith projector: Projector) async throws -> [UInt64] {
        let sequences = try await append(events.map { $0.record() }, derived: { first in derived(first).map { $0.record() } })
        if let last = sequences.last { try await projector.apply(through: last) }
        return sequences
    }
}
