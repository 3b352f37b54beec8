public import Journal
import GRDB

/// The one writer of the projection tables: applies journal events in order, recording the last
/// applied sequence number in the same SQLite transaction, and wakes whoever waits for them.
///
/// Writers append to the journal, then `await projector.apply(through: seq)` before replying:
/// that is DESIGN.md invariant 2 (acknowledged means durable *and* visible).
public actor Projector {
    public nonisolated let journal: Journal
    public nonisolated let store: ProjectionStore
    public private(set) var appliedSequence: UInt64
    /// Events applied per transaction: big enough to amortise the commit, small enough that
    /// waiting writers are not held up long.
    let batchSize: Int
    private var subscribers: [MailboxID: [Int: AsyncStream<MailboxChange>.Continuation]] = [:]
    private var nextSubscriber = 0

    /// How batches are read and prepared; tests make the pipeline's chunks small.
    let tuning: Preparation.Tuning

    public init(journal: Journal, store: ProjectionStore, batchSize: Int = 2000) throws {
        try self.init(journal: journal, store: store, batchSize: batchSize, tuning: Preparation.Tuning())
    }

    init(journal: Journal, store: ProjectionStore, batchSize: Int, tuning: Preparation.Tuning) throws {
        self.journal = journal
        self.store = store
        self.batchSize = batchSize
        self.tuning = tuning
        appliedSequence = try store.appliedSequence()
    }

    /// Applies every event the journal has that the projections don't; call before binding ports.
    public func catchUp() async throws {
        try await apply(through: journal.lastSequence)
    }

    /// Returns once every event up to `sequence` is applied (read-your-writes). Concurrent callers
    /// share one batch at a time: a caller that finds a batch in flight waits for it and looks again
    /// (the actor is re-entered at every `await`, so this, not the actor, keeps batches in order).
    public func apply(through sequence: UInt64) async throws {
        while appliedSequence < sequence {
            if let running = inFlight {
                try await running.value
                continue
            }
            let from = appliedSequence + 1
            let through = min(sequence, journal.lastSequence, from + UInt64(batchSize) - 1)
            guard through >= from else { throw JournalError.noSuchSequence(sequence) }
            let batch = Task { try await self.applyBatch(from: from, through: through) }
            inFlight = batch
            try await batch.value
        }
    }

    private var inFlight: Task<Void, any Error>?

    private func applyBatch(from: UInt64, through: UInt64) async throws {
        // Cleared before the task completes, so whoever wakes from awaiting it sees no batch in flight.
        defer { inFlight = nil }
        let journal = self.journal, tuning = self.tuning
        let changes = try await store.pool.write { db -> [MailboxChange] in
            var applier = EventApplier()
            try Preparation.run(journal: journal, from: from, through: through, tuning: tuning) { prepared in
                try applier.apply(prepared, db: db)
            }
            try applier.finish(db)
            try db.run("UPDATE meta SET value = ? WHERE key = 'appliedSequence'", arguments: [Int64(through)])
            return applier.changes
        }
        appliedSequence = through
        publish(changes)
    }

    /// Changes to `mailbox` from now on, until the stream is dropped.
    public func changes(for mailbox: MailboxID) -> AsyncStream<MailboxChange> {
        let (stream, continuation) = AsyncStream<MailboxChange>.makeStream(bufferingPolicy: .bufferingNewest(10_000))
        let id = nextSubscriber
        nextSubscriber += 1
        subscribers[mailbox, default: [:]][id] = continuation
        continuation.onTermination = { [weak self] _ in
            Task { await self?.unsubscribe(mailbox, id) }
        }
        return stream
    }

    private func unsubscribe(_ mailbox: MailboxID, _ id: Int) {
        subscribers[mailbox]?[id] = nil
        if subscribers[mailbox]?.isEmpty == true { subscribers[mailbox] = nil }
    }

    private func publish(_ changes: [MailboxChange]) {
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
