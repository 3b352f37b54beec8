import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Settings of a journal; the defaults are what `roost serve` uses.
public struct JournalOptions: Sendable, Hashable {
    /// Size segments are pre-allocated to; a new segment starts when the next record doesn't fit.
    public var segmentSize: Int
    public init(segmentSize: Int = 64 << 20) {
        precondition(segmentSize >= 4096, "segments must be at least 4 KiB")
        self.segmentSize = segmentSize
    }
}

/// Told about every group commit, on the writer thread (keep it quick): for metrics.
public protocol JournalObserver: Sendable {
    func committed(records: Int, bytes: Int, syncDuration: Duration)
}

/// An event to append: its type tag and its encoded (uncompressed) payload.
public struct RecordInput: Sendable, Hashable {
    public var type: UInt16
    public var payload: [UInt8]
    public init(type: UInt16, payload: [UInt8]) {
        self.type = type
        self.payload = payload
    }
}

/// One event read back from the journal.
public struct Record: Sendable, Hashable {
    public var sequence: UInt64
    /// When it was appended, in microseconds since the Unix epoch (UTC).
    public var timestamp: Int64
    public var type: UInt16
    /// The uncompressed payload.
    public var payload: [UInt8]
    /// Bytes the payload takes on disk (compressed or raw), without header and padding.
    public var storedLength: Int
}

/// What recovery cut from the tail of the last segment when the journal was opened.
public struct RecoveryReport: Sendable, Hashable, CustomStringConvertible {
    public var segment: String
    public var offset: Int
    public var bytesCut: Int
    public var lastGoodSequence: UInt64
    /// The file the cut bytes were saved to, for inspection.
    public var savedTo: String
    public var defect: RecordDefect

    public var description: String {
        "recovered a torn write at the tail of segment \(segment): cut \(bytesCut) bytes at offset \(offset) "
            + "(\(defect)); last good sequence number \(lastGoodSequence); the cut bytes are kept in \(savedTo)"
    }
}

/// A segment as the journal holds it open.
final class Segment: @unchecked Sendable {
    let name: String
    let path: String
    let firstSequence: UInt64
    let fd: Int32
    let map: MappedFile

    init(directory: String, name: String, firstSequence: UInt64, writable: Bool) throws {
        self.name = name
        self.path = directory + "/" + name
        self.firstSequence = firstSequence
        fd = try FileSystem.open(path, writable ? O_RDWR : O_RDONLY)
        do {
            map = try MappedFile(fd: fd, count: try FileSystem.size(fd, path: path), path: path)
        } catch {
            close(fd)
            throw error
        }
    }

    var size: Int { map.count }

    deinit { close(fd) }
}

/// The append-only, checksummed, compressed event log everything in Roost is derived from.
///
/// `append` returns only once its records are written and fdatasync'd; concurrent appenders share
/// one fdatasync (group commit). Sequence numbers start at 1 and have no gaps. Readers address events
/// by sequence number only; the byte offsets stay inside this type.
public final class Journal: Sendable {
    public let directory: String
    public let options: JournalOptions
    /// Set when opening cut a torn write from the tail of the last segment.
    public let recovery: RecoveryReport?

    struct State {
        var segments: [Segment]
        /// index[seq - 1] = segment number << 40 | offset
        var index: [UInt64]
        var lastSequence: UInt64 { UInt64(index.count) }
        var commitListeners: [@Sendable (UInt64) -> Void] = []
    }

    let state: Mutex<State>
    private let writer: GroupCommitWriter?
    private let lock: WriterLock?

    public enum Mode: Sendable { case readWrite, readOnly }

