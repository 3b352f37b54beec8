import Testing
@testable import Journal

/// `append(_:derived:)`: records that name the sequence number of a record in the same batch,
/// one fdatasync, correct under concurrent appenders.
@Suite struct DerivedAppendTests {
    @Test func derivedRecordsFollowTheirBatchAndKnowItsFirstSequence() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let journal = try Journal(directory: dir.path, options: JournalOptions(segmentSize: 64 * 1024))
        defer { journal.close() }
        // Many concurrent appenders, some plain, some with derived records.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<40 {
                group.addTask {
                    let body = RecordInput(type: 20, payload: Array("message \(i)".utf8) + Array(repeating: UInt8(i), count: 500))
                    if i % 3 == 0 {
                        _ = try await journal.append(body)
                        return
                    }
                    let seqs = try await journal.append([body], derived: { first in
                        (0..<(i % 4 + 1)).map { k in RecordInput(type: 21, payload: Array("\(first) \(i) \(k)".utf8)) }
                    })
                    #expect(seqs.count == 1 + i % 4 + 1)
                    #expect(seqs == Array(seqs[0]...(seqs[0] + UInt64(seqs.count - 1))))
                    for (k, seq) in seqs.dropFirst().enumerated() {
                        #expect(try journal.record(seq).payload == Array("\(seqs[0]) \(i) \(k)".utf8))
                    }
                    #expect(try journal.record(seqs[0]).payload.starts(with: Array("message \(i)".utf8)))
                }
            }
            try await group.waitForAll()
        }
        // Every derived record names a record of type 20 written just before it.
        for seq in 1...journal.lastSequence {
            let record = try journal.record(seq)
            guard record.type == 21 else { continue }
            let named = UInt64(String(decoding: record.payload, as: UTF8.self).split(separator: " ")[0])!
            #expect(try journal.record(named).type == 20)
            #expect(named < seq)
        }
    }

    @Test func aFailingDeriveFailsOnlyItsBatch() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let journal = try Journal(directory: dir.path)
        defer { journal.close() }
        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            _ = try await journal.append([RecordInput(type: 20, payload: [1])], derived: { _ in throw Refused() })
        }
        #expect(journal.lastSequence == 0)
        #expect(try await journal.append(RecordInput(type: 20, payload: [2])) == 1)
    }
}
