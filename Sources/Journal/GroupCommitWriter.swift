#if canImport(Glibc)
import Glibc
#endif

/// The journal's single writer thread. Appenders enqueue framed-to-be records; the thread takes
/// everything queued, writes it with one pwrite per segment, fdatasyncs once, publishes the index
/// entries and resumes every appender: concurrent appenders share one fdatasync (group commit).
final class GroupCommitWriter: @unchecked Sendable {
    typealias Completion = CheckedContinuation<[UInt64], any Error>

    private let directory: String
    private let options: JournalOptions
    weak var journal: Journal?

    // Guarded by `queueLock`.
    private let queueLock = ConditionLock()
    private var queue: [(records: [PreparedRecord], derived: DerivedRecords?, completion: Completion)] = []
    private var stopping = false
    private var stopped = false
    private var failure: String?
    /// Appenders between `beginPreparing` and `enqueue` (compressing their records).
    private var preparing = 0

    /// The longest a commit waits for more appenders, so that large records from many appenders
    /// share one fdatasync instead of trickling in one by one as two cores compress them.
    static let lingerMicroseconds: Int64 = 4000
    /// While fewer than `groupTarget` batches are queued and appenders are still compressing
    /// (large records: two cores compress ≈ 4 of 256 KiB per ms), the wait may stretch to this,
    /// so that such records still share one fdatasync per `groupTarget` appends. Each of those
    /// appends has already waited longer than this for a core to compress it.
    static let extendedLingerMicroseconds: Int64 = 12_000
    static let groupTarget = 16
    /// Recent time large appenders spent compressing, and batches per commit (moving averages):
    /// with several at work, a commit waits until none has enqueued for 1.5 compression times.
    private var preparationMicroseconds: Double = 0
    private var batchesPerCommit: Double = 1
    private var lastLargeEnqueue: Int64 = 0

    // Owned by the writer thread.
    private var active: Segment
    private var writeOffset: Int
    private var nextSequence: UInt64
    private var lastTimestamp: Int64
    private var buffer: [UInt8] = []

    private let spare: SparePreparer
    private let observer: (any JournalObserver)?

    init(directory: String, options: JournalOptions, active: Segment, writeOffset: Int,
         nextSequence: UInt64, lastTimestamp: Int64, observer: (any JournalObserver)?) {
        self.observer = observer
        self.directory = directory
        self.options = options
        self.active = active
        self.writeOffset = writeOffset
        self.nextSequence = nextSequence
        self.lastTimestamp = lastTimestamp
        self.spare = SparePreparer(directory: directory, size: options.segmentSize)
    }

    func start() {
        spare.start()
        startThread { [self] in run() }
    }

    /// An appender about to compress its records. Only large ones are waited for: compressing a
    /// few KiB takes microseconds, less than a wake-up, and a small appender that the scheduler
    /// happens to preempt (two cores, many sessions) must not hold back a commit that others wait for.
    struct Preparing: Sendable {
        let started: Int64
        let waitedFor: Bool
    }

    /// Payload bytes from which an appender is worth waiting for (≈ 100 µs of LZ4 on one core).
    static let waitedForBytes = 64 * 1024

    /// Called before an appender compresses its records.
    func beginPreparing(payloadBytes: Int) -> Preparing {
        let waitedFor = payloadBytes >= GroupCommitWriter.waitedForBytes
        if waitedFor { queueLock.withLock { preparing += 1 } }
        return Preparing(started: FileSystem.nowMicroseconds(), waitedFor: waitedFor)
    }

    /// Called when preparation failed and nothing will be enqueued.
    func cancelPreparing(_ token: Preparing) {
        guard token.waitedFor else { return }
        queueLock.withLock { preparing -= 1; queueLock.broadcast() }
    }

    func enqueue(_ records: [PreparedRecord], derived: DerivedRecords? = nil, prepared token: Preparing, _ completion: Completion) {
        let now = FileSystem.nowMicroseconds()
        queueLock.lock()
        if token.waitedFor {
            preparing -= 1
            lastLargeEnqueue = now
            preparationMicroseconds = preparationMicroseconds * 0.9 + Double(now - token.started) * 0.1
        }
        if stopping || failure != nil {
            let error: JournalError = failure.map { .failed($0) } ?? .notWritable
            queueLock.unlock()
            completion.resume(throwing: error)
            return
        }
        queue.append((records, derived, completion))
        queueLock.broadcast()
        queueLock.unlock()
    }

