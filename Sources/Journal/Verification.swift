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