    /// Opens (creating if needed, in read-write mode) the journal in `directory`, checks every record,
    /// and recovers a torn tail. Read-only mode takes no lock and changes nothing: a torn tail is
    /// treated as the end (and reported in `recovery` with `savedTo` empty).
    public init(directory: String, options: JournalOptions = .init(), mode: Mode = .readWrite,
                observer: (any JournalObserver)? = nil) throws {
        self.directory = directory
        self.options = options
        let writable = mode == .readWrite
        if writable {
            try FileSystem.makeDirectory(directory)
            lock = try WriterLock(directory: directory)
        } else {
            lock = nil
        }
        let opened = try Journal.load(directory: directory, options: options, writable: writable)
        recovery = opened.recovery
        state = Mutex(State(segments: opened.segments, index: opened.index))
        if writable {
            let last = opened.segments.last!
            let end = opened.tailEnd
            writer = GroupCommitWriter(
                directory: directory, options: options, active: last, writeOffset: end,
                nextSequence: UInt64(opened.index.count) + 1, lastTimestamp: opened.lastTimestamp,
                observer: observer)
            writer!.journal = self
            writer!.start()
        } else {
            writer = nil
        }
    }

    deinit {
        writer?.stop()
    }

    /// Stops accepting appends, finishes queued ones, and releases the writer lock when the last
    /// reference goes.
    public func close() {
        writer?.stop()
        lock?.release()
    }

    /// The sequence number of the last durable event (0 for an empty journal).
    public var lastSequence: UInt64 { state.withLock { $0.lastSequence } }

    /// `listener` is told the last sequence number after every commit, on the writer thread, once
    /// the records are durable and readable and before their appenders resume: the projector starts
    /// applying them while the appenders wait for a core. Keep it short and non-blocking.
    public func addCommitListener(_ listener: @escaping @Sendable (_ lastSequence: UInt64) -> Void) {
        state.withLock { $0.commitListeners.append(listener) }
    }

    func notifyCommitted() {
        let (last, listeners) = state.withLock { ($0.lastSequence, $0.commitListeners) }
        for listener in listeners { listener(last) }
    }

    /// Appends `records` as one batch; returns their sequence numbers once they are durable.
    public func append(_ records: [RecordInput]) async throws -> [UInt64] {
        guard let writer else { throw JournalError.notWritable }
        if records.isEmpty { return [] }
        // Compress in the caller's task so concurrent appenders compress in parallel.
        let preparing = writer.beginPreparing(payloadBytes: records.reduce(0) { $0 + $1.payload.count })
        let prepared: [PreparedRecord]
        do {
            prepared = try records.map { try PreparedRecord($0) }
        } catch {
            writer.cancelPreparing(preparing)
            throw error
        }
        return try await withCheckedThrowingContinuation { continuation in
            writer.enqueue(prepared, prepared: preparing, continuation)
        }
    }

    /// Appends `records` and, in the same batch right after them, the records `derived` makes from
    /// the sequence number the first of `records` gets: events that refer to an event of the same
    /// batch (a delivery names its message-received event) without a second fdatasync. `derived`
    /// runs on the writer thread while the commit is assembled: keep it small and quick (its
    /// records are compressed there). Returns the sequence numbers of all records, `records`'
    /// first, once durable.
    public func append(_ records: [RecordInput], derived: @escaping @Sendable (_ firstSequence: UInt64) throws -> [RecordInput]) async throws -> [UInt64] {
        guard let writer else { throw JournalError.notWritable }
        if records.isEmpty { return [] }
        let preparing = writer.beginPreparing(payloadBytes: records.reduce(0) { $0 + $1.payload.count })
        let prepared: [PreparedRecord]
        do {
            prepared = try records.map { try PreparedRecord($0) }
        } catch {
            writer.cancelPreparing(preparing)
            throw error
        }
        return try await withCheckedThrowingContinuation { continuation in
            writer.enqueue(prepared, derived: derived, prepared: preparing, continuation)
        }
    }

    /// Appends one record; returns its sequence number once durable.
    public func append(_ record: RecordInput) async throws -> UInt64 {
        try await append([record])[0]
    }

    /// Reads the event with sequence number `sequence`, checking its CRC.
    public func record(_ sequence: UInt64) throws -> Record {
        let (segment, offset) = try state.withLock { state -> (Segment, Int) in
            guard sequence >= 1, sequence <= state.lastSequence else { throw JournalError.noSuchSequence(sequence) }
            let packed = state.index[Int(sequence - 1)]
            return (state.segments[Int(packed >> 40)], Int(packed & 0xFF_FFFF_FFFF))
        }
        var scratch = DecompressionBuffer()
        defer { scratch.release() }
        let view = try RecordView.read(segment: segment, at: offset, scratch: &scratch)
        return view.record
    }

