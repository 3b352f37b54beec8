import Foundation
import Journal
@testable import Projections

/// A real journal and a real SQLite projection database in a temporary data directory.
final class Harness {
    let directory: String
    let journal: Journal
    var store: ProjectionStore
    var projector: Projector

    var databasePath: String { directory + "/projections.sqlite" }

    init() throws {
        var template = Array((NSTemporaryDirectory() + "roost-projections-XXXXXX").utf8CString)
        directory = String(cString: mkdtemp(&template)!)
        journal = try Journal(directory: directory + "/journal", options: JournalOptions(segmentSize: 256 * 1024))
        store = try ProjectionStore(path: directory + "/projections.sqlite")
        projector = try Projector(journal: journal, store: store, batchSize: 16)
    }

    @discardableResult
    func append(_ events: [any EventBody]) async throws -> [UInt64] {
        try await journal.append(events: events, applyingWith: projector)
    }

    @discardableResult
    func append(_ event: any EventBody) async throws -> UInt64 {
        try await append([event])[0]
    }

    /// Closes and reopens the database (as a restart would), catching up from the journal.
    func reopenDatabase() async throws {
        try store.close()
        store = try ProjectionStore(path: databasePath)
        projector = try Projector(journal: journal, store: store, batchSize: 16)
        try await projector.catchUp()
    }

    /// A from-scratch rebuild into a separate file; returns its canonical dump. Batches of 50
    /// events, each (but a short last one) prepared on the pipeline's thread in chunks of 7, so
    /// that path and its chunk boundaries are what the comparisons with live apply check.
    func rebuiltDump() async throws -> String {
        let path = directory + "/rebuilt-\(UUID().uuidString).sqlite"
        try await Rebuild.run(journal: journal, databasePath: path, batchSize: 50,
                              tuning: Preparation.Tuning(chunkSize: 7, pipelineThreshold: 10))
        let rebuilt = try ProjectionStore(path: path)
        defer { try? rebuilt.close() }
        return try rebuilt.canonicalDump()
    }

    func remove() {
        try? store.close()
        journal.close()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

let ctx = EventContext.system("test")
