/// A reusable buffer that compressed payloads are decompressed into during replay.
struct DecompressionBuffer {
    private var storage: UnsafeMutableRawBufferPointer?

    mutating func buffer(count: Int) -> UnsafeMutableRawBufferPointer {
        if let storage, storage.count >= count { return UnsafeMutableRawBufferPointer(rebasing: storage[0..<count]) }
        storage?.deallocate()
        let fresh = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 64 << 10), alignment: 16)
        storage = fresh
        return UnsafeMutableRawBufferPointer(rebasing: fresh[0..<count])
    }

    func release() { storage?.deallocate() }
}

/// A record as seen during replay: the payload points into the mapped segment or a scratch buffer
/// and is valid only until the cursor moves on.
public struct RecordView {
    public let header: RecordFormat.Header
    public let payload: UnsafeRawBufferPointer

    public var sequence: UInt64 { header.sequence }
    public var timestamp: Int64 { header.timestamp }
    public var type: UInt16 { header.type }

    public var record: Record {
        Record(sequence: header.sequence, timestamp: header.timestamp, type: header.type,
               payload: Array(payload), storedLength: Int(header.storedLength))
    }

    static func read(segment: Segment, at offset: Int, scratch: inout DecompressionBuffer) throws -> RecordView {
        let region = segment.map.bytes
        let header: RecordFormat.Header
        switch RecordFormat.validate(region, at: offset) {
        case .success(let h): header = h
        case .failure(let defect): throw JournalError.damaged(segment: segment.name, offset: offset, defect: defect)
        }
        let stored = UnsafeRawBufferPointer(start: region.baseAddress! + offset + RecordFormat.headerSize,
                                            count: Int(header.storedLength))
        guard header.flags.contains(.compressed) else { return RecordView(header: header, payload: stored) }
        let out = scratch.buffer(count: Int(header.uncompressedLength))
        guard LZ4.decompress(stored, into: out) else {
            throw JournalError.damaged(segment: segment.name, offset: offset, defect: .undecompressible)
        }
        return RecordView(header: header, payload: UnsafeRawBufferPointer(out))
    }

    /// The checked header of the record at `offset` (CRC included).
    static func header(segment: Segment, at offset: Int) throws -> RecordFormat.Header {
        switch RecordFormat.validate(segment.map.bytes, at: offset) {
        case .success(let h): return h
        case .failure(let defect): throw JournalError.damaged(segment: segment.name, offset: offset, defect: defect)
        }
    }

    /// Reads the payload into `out`, which must be exactly its uncompressed size.
    static func read(segment: Segment, at offset: Int, into out: UnsafeMutableRawBufferPointer) throws {
        let header = try header(segment: segment, at: offset)
        precondition(out.count == Int(header.uncompressedLength), "readPayload needs a buffer of payloadInfo(_:).count octets")
        let stored = UnsafeRawBufferPointer(start: segment.map.bytes.baseAddress! + offset + RecordFormat.headerSize,
                                            count: Int(header.storedLength))
        if header.flags.contains(.compressed) {
            guard LZ4.decompress(stored, into: out) else {
                throw JournalError.damaged(segment: segment.name, offset: offset, defect: .undecompressible)
            }
        } else if !stored.isEmpty {
            out.copyMemory(from: stored)
        }
    }
}

/// Walks records in sequence order across segments, refreshing its view of the journal's end
/// when it reaches it.
struct RecordCursor: ~Copyable {
    private let journal: Journal
    private var nextSequence: UInt64
    private var segments: [Segment] = []
    private var segmentNumber = 0
    private var offset = 0
    private var knownLast: UInt64 = 0
    private var positioned = false
    private var scratch = DecompressionBuffer()
    /// Where this cursor's segment has been released up to (see `MappedFile.release`).
    private var released = 0
    static let releaseStep = 8 << 20

    init(journal: Journal, start: UInt64) {
        self.journal = journal
        self.nextSequence = start
    }

    deinit { scratch.release() }

    mutating func next() throws -> RecordView? {
        if nextSequence > knownLast {
            refresh()
            if nextSequence > knownLast { return nil }
        }
        if !positioned { try position() }
        // Crossing into the next segment.
        while segmentNumber + 1 < segments.count && nextSequence >= segments[segmentNumber + 1].firstSequence {
            segments[segmentNumber].map.release(from: released, to: offset)
            segmentNumber += 1
            offset = SegmentFile.headerSize
            released = 0
        }
        // A long replay reads each page once: let go of what is behind it, so the mapped
        // journal does not accumulate in RSS (views into it stay valid: pages fault back in).
        if offset - released >= Self.releaseStep {
            released = segments[segmentNumber].map.release(from: released, to: offset)
        }
        let segment = segments[segmentNumber]
        let view = try RecordView.read(segment: segment, at: offset, scratch: &scratch)
        guard view.sequence == nextSequence else {
            throw JournalError.damaged(segment: segment.name, offset: offset,
                                       defect: .unexpectedSequence(expected: nextSequence, found: view.sequence))
        }
        offset += view.header.footprint
        nextSequence += 1
        return view
    }

    private mutating func refresh() {
        (segments, knownLast) = journal.state.withLock { ($0.segments, $0.lastSequence) }
    }

    private mutating func position() throws {
        let packed = journal.state.withLock { $0.index[Int(nextSequence - 1)] }
        segmentNumber = Int(packed >> 40)
        offset = Int(packed & 0xFF_FFFF_FFFF)
        released = offset
        positioned = true
    }
}

/// `for try await record in journal.records(from: n)`: events in order, each with its own payload.
/// Iteration never suspends on I/O wait (segments are memory-mapped), so it is cheap per event.
public struct RecordSequence: AsyncSequence, Sendable {
    public typealias Element = Record
    let journal: Journal
    let start: UInt64

    public final class AsyncIterator: AsyncIteratorProtocol {
        private var cursor: RecordCursor
        init(journal: Journal, start: UInt64) { cursor = RecordCursor(journal: journal, start: start) }
        public func next() async throws -> Record? { try cursor.next()?.record }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(journal: journal, start: start) }

    /// The same events, synchronously.
    public func collect() throws -> [Record] {
        var cursor = RecordCursor(journal: journal, start: start)
        var all: [Record] = []
        while let view = try cursor.next() { all.append(view.record) }
        return all
    }
}
