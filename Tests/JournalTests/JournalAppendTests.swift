import Foundation
import Testing
@testable import Journal

@Suite struct JournalAppendTests {
    let small = JournalOptions(segmentSize: 16 * 1024)

    @Test func appendsAreReadBackAfterReopen() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        var written: [[UInt8]] = []
        do {
            let journal = try Journal(directory: dir.path, options: small)
            #expect(journal.lastSequence == 0)
            for i in 0..<50 {
                let payload = sampleText(i * 37, seed: i)
                written.append(payload)
                let seq = try await journal.append(RecordInput(type: 7, payload: payload))
                #expect(seq == UInt64(i + 1))
                // Read-your-writes: visible as soon as append returns.
                #expect(try journal.record(seq).payload == payload)
            }
            journal.close()
        }
        let reopened = try Journal(directory: dir.path, options: small)
        defer { reopened.close() }
        #expect(reopened.recovery == nil)
        #expect(reopened.lastSequence == 50)
        for (i, payload) in written.enumerated() {
            let record = try reopened.record(UInt64(i + 1))
            #expect(record.payload == payload)
            #expect(record.type == 7)
            #expect(record.sequence == UInt64(i + 1))
        }
        // Several segments were needed, each named for its first sequence number.
        let segments = try segmentFiles(dir.path)
        #expect(segments.count > 1)
        #expect(segments.first == "00000000000000000001.seg")
        // Appending continues the sequence after a reopen.
        #expect(try await reopened.append(RecordInput(type: 7, payload: [1, 2, 3])) == 51)
    }

    @Test func replayFromAnySequenceNumber() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let journal = try Journal(directory: dir.path, options: small)
        defer { journal.close() }
        let inputs = (0..<120).map { RecordInput(type: UInt16($0 % 5), payload: sampleText(50 + $0 * 11, seed: $0)) }
        _ = try await journal.append(Array(inputs[0..<60]))
        _ = try await journal.append(Array(inputs[60...]))
        for start in [1, 2, 17, 59, 60, 61, 119, 120] {
            var seen: [UInt64] = []
            for try await record in journal.records(from: UInt64(start)) {
                #expect(record.payload == inputs[Int(record.sequence) - 1].payload)
                #expect(record.type == inputs[Int(record.sequence) - 1].type)
                seen.append(record.sequence)
            }
            #expect(seen == Array(UInt64(start)...120))
        }
        #expect(try journal.records(from: 121).collect().isEmpty)
        var count = 0
        try journal.forEach(from: 100) { view in
            #expect(Array(view.payload) == inputs[Int(view.sequence) - 1].payload)
            count += 1
        }
        #expect(count == 21)
    }

    @Test func recordsLargerThanASegmentGetTheirOwn() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let journal = try Journal(directory: dir.path, options: small)
        defer { journal.close() }
        var generator = SystemRandomNumberGenerator()
        let big = (0..<100_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let seqs = try await journal.append([RecordInput(type: 1, payload: [9]), RecordInput(type: 2, payload: big), RecordInput(type: 3, payload: [8])])
        #expect(seqs == [1, 2, 3])
        #expect(try journal.record(2).payload == big)
        #expect(try journal.record(2).storedLength == big.count, "random bytes are stored raw")
        #expect(try journal.record(3).payload == [8])
    }

    @Test func compressibleRecordsAreCompressedAndSmallOnesStoredRaw() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let journal = try Journal(directory: dir.path, options: small)
        defer { journal.close() }
        let text = sampleText(5000, seed: 3)
        _ = try await journal.append([RecordInput(type: 1, payload: text), RecordInput(type: 1, payload: Array("tiny".utf8)), RecordInput(type: 1, payload: [])])
        #expect(try journal.record(1).storedLength < text.count / 2)
        #expect(try journal.record(2).storedLength == 4)
        #expect(try journal.record(3).payload == [])
        // readPayload gives the same bytes, compressed, raw or empty, into the caller's buffer.
        for sequence: UInt64 in 1...3 {
            let (type, count) = try journal.payloadInfo(sequence)
            #expect(type == 1)
            let read = try [UInt8](unsafeUninitializedCapacity: count) { buffer, n in
                try journal.readPayload(sequence, into: UnsafeMutableRawBufferPointer(buffer))
                n = count
            }
            #expect(read == (try journal.record(sequence).payload), "record \(sequence)")
        }
        #expect(throws: JournalError.self) { try journal.payloadInfo(4) }
    }

    @Test func concurrentAppendersGetOneGapFreeTotalOrder() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let journal = try Journal(directory: dir.path, options: JournalOptions(segmentSize: 64 * 1024))
        let writers = 32, perWriter = 40
        let results = try await withThrowingTaskGroup(of: [(UInt64, [UInt8])].self) { group in
            for w in 0..<writers {
                group.addTask {
                    var mine: [(UInt64, [UInt8])] = []
                    for i in 0..<perWriter {
                        let payload = Array("writer \(w) record \(i) ".utf8) + sampleText(i * 13 % 700, seed: w * 1000 + i)
                        let batch = [RecordInput(type: 1, payload: payload), RecordInput(type: 2, payload: payload.reversed())]
                        let seqs = try await journal.append(batch)
                        #expect(seqs.count == 2 && seqs[1] == seqs[0] + 1, "a batch is contiguous")
                        mine.append((seqs[0], payload))
                        mine.append((seqs[1], payload.reversed()))
                    }
                    return mine
                }
            }
            var all: [(UInt64, [UInt8])] = []
            for try await part in group { all += part }
            return all
        }
        let total = writers * perWriter * 2
        #expect(results.count == total)
        #expect(Set(results.map(\.0)) == Set(1...UInt64(total)), "no gaps, no duplicates")
        journal.close()
        let reopened = try Journal(directory: dir.path, options: JournalOptions(segmentSize: 64 * 1024))
        defer { reopened.close() }
        #expect(reopened.lastSequence == UInt64(total))
        for (seq, payload) in results { #expect(try reopened.record(seq).payload == payload) }
        // Group commit: concurrent appends shared fdatasyncs (one timestamp per commit).
        var timestamps = Set<Int64>()
        try reopened.forEach { timestamps.insert($0.timestamp) }
        #expect(timestamps.count < writers * perWriter)
    }

    @Test func aSecondWriterIsRefusedWithTheHoldersName() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let journal = try Journal(directory: dir.path, options: small)
        #expect {
            _ = try Journal(directory: dir.path, options: small)
        } throws: { error in
            guard case JournalError.locked(_, let holder) = error else { return false }
            return holder.contains("pid \(getpid())")
        }
        // Readers need no lock.
        let reader = try Journal(directory: dir.path, mode: .readOnly)
        #expect(reader.lastSequence == 0)
        journal.close()
    }

    @Test func readOnlyJournalRefusesAppends() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let writer = try Journal(directory: dir.path, options: small)
        _ = try await writer.append(RecordInput(type: 1, payload: [1]))
        writer.close()
        let reader = try Journal(directory: dir.path, mode: .readOnly)
        await #expect(throws: JournalError.notWritable) { try await reader.append(RecordInput(type: 1, payload: [1])) }
        #expect(throws: JournalError.noSuchSequence(2)) { try reader.record(2) }
        #expect(throws: JournalError.noSuchSequence(0)) { try reader.record(0) }
    }

    @Test func oversizedPayloadIsRefusedAndChangesNothing() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let journal = try Journal(directory: dir.path, options: small)
        defer { journal.close() }
        let huge = [UInt8](repeating: 0x41, count: RecordFormat.maximumPayload + 1)
        await #expect(throws: JournalError.payloadTooLarge(huge.count)) {
            try await journal.append([RecordInput(type: 1, payload: [1]), RecordInput(type: 1, payload: huge)])
        }
        #expect(journal.lastSequence == 0)
    }
}
