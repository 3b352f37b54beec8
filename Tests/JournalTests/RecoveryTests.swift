import Foundation
import Testing
@testable import Journal

@Suite struct RecoveryTests {
    let options = JournalOptions(segmentSize: 8 * 1024)

    /// A journal with `count` records spread over several segments; returns their payloads.
    func makeJournal(_ dir: String, count: Int) async throws -> [[UInt8]] {
        let journal = try Journal(directory: dir, options: options)
        defer { journal.close() }
        var payloads: [[UInt8]] = []
        for i in 0..<count {
            let p = sampleText(100 + (i * 97) % 900, seed: i)
            payloads.append(p)
            _ = try await journal.append(RecordInput(type: 9000, payload: p))
        }
        return payloads
    }

    @Test func tornLastRecordAtEveryByteRecoversToThePreviousOne() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let original = dir.sub("original")
        let payloads = try await makeJournal(original, count: 30)
        let (segment, offset, footprint) = try {
            let j = try Journal(directory: original, mode: .readOnly)
            return j.location(of: 30)!
        }()
        let segmentPath = original + "/" + segment
        let intact = try readBytes(segmentPath, at: offset, count: footprint)
        // Header and payload, without the alignment padding (zeros either way).
        let storedLength = Int(intact[0]) | Int(intact[1]) << 8 | Int(intact[2]) << 16 | Int(intact[3]) << 24
        let recordLength = RecordFormat.headerSize + storedLength
        #expect(recordLength <= footprint && footprint - recordLength < RecordFormat.alignment)
        for cut in 0..<recordLength {
            // The write reached `cut` bytes into the record; the rest of the pre-allocated space is zeros.
            let copy = dir.sub("copy")
            try copyDirectory(original, to: copy)
            try patch(copy + "/" + segment, at: offset + cut, with: [UInt8](repeating: 0, count: footprint - cut))
            let expectCut = intact[0..<cut].contains { $0 != 0 }
            let journal = try Journal(directory: copy, options: options)
            #expect(journal.lastSequence == 29, "cut at \(cut)")
            if expectCut {
                let report = try #require(journal.recovery, "cut at \(cut)")
                #expect(report.segment == segment && report.offset == offset && report.lastGoodSequence == 29)
                #expect(report.bytesCut > 0 && report.bytesCut <= cut)
                let saved = try Data(contentsOf: URL(fileURLWithPath: report.savedTo))
                #expect(Array(saved) == Array(intact[0..<report.bytesCut]), "the cut bytes are kept")
            } else {
                #expect(journal.recovery == nil)
            }
            #expect(try journal.record(29).payload == payloads[28])
            // Appending continues on clean space, and survives another reopen.
            #expect(try await journal.append(RecordInput(type: 9000, payload: [42])) == 30)
            journal.close()
            let again = try Journal(directory: copy, options: options)
            #expect(again.recovery == nil && again.lastSequence == 30)
            #expect(try again.record(30).payload == [42])
            again.close()
        }
    }

    @Test func physicallyTruncatedLastSegmentRecovers() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        _ = try await makeJournal(dir.path, count: 30)
        let (segment, offset, footprint) = try Journal(directory: dir.path, mode: .readOnly).location(of: 30)!
        #expect(truncate(dir.sub(segment), off_t(offset + footprint / 2)) == 0)
        let journal = try Journal(directory: dir.path, options: options)
        defer { journal.close() }
        #expect(journal.lastSequence == 29)
        #expect(journal.recovery?.offset == offset)
        // A shorter segment simply rolls over sooner.
        for i in 0..<20 { _ = try await journal.append(RecordInput(type: 9000, payload: sampleText(500, seed: i))) }
        #expect(journal.lastSequence == 49)
        #expect(try journal.record(49).payload == sampleText(500, seed: 19))
    }

    @Test func bitFlipInASealedSegmentIsReportedAndRefused() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        _ = try await makeJournal(dir.path, count: 60)
        let segments = try segmentFiles(dir.path)
        #expect(segments.count >= 3)
        let (segment, offset, _) = try Journal(directory: dir.path, mode: .readOnly).location(of: 3)!
        #expect(segment == segments[0])
        let byte = try readBytes(dir.sub(segment), at: offset + 40, count: 1)[0]
        try patch(dir.sub(segment), at: offset + 40, with: [byte ^ 0x10])

        #expect {
            _ = try Journal(directory: dir.path, options: options)
        } throws: { error in
            guard case JournalError.damaged(let s, let o, .checksumMismatch) = error else { return false }
            return s == segment && o == offset && "\(error)".contains("roost journal verify")
        }
        // Read-only opens refuse too; nothing silently skipped.
        #expect(throws: JournalError.self) { _ = try Journal(directory: dir.path, mode: .readOnly) }
        let report = try Journal.verify(directory: dir.path)
        #expect(!report.isHealthy)
        #expect(report.problems.contains { $0.segment == segment && $0.offset == offset && !$0.isTornTail })
        // The damaged file was not modified by the refused opens.
        #expect(try readBytes(dir.sub(segment), at: offset + 40, count: 1)[0] == byte ^ 0x10)
    }

    @Test func damageInTheLastSegmentBeforeValidRecordsIsRefused() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        _ = try await makeJournal(dir.path, count: 60)
        let reader = try Journal(directory: dir.path, mode: .readOnly)
        let (lastSegment, _, _) = reader.location(of: 60)!
        // Find the first record of the last segment that has a successor in it.
        let (segment, offset, _) = reader.location(of: 58)!
        #expect(segment == lastSegment)
        try patch(dir.sub(segment), at: offset + 8, with: [0xFF])  // the sequence number field
        #expect {
            _ = try Journal(directory: dir.path, options: options)
        } throws: { error in
            guard case JournalError.damaged(let s, let o, _) = error else { return false }
            return s == segment && o == offset
        }
    }

    @Test func missingSegmentIsReported() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        _ = try await makeJournal(dir.path, count: 60)
        let segments = try segmentFiles(dir.path)
        try FileManager.default.removeItem(atPath: dir.sub(segments[1]))
        #expect {
            _ = try Journal(directory: dir.path, options: options)
        } throws: { error in
            guard case JournalError.notContiguous(let s, _, _) = error else { return false }
            return s == segments[2]
        }
        #expect(!(try Journal.verify(directory: dir.path).isHealthy))
    }

    @Test func foreignFileIsNotASegment() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        try Data(repeating: 0x41, count: 100).write(to: URL(fileURLWithPath: dir.sub("00000000000000000001.seg")))
        #expect(throws: JournalError.badSegmentHeader(segment: "00000000000000000001.seg")) {
            _ = try Journal(directory: dir.path, options: options)
        }
    }

    @Test func verifyOfAHealthyJournal() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        _ = try await makeJournal(dir.path, count: 25)
        let report = try Journal.verify(directory: dir.path)
        #expect(report.problems.isEmpty && report.isHealthy)
        #expect(report.records == 25 && report.firstSequence == 1 && report.lastSequence == 25)
        #expect(report.uncompressedBytes > report.storedBytes)
    }
}

@Suite struct SegmentInspectionTests {
    /// Found by the fuzzer: a file ending inside the last record's padding.
    @Test func fileCutInsideThePaddingOfTheLastRecord() async throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let journal = try Journal(directory: dir.path, options: JournalOptions(segmentSize: 8192))
        _ = try await journal.append(RecordInput(type: 9000, payload: Array("odd".utf8)))  // 35 bytes + 5 padding
        let (segment, offset, footprint) = journal.location(of: 1)!
        journal.close()
        let bytes = try readBytes(dir.sub(segment), at: 0, count: offset + footprint - 3)
        let inspection = bytes.withUnsafeBytes { SegmentInspection.inspect($0) }
        #expect(inspection.records == 1)
        #expect(inspection.end == bytes.count)
        #expect(inspection.defect == nil)
    }

    @Test func garbageIsNotASegment() {
        let garbage = [UInt8](repeating: 0x5A, count: 300)
        let inspection = garbage.withUnsafeBytes { SegmentInspection.inspect($0) }
        #expect(!inspection.hasHeader && inspection.records == 0)
    }
}
