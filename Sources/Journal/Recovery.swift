#if canImport(Glibc)
import Glibc
#endif

/// Opening a journal: find the segments, check every record, and tell a torn tail (cut it, keep
/// the bytes, report) from damage anywhere else (refuse, name segment and offset).
extension Journal {
    struct Loaded {
        var segments: [Segment]
        var index: [UInt64]
        var tailEnd: Int
        var lastTimestamp: Int64
        var recovery: RecoveryReport?
    }

    static func segmentNames(in directory: String) throws -> [(name: String, first: UInt64)] {
        try FileSystem.listDirectory(directory)
            .compactMap { name in SegmentFile.firstSequence(ofName: name).map { (name, $0) } }
            .sorted { $0.first < $1.first }
    }

    static func load(directory: String, options: JournalOptions, writable: Bool) throws -> Loaded {
        var names = try segmentNames(in: directory)
        if names.isEmpty {
            guard writable else {
                // A read-only look at a journal that does not exist yet: empty.
                if !FileSystem.exists(directory) { throw JournalError.io(operation: "open", path: directory, errno: ENOENT) }
                return Loaded(segments: [], index: [], tailEnd: 0, lastTimestamp: 0, recovery: nil)
            }
            let name = SegmentFile.name(firstSequence: 1)
            let temporary = directory + "/" + "first.tmp"
            try SegmentFile.preallocate(at: temporary, size: options.segmentSize, directory: directory)
            try FileSystem.rename(temporary, directory + "/" + name)
            try FileSystem.syncDirectory(directory)
            names = [(name, 1)]
        }
        if writable {
            // Left by an earlier run: never trusted, prepared again.
            for stale in ["first.tmp", SegmentFile.spareName, "rollover.tmp"] {
                FileSystem.unlink(directory + "/" + stale)
            }
        }

        var segments: [Segment] = []
        var index: [UInt64] = []
        var tailEnd = SegmentFile.headerSize
        var lastTimestamp: Int64 = 0
        var recovery: RecoveryReport?
        var expected: UInt64 = 1
        for (number, entry) in names.enumerated() {
            let isLast = number == names.count - 1
            let segment = try Segment(directory: directory, name: entry.name, firstSequence: entry.first, writable: writable && isLast)
            guard entry.first == expected else {
                throw JournalError.notContiguous(segment: entry.name, expectedFirst: expected, found: entry.first)
            }
            guard SegmentFile.hasValidHeader(segment.map.bytes) else {
                throw JournalError.badSegmentHeader(segment: entry.name)
            }
            let scan = SegmentScan.walk(segment.map.bytes, firstSequence: entry.first)
            if let (offset, defect) = scan.defect {
                guard isLast, !scan.validRecordBeyondDefect else {
                    throw JournalError.damaged(segment: entry.name, offset: offset, defect: defect)
                }
                let lastGood = entry.first + UInt64(scan.records.count) - 1
                recovery = try cutTornTail(
                    segment: segment, directory: directory, from: offset, to: scan.dirtyEnd,
                    defect: defect, lastGood: lastGood, writable: writable)
            }
            let segmentNumber = UInt64(segments.count)
            index.reserveCapacity(index.count + scan.records.count)
            for record in scan.records {
                index.append(segmentNumber << 40 | UInt64(record.offset))
            }
            if let last = scan.records.last {
                lastTimestamp = RecordFormat.readHeader(segment.map.base! + last.offset).timestamp
            }
            expected = entry.first + UInt64(scan.records.count)
            tailEnd = scan.end
            // The scan read every page; readers fault in what they need again.
            segment.map.release(from: 0, to: segment.map.count)
            segments.append(segment)
        }
        return Loaded(segments: segments, index: index, tailEnd: tailEnd, lastTimestamp: lastTimestamp, recovery: recovery)
    }

    /// Saves `[from, to)` of the last segment to a side file, then zeros it durably, so the next
    /// append starts on clean space. Read-only opens only report.
    private static func cutTornTail(
        segment: Segment, directory: String, from: Int, to: Int, defect: RecordDefect,
        lastGood: UInt64, writable: Bool
    ) throws -> RecoveryReport {
        var report = RecoveryReport(
            segment: segment.name, offset: from, bytesCut: to - from, lastGoodSequence: lastGood,
            savedTo: "", defect: defect)
        guard writable else { return report }
        let side = directory + "/" + segment.name + ".torn-\(from)-\(FileSystem.nowMicroseconds())"
        let fd = try FileSystem.open(side, O_WRONLY | O_CREAT | O_EXCL)
        defer { Glibc.close(fd) }
        let cut = UnsafeRawBufferPointer(rebasing: segment.map.bytes[from..<to])
        try FileSystem.writeAll(fd, cut, at: 0, path: side)
        try FileSystem.syncData(fd, path: side)
        try FileSystem.syncDirectory(directory)
        try FileSystem.zeroFill(segment.fd, from: from, count: to - from, path: segment.path)
        try FileSystem.syncData(segment.fd, path: segment.path)
        report.savedTo = side
        return report
    }
}