    /// The type and uncompressed payload size of the event with sequence number `sequence`,
    /// checking its CRC, without reading the payload out: for `readPayload(_:into:)`.
    public func payloadInfo(_ sequence: UInt64) throws -> (type: UInt16, count: Int) {
        let (segment, offset) = try location(of: sequence)
        let header = try RecordView.header(segment: segment, at: offset)
        return (header.type, Int(header.uncompressedLength))
    }

    /// Puts the payload of event `sequence` into `buffer` (exactly `payloadInfo(_:).count`
    /// octets), decompressing straight into it, so a large message is copied (or decompressed)
    /// once, into memory the reader owns, with no scratch buffer beside it.
    public func readPayload(_ sequence: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws {
        let (segment, offset) = try location(of: sequence)
        try RecordView.read(segment: segment, at: offset, into: buffer)
    }

    private func location(of sequence: UInt64) throws -> (Segment, Int) {
        try state.withLock { state -> (Segment, Int) in
            guard sequence >= 1, sequence <= state.lastSequence else { throw JournalError.noSuchSequence(sequence) }
            let packed = state.index[Int(sequence - 1)]
            return (state.segments[Int(packed >> 40)], Int(packed & 0xFF_FFFF_FFFF))
        }
    }

    /// Events from `sequence` on (inclusive), in order, up to the last durable one when iteration
    /// reaches it.
    public func records(from sequence: UInt64 = 1) -> RecordSequence {
        RecordSequence(journal: self, start: max(1, sequence))
    }

    /// Calls `body` for each event from `sequence` on, without copying payloads: the view's payload
    /// is valid only during the call. The fastest way to replay.
    public func forEach(from sequence: UInt64 = 1, through last: UInt64 = .max, _ body: (RecordView) throws -> Void) throws {
        guard sequence <= last else { return }
        var cursor = RecordCursor(journal: self, start: max(1, sequence))
        while let view = try cursor.next() {
            try body(view)
            if view.sequence >= last { return }
        }
    }

    // MARK: - Internal, for the writer

    func publish(segment: Segment) {
        state.withLock { $0.segments.append(segment) }
    }

    func publish(entries: [UInt64]) {
        state.withLock { $0.index.append(contentsOf: entries) }
    }

    func segmentNumber(of segment: Segment) -> Int {
        state.withLock { state in state.segments.lastIndex { $0 === segment }! }
    }
}

/// A record compressed (or not) and ready for the writer to frame.
struct PreparedRecord: Sendable {
    var type: UInt16
    var stored: [UInt8]
    var compressed: Bool
    var uncompressedLength: Int

    init(_ input: RecordInput) throws {
        guard input.payload.count <= RecordFormat.maximumPayload else {
            throw JournalError.payloadTooLarge(input.payload.count)
        }
        type = input.type
        uncompressedLength = input.payload.count
        if let packed = input.payload.withUnsafeBytes({ LZ4.compress($0) }) {
            stored = packed
            compressed = true
        } else {
            stored = input.payload
            compressed = false
        }
    }

    var footprint: Int { RecordFormat.footprint(payload: stored.count) }
}

extension Journal {
    /// Where an event's record lives: only for tests and diagnostics inside this module.
    func location(of sequence: UInt64) -> (segment: String, offset: Int, footprint: Int)? {
        state.withLock { state in
            guard sequence >= 1, sequence <= state.lastSequence else { return nil }
            let packed = state.index[Int(sequence - 1)]
            let segment = state.segments[Int(packed >> 40)]
            let offset = Int(packed & 0xFF_FFFF_FFFF)
            let header = RecordFormat.readHeader(segment.map.base! + offset)
            return (segment.name, offset, header.footprint)
        }
    }
}