    /// Finishes what is queued, then ends the thread; returns when it has.
    func stop() {
        queueLock.lock()
        stopping = true
        queueLock.broadcast()
        while !stopped { queueLock.wait() }
        queueLock.unlock()
        spare.stop()
    }

    private func run() {
        while true {
            queueLock.lock()
            while queue.isEmpty && !stopping { queueLock.wait() }
            // Group commit: appenders still compressing will enqueue in about one compression
            // time; wait for them (bounded) rather than paying an fdatasync each.
            let started = FileSystem.nowMicroseconds()
            let cap = started + GroupCommitWriter.lingerMicroseconds
            let extendedCap = started + GroupCommitWriter.extendedLingerMicroseconds
            while !stopping {
                let now = FileSystem.nowMicroseconds()
                if preparing > 0 {
                    // Only when several appenders have been committing together.
                    let limit = queue.count < GroupCommitWriter.groupTarget && batchesPerCommit >= 2 ? extendedCap : cap
                    if now >= limit { break }
                    queueLock.wait(until: limit)
                    continue
                }
                if now >= cap { break }
                // Only when several appenders have been committing together, never for a lone one,
                // and only while large records are arriving.
                guard batchesPerCommit >= 2, lastLargeEnqueue >= started - 2000 else { break }
                let quietUntil = lastLargeEnqueue + Int64(min(preparationMicroseconds * 1.5, 2000))
                if now >= quietUntil { break }
                queueLock.wait(until: min(cap, quietUntil))
            }
            batchesPerCommit = batchesPerCommit * 0.8 + Double(queue.count) * 0.2
            if queue.isEmpty && stopping {
                stopped = true
                queueLock.broadcast()
                queueLock.unlock()
                return
            }
            let batches = queue
            queue.removeAll(keepingCapacity: true)
            let failed = failure
            queueLock.unlock()

            if let failed {
                for batch in batches { batch.completion.resume(throwing: JournalError.failed(failed)) }
                continue
            }
            // Derived records are made now that each batch's first sequence number is known; a
            // batch whose derived records cannot be prepared fails alone, before any of it is written.
            var ready: [(records: [PreparedRecord], completion: Completion)] = []
            var first = nextSequence
            for batch in batches {
                guard let derive = batch.derived else {
                    ready.append((batch.records, batch.completion))
                    first += UInt64(batch.records.count)
                    continue
                }
                do {
                    let extra = try derive(first).map { try PreparedRecord($0) }
                    ready.append((batch.records + extra, batch.completion))
                    first += UInt64(batch.records.count + extra.count)
                } catch {
                    batch.completion.resume(throwing: error)
                }
            }
            do {
                let sequences = try commit(ready.map(\.records))
                journal?.notifyCommitted()
                for (batch, seqs) in zip(ready, sequences) { batch.completion.resume(returning: seqs) }
            } catch {
                // After a failed write or fdatasync the file's state is unknown (fsyncgate): stop
                // accepting appends; a restart recovers from what is on disk.
                queueLock.withLock { failure = "\(error)" }
                for batch in ready { batch.completion.resume(throwing: error) }
            }
        }
    }

    typealias DerivedRecords = @Sendable (_ firstSequence: UInt64) throws -> [RecordInput]

    /// Frames, writes and syncs all records; returns each batch's sequence numbers.
    private func commit(_ batches: [[PreparedRecord]]) throws -> [[UInt64]] {
        guard let journal else { throw JournalError.notWritable }
        var result: [[UInt64]] = []
        var entries: [UInt64] = []
        var segmentNumber = UInt64(journal.segmentNumber(of: active))
        var bufferStart = writeOffset
        buffer.removeAll(keepingCapacity: true)
        let now = max(FileSystem.nowMicroseconds(), lastTimestamp)
        lastTimestamp = now

        for records in batches {
            var sequences: [UInt64] = []
            sequences.reserveCapacity(records.count)
            for record in records {
                let footprint = record.footprint
                if writeOffset + footprint > active.size {
                    try flush(at: bufferStart)
                    try FileSystem.syncData(active.fd, path: active.path)
                    try rollover(needing: footprint)
                    journal.publish(segment: active)
                    segmentNumber += 1
                    bufferStart = writeOffset
                }
                frame(record, sequence: nextSequence, timestamp: now)
                entries.append(segmentNumber << 40 | UInt64(writeOffset))
                sequences.append(nextSequence)
                nextSequence += 1
                writeOffset += footprint
            }
            result.append(sequences)
        }
        let bytes = writeOffset - bufferStart
        try flush(at: bufferStart)
        let syncStarted = ContinuousClock.now
        try FileSystem.syncData(active.fd, path: active.path)
        observer?.committed(records: entries.count, bytes: bytes, syncDuration: ContinuousClock.now - syncStarted)
        journal.publish(entries: entries)
        return result
    }

