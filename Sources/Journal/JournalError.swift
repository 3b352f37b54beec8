/// What can go wrong opening, reading or appending to the journal. Each message names the file and
/// offset involved and, where the operator has something to do, what to run.
public enum JournalError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Another process holds the writer lock.
    case locked(directory: String, holder: String)
    /// A system call failed.
    case io(operation: String, path: String, errno: Int32)
    /// A record that is not at the tail of the last segment is damaged: never skipped.
    case damaged(segment: String, offset: Int, defect: RecordDefect)
    /// A segment does not start where the previous one ended (missing or extra segment file).
    case notContiguous(segment: String, expectedFirst: UInt64, found: UInt64)
    /// A segment file does not start with the journal's magic bytes.
    case badSegmentHeader(segment: String)
    /// No event with this sequence number exists (yet).
    case noSuchSequence(UInt64)
    /// An event payload above `RecordFormat.maximumPayload`.
    case payloadTooLarge(Int)
    /// Appending on a journal opened read-only, or after `close()`.
    case notWritable
    /// An earlier write failed; the journal refuses further appends until reopened (and recovered).
    case failed(String)

    public var description: String {
        switch self {
        case .locked(let directory, let holder):
            "journal \(directory) is locked by another writer (\(holder)); stop it, or use its admin socket"
        case .io(let operation, let path, let errno):
            "\(operation) \(path): \(String(cString: strerror(errno))) (errno \(errno))"
        case .damaged(let segment, let offset, let defect):
            "journal damaged in segment \(segment) at offset \(offset): \(defect). Roost will not skip it. "
                + "Run `roost journal verify` for the full report and restore that segment from a backup."
        case .notContiguous(let segment, let expected, let found):
            "segment \(segment) starts at sequence \(found) but \(expected) was expected: "
                + "a segment file is missing or extra. Run `roost journal verify`."
        case .badSegmentHeader(let segment):
            "segment \(segment) does not start with the journal's magic bytes; it is not a Roost segment or is damaged"
        case .noSuchSequence(let seq): "no event with sequence number \(seq)"
        case .payloadTooLarge(let n): "event payload of \(n) bytes exceeds the journal's limit of \(RecordFormat.maximumPayload)"
        case .notWritable: "journal is not open for writing"
        case .failed(let why): "journal stopped accepting appends after a write failure: \(why); restart Roost to recover"
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
