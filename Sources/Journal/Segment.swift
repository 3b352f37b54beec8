#if canImport(Glibc)
import Glibc
#endif

/// One segment file: a 16-byte file header, then records, then zeros up to the pre-allocated size.
/// Named after the sequence number of its first record, so the files sort in journal order.
enum SegmentFile {
    /// "ROOSTJNL", u32 LE format version, 4 zero bytes.
    static let headerSize = 16
    static let magic: [UInt8] = Array("ROOSTJNL".utf8)
    static let formatVersion: UInt32 = 1
    static let suffix = ".seg"
    static let spareName = "spare.tmp"

    static func name(firstSequence: UInt64) -> String {
        let digits = String(firstSequence)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + suffix
    }

    static func firstSequence(ofName name: String) -> UInt64? {
        guard name.hasSuffix(suffix), name.count == 20 + suffix.count else { return nil }
        return UInt64(name.dropLast(suffix.count))
    }

    static var headerBytes: [UInt8] {
        var bytes = magic
        withUnsafeBytes(of: formatVersion.littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [0, 0, 0, 0])
        return bytes
    }

    static func hasValidHeader(_ region: UnsafeRawBufferPointer) -> Bool {
        guard region.count >= headerSize else { return false }
        return headerBytes.withUnsafeBytes { expected in
            memcmp(expected.baseAddress!, region.baseAddress!, headerSize) == 0
        }
    }

    /// Creates `path` with the segment header and zeros up to `size`, durably (data and entry).
    static func preallocate(at path: String, size: Int, directory: String) throws {
        let fd = try FileSystem.open(path, O_RDWR | O_CREAT | O_TRUNC)
        defer { close(fd) }
        try FileSystem.zeroFill(fd, from: 0, count: size, path: path)
        try headerBytes.withUnsafeBytes { try FileSystem.writeAll(fd, $0, at: 0, path: path) }
        try FileSystem.syncData(fd, path: path)
        try FileSystem.syncDirectory(directory)
    }
}

/// The outcome of walking the records of one segment.
struct SegmentScan {
    /// (sequence, offset) of every valid record, in order.
    var records: [(sequence: UInt64, offset: Int)] = []
    /// Where the data ends: the offset of the end marker or of the first defect.
    var end: Int
    /// The first invalid record, if the walk stopped at one rather than at an end marker.
    var defect: (offset: Int, defect: RecordDefect)?
    /// Whether some valid record lies beyond the defect (so it is damage, not a torn tail).
    var validRecordBeyondDefect = false
    /// One past the last non-zero byte after `end` (the extent of a torn write to cut).
    var dirtyEnd: Int

    /// Walks `region` (a whole mapped segment) starting at the first record, expecting `firstSequence`.
    static func walk(_ region: UnsafeRawBufferPointer, firstSequence: UInt64, collect: Bool = true) -> SegmentScan {
        var scan = SegmentScan(end: SegmentFile.headerSize, dirtyEnd: SegmentFile.headerSize)
        var offset = SegmentFile.headerSize
        var expected = firstSequence
        while true {
            if region.count - offset < RecordFormat.headerSize {
                // Too short for a header: the end, unless the leftover bytes are not zero.
                if isZero(region, from: offset, to: region.count) {
                    scan.end = offset; scan.dirtyEnd = offset; return scan
                }
                scan.end = offset
                scan.defect = (offset, .truncated(needed: RecordFormat.headerSize, available: region.count - offset))
                scan.dirtyEnd = region.count
                return scan
            }
            if RecordFormat.isEndMarker(region.baseAddress! + offset) {
                scan.end = offset
                break
            }
            switch RecordFormat.validate(region, at: offset) {
            case .success(let header):
                if header.sequence != expected {
                    scan.end = offset
                    scan.defect = (offset, .unexpectedSequence(expected: expected, found: header.sequence))
                    break
                }
                if collect { scan.records.append((header.sequence, offset)) }
                expected += 1
                // A file cut inside the last record's padding still holds the whole record.
                offset = min(offset + header.footprint, region.count)
                continue
            case .failure(let defect):
                scan.end = offset
                scan.defect = (offset, defect)
            }
            break
        }
        // Anything non-zero past the end belongs to a torn write, or is damage if a record follows.
        scan.dirtyEnd = lastNonZero(region, from: scan.end)
        if scan.defect != nil {
            scan.validRecordBeyondDefect = findValidRecord(region, after: scan.end, before: scan.dirtyEnd)
        } else if scan.dirtyEnd > scan.end {
            // An end marker followed by stray bytes: a torn write that left its first header unwritten.
            scan.defect = (scan.end, .truncated(needed: RecordFormat.headerSize, available: 0))
            scan.validRecordBeyondDefect = findValidRecord(region, after: scan.end, before: scan.dirtyEnd)
        }
        return scan
    }

    private static func isZero(_ region: UnsafeRawBufferPointer, from: Int, to: Int) -> Bool {
        var i = from
        while i < to { if region[i] != 0 { return false }; i += 1 }
        return true
    }

    /// One past the last non-zero byte at or after `from` (or `from` if all are zero).
    private static func lastNonZero(_ region: UnsafeRawBufferPointer, from: Int) -> Int {
        var i = region.count
        let base = region.baseAddress!
        // Skip zero words from the end, 8 bytes at a time; segments are mostly zeros.
        while i - 8 >= from && (i & 7) == 0 {
            if base.loadUnaligned(fromByteOffset: i - 8, as: UInt64.self) != 0 { break }
            i -= 8
        }
        while i > from && region[i - 1] == 0 { i -= 1 }
        return i
    }

    private static func findValidRecord(_ region: UnsafeRawBufferPointer, after start: Int, before end: Int) -> Bool {
        var offset = start + RecordFormat.alignment
        while offset + RecordFormat.headerSize <= end {
            if !RecordFormat.isEndMarker(region.baseAddress! + offset),
               case .success = RecordFormat.validate(region, at: offset) {
                return true
            }
            offset += RecordFormat.alignment
        }
        return false
    }
}