    private func frame(_ record: PreparedRecord, sequence: UInt64, timestamp: Int64) {
        let start = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: record.footprint))
        buffer.withUnsafeMutableBytes { raw in
            let base = raw.baseAddress! + start
            record.stored.withUnsafeBytes { payload in
                if payload.count > 0 {
                    (base + RecordFormat.headerSize).copyMemory(from: payload.baseAddress!, byteCount: payload.count)
                }
            }
            var header = RecordFormat.Header(
                storedLength: UInt32(record.stored.count), checksum: 0, sequence: sequence,
                timestamp: timestamp, type: record.type,
                flags: record.compressed ? .compressed : [], version: RecordFormat.version,
                uncompressedLength: UInt32(record.uncompressedLength))
            RecordFormat.write(header, to: base)
            header.checksum = RecordFormat.checksum(
                headerAt: base, payload: UnsafeRawBufferPointer(start: base + RecordFormat.headerSize, count: record.stored.count))
            RecordFormat.write(header, to: base)
        }
    }

    private func flush(at offset: Int) throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try FileSystem.writeAll(active.fd, $0, at: offset, path: active.path) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Seals the active segment (already synced) and moves to a new one named for `nextSequence`:
    /// the prepared spare when it is big enough, else one made now; the directory is fsync'd.
    private func rollover(needing footprint: Int) throws {
        let size = max(options.segmentSize, SegmentFile.headerSize + footprint)
        let name = SegmentFile.name(firstSequence: nextSequence)
        let target = directory + "/" + name
        if let prepared = spare.take(atLeast: size) {
            try FileSystem.rename(prepared, target)
        } else {
            let temporary = directory + "/rollover.tmp"
            try SegmentFile.preallocate(at: temporary, size: size, directory: directory)
            try FileSystem.rename(temporary, target)
        }
        try FileSystem.syncDirectory(directory)
        active = try Segment(directory: directory, name: name, firstSequence: nextSequence, writable: true)
        writeOffset = SegmentFile.headerSize
        spare.request()
    }
}

/// Prepares the next segment (zero-filled, synced) in the background so rollover is a rename:
/// overwriting pre-allocated space syncs about twice as fast as appending (PLATFORM.md).
final class SparePreparer: @unchecked Sendable {
    private let directory: String
    private let size: Int
    private let lock = ConditionLock()
    private var wanted = true
    private var ready = false
    private var stopping = false
    private var stopped = false

    init(directory: String, size: Int) {
        self.directory = directory
        self.size = size
    }

    private var path: String { directory + "/" + SegmentFile.spareName }

    func start() { startThread { [self] in run() } }

    func request() { lock.withLock { wanted = true; lock.broadcast() } }

    /// The spare's path if it is ready and at least `size` bytes; it is then no longer the spare.
    func take(atLeast size: Int) -> String? {
        lock.withLock {
            guard ready, self.size >= size else { return nil }
            ready = false
            return path
        }
    }

    func stop() {
        lock.lock()
        stopping = true
        lock.broadcast()
        while !stopped { lock.wait() }
        lock.unlock()
    }

    private func run() {
        while true {
            lock.lock()
            while !(wanted && !ready) && !stopping { lock.wait() }
            if stopping { stopped = true; lock.broadcast(); lock.unlock(); return }
            wanted = false
            lock.unlock()
            // A failure here only means rollover will make its own segment.
            let made = (try? SegmentFile.preallocate(at: path, size: size, directory: directory)) != nil
            lock.withLock { ready = made }
        }
    }
}
