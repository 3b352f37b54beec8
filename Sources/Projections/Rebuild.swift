public import Journal
import Foundation
import GRDB

/// Building the projections from scratch: into a new database next to the live one, swapped in
/// only when complete, so an interrupted rebuild leaves the live database untouched.
public enum Rebuild {
    public struct Progress: Sendable {
        public var applied: UInt64
        public var total: UInt64
        public var elapsedSeconds: Double
        public var eventsPerSecond: Double { elapsedSeconds > 0 ? Double(applied) / elapsedSeconds : 0 }
        public var remainingSeconds: Double? {
            let rate = eventsPerSecond
            return rate > 0 ? Double(total - applied) / rate : nil
        }
    }

    /// Applies every event of `journal` into a fresh database, then atomically replaces `path`
    /// with it. Returns the number of events applied. The live database must not be open.
    @discardableResult
    public static func run(
        journal: Journal, databasePath path: String, batchSize: Int = 20_000,
        progress: @Sendable (Progress) -> Void = { _ in }
    ) async throws -> UInt64 {
        try await run(journal: journal, databasePath: path, batchSize: batchSize, tuning: Preparation.Tuning(), progress: progress)
    }

    static func run(
        journal: Journal, databasePath path: String, batchSize: Int, tuning: Preparation.Tuning,
        progress: @Sendable (Progress) -> Void = { _ in }
    ) async throws -> UInt64 {
        let scratch = path + ".rebuild"
        ProjectionStore.removeDatabaseFiles(at: scratch)
        let total = journal.lastSequence
        let started = Date()
        do {
            let store = try ProjectionStore(path: scratch)
            let projector = try Projector(journal: journal, store: store, batchSize: batchSize, tuning: tuning)
            var target: UInt64 = 0
            while target < total {
                target = min(total, target + UInt64(batchSize))
                try await projector.apply(through: target)
                progress(Progress(applied: target, total: total, elapsedSeconds: Date().timeIntervalSince(started)))
            }
            if total == 0 { progress(Progress(applied: 0, total: 0, elapsedSeconds: 0)) }
            // Fold the WAL into the file so the rename moves everything.
            try await store.pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
            try store.close()
        } catch {
            ProjectionStore.removeDatabaseFiles(at: scratch)
            throw error
        }
        // The old WAL belongs to the old file: drop it first (losing it would only mean more catch-up).
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        try? FileManager.default.removeItem(atPath: scratch + "-wal")
        try? FileManager.default.removeItem(atPath: scratch + "-shm")
        guard rename(scratch, path) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        return total
    }
}
