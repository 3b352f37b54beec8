/// `roost journal verify`: every record of every segment checked (framing, CRC, sequence order,
/// decompression, payload decoding), reading only; nothing is changed.
public struct VerificationReport: Sendable {
    public struct Problem: Sendable, Hashable, CustomStringConvertible {
        public var segment: String
        public var offset: Int
        public var what: String
        /// True for a torn write at the tail of the last segment (recovered on the next open).
        public var isTornTail: Bool
        public var description: String {
            "\(segment) offset \(offset): \(what)" + (isTornTail ? " (torn tail: the next start cuts it and keeps a copy)" : "")
        }
    }

    public var segments = 0
    public var records = 0
    public var firstSequence: UInt64 = 0
    public var lastSequence: UInt64 = 0
    public var storedBytes = 0
    public var uncompressedBytes = 0
    public var problems: [Problem] = []

    /// True when the journal can be opened without losing anything it acknowledged.
    public var isHealthy: Bool { problems.allSatisfy(\.isTornTail) }
}

extension Journal {
    public static func verify(directory: String) throws -> VerificationReport {
        var report = VerificationReport()
        let names = try segmentNames(in: directory)
        report.segments = names.count
        var expected: UInt64 = 1
        var scratch = DecompressionBuffer()
        defer { scratch.release() }
        for (number, entry) in names.enumerated() {
            let isLast = number == names.count - 1
            let segment = try Segment(directory: directory, name: entry.name, firstSequence: entry.first, writable: false)
            if entry.first != expected {
                report.problems.append(.init(segment: entry.name, offset: 0,
                    what: "starts at sequence \(entry.first) but \(expected) was expected (a segment is missing or extra)", isTornTail: false))
            }
            guard SegmentFile.hasValidHeader(segment.map.bytes) else {
                report.problems.append(.init(segment: entry.name, offset: 0, what: "no journal segment header", isTornTail: false))
                expected = entry.first
                continue
            }
            let scan = SegmentScan.walk(segment.map.bytes, firstSequence: entry.first)
            for (sequence, offset) in scan.records {
                do {
                    let view = try RecordView.read(segment: segment, at: offset, scratch: &scratch)
                    report.storedBytes += Int(view.header.storedLength)
                    report.uncompressedBytes += view.payload.count
                    if report.records == 0 { report.firstSequence = sequence }
                    report.records += 1
                    report.lastSequence = sequence
                    _ = try Event.decode(type: view.type, payload: view.payload)
                } catch {
                    report.problems.append(.init(segment: entry.name, offset: offset, what: "event \(sequence): \(error)", isTornTail: false))
                }
            }
            if let (offset, defect) = scan.defect {
                report.problems.append(.init(segment: entry.name, offset: offset, what: "\(defect)",
                                             isTornTail: isLast && !scan.validRecordBeyondDefect))
            }
            expected = entry.first + UInt64(scan.records.count)
        }
        return report
    }
}

/// What walking one segment's bytes found; for `roost journal verify`-style tools and the fuzzer.
public struct SegmentInspection: Sendable, Hashable {
    public var hasHeader: Bool
    public var records: Int
    public var events: Int
    /// Where the data ends (end marker or first defect).
    public var end: Int
    public var defect: RecordDefect?
    public var defectOffset: Int?
    public var isTornTail: Bool

    /// Walks `bytes` as a segment whose first record should carry `firstSequence`, checking
    /// framing and CRCs, decompressing every payload and decoding known event types.
    public static func inspect(_ bytes: UnsafeRawBufferPointer, firstSequence: UInt64 = 1) -> SegmentInspection {
        var result = SegmentInspection(hasHeader: SegmentFile.hasValidHeader(bytes), records: 0, events: 0,
                                       end: 0, defect: nil, defectOffset: nil, isTornTail: false)
        guard result.hasHeader else { return result }
        let scan = SegmentScan.walk(bytes, firstSequence: firstSequence)
        result.records = scan.records.count
        result.end = scan.end
        result.defect = scan.defect?.defect
        result.defectOffset = scan.defect?.offset
        result.isTornTail = scan.defect != nil && !scan.validRecordBeyondDefect
        var scratch = DecompressionBuffer()
        defer { scratch.release() }
        for (_, offset) in scan.records {
            let base = bytes.baseAddress! + offset
            let header = RecordFormat.readHeader(base)
            let stored = UnsafeRawBufferPointer(start: base + RecordFormat.headerSize, count: Int(header.storedLength))
            var payload = stored
            if header.flags.contains(.compressed) {
                let out = scratch.buffer(count: Int(header.uncompressedLength))
                guard LZ4.decompress(stored, into: out) else { continue }
                payload = UnsafeRawBufferPointer(out)
            }
            if (try? Event.decode(type: header.type, payload: payload)) != nil { result.events += 1 }
        }
        return result
    }
}
