// The measurements behind the journal benchmarks (issue 3), shared by the package-benchmark suite
// (JournalBenchmarks) and the plain program (JournalLoad).
import Foundation
import Journal
import JournalBenchCLZ4
#if canImport(Glibc)
import Glibc
#endif

public struct BenchFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

func posixFailure(_ what: String) -> BenchFailure {
    BenchFailure("\(what): \(String(cString: strerror(errno)))")
}

/// Seconds on the monotonic clock between two `ContinuousClock` instants.
@inline(__always)
public func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

// MARK: - Temporary directories

public enum TempDirectory {
    /// A fresh directory under `$TMPDIR` (default /tmp).
    public static func make(_ label: String) throws -> String {
        let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(base)/roost-bench-\(label)-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw posixFailure("mkdtemp")
        }
        return String(cString: made)
    }

    public static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Number of segment files (`*.seg`) in a journal directory.
    public static func segmentCount(_ path: String) -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(".seg") }.count
    }
}

// MARK: - The disk's own ceiling: pwrite + fdatasync on a pre-allocated file, no journal

/// A pre-allocated, synced file that `syncedWrites` overwrites block by block, each followed by an
/// fdatasync: the same I/O pattern as a journal commit into a pre-allocated segment.
public final class SyncedFile: @unchecked Sendable {
    public let directory: String
    public let size: Int
    private let fd: Int32
    private var offset = 0
    private let block: [UInt8]

    /// `blockSize` bytes of message text are written per call; the file is `size` bytes of zeros first.
    public init(blockSize: Int, size: Int = 64 << 20) throws {
        directory = try TempDirectory.make("fsync")
        self.size = size
        block = Corpus.payloads(size: blockSize, count: 1)[0]
        let fd = open(directory + "/ceiling.dat", O_RDWR | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw posixFailure("open") }
        self.fd = fd
        let zeros = [UInt8](repeating: 0, count: 1 << 20)
        var at = 0
        while at < size {
            let n = zeros.withUnsafeBytes { pwrite(fd, $0.baseAddress, min(zeros.count, size - at), off_t(at)) }
            guard n > 0 else { throw posixFailure("pwrite") }
            at += n
        }
        guard fdatasync(fd) == 0 else { throw posixFailure("fdatasync") }
    }

    /// `count` times: pwrite one block at the next offset (wrapping), fdatasync. Returns the seconds taken.
    public func syncedWrites(_ count: Int) throws -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        try block.withUnsafeBytes { bytes in
            for _ in 0..<count {
                if offset + bytes.count > size { offset = 0 }
                var done = 0
                while done < bytes.count {
                    let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
                    guard n > 0 else { throw posixFailure("pwrite") }
                    done += n
                }
                guard fdatasync(fd) == 0 else { throw posixFailure("fdatasync") }
                offset += bytes.count
            }
        }
        return seconds(clock.now - start)
    }

    public var blockSize: Int { block.count }

    public func close() {
        Glibc.close(fd)
        TempDirectory.remove(directory)
    }
}

// MARK: - Durable appends

/// What one round of concurrent appends did.
public struct AppendRound: Sendable {
    public var appends: Int
    public var payloadBytes: Int
    public var seconds: Double
    public var firstSequence: UInt64
    public var lastSequence: UInt64
    public var appendsPerSecond: Double { Double(appends) / seconds }
    public var megabytesPerSecond: Double { Double(payloadBytes) / seconds / 1e6 }
}

/// A journal in its own temporary directory (default 64 MiB segments), with a pool of payloads.
public final class AppendFixture: @unchecked Sendable {
    public let recordSize: Int
    public let appenders: Int
    public let appendsPerAppender: Int
    public private(set) var journal: Journal?
    public private(set) var directory = ""
    private var payloads: [[UInt8]] = []
    private var cursor = 0

    public init(recordSize: Int, appenders: Int, appendsPerAppender: Int) {
        self.recordSize = recordSize
        self.appenders = appenders
        self.appendsPerAppender = appendsPerAppender
    }

    /// Record type tag used for the benchmark records (message-received).
    public static let recordType = EventType.messageReceived.rawValue

    public func open() throws {
        directory = try TempDirectory.make("append-\(recordSize)-x\(appenders)")
        journal = try Journal(directory: directory, options: JournalOptions())
        // 32 MiB of payloads, the whole message stream once, for every case of this record size;
        // rounds go on through it where the last one stopped.
        payloads = Corpus.payloads(size: recordSize, count: (32 << 20) / recordSize)
        cursor = 0
    }

    /// `appenders` tasks, each appending `appendsPerAppender` single-record batches back to back
    /// (each waits for its append to be durable before the next, like an SMTP session would).
    public func round() async throws -> AppendRound {
        guard let journal else { throw BenchFailure("fixture not open") }
        let first = journal.lastSequence + 1
        let payloads = self.payloads
        let perAppender = appendsPerAppender
        let base = cursor
        cursor = (cursor + appenders * perAppender) % payloads.count
        let clock = ContinuousClock()
        let start = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for a in 0..<appenders {
                group.addTask {
                    for i in 0..<perAppender {
                        let payload = payloads[(base + a * perAppender + i) % payloads.count]
                        _ = try await journal.append(RecordInput(type: AppendFixture.recordType, payload: payload))
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = seconds(clock.now - start)
        let n = appenders * perAppender
        return AppendRound(appends: n, payloadBytes: n * recordSize, seconds: elapsed,
                           firstSequence: first, lastSequence: journal.lastSequence)
    }

    public func close() {
        journal?.close()
        journal = nil
        payloads = []
        TempDirectory.remove(directory)
    }
}

/// Group commits among the records `first ... last`: the writer stamps every record of one commit
/// with the same timestamp (`now`, taken once per commit, never decreasing), so commits are the runs
/// of equal timestamps. The Journal has no fsync counter; this is how the benchmarks count them.
public func commitCount(_ journal: Journal, from first: UInt64, through last: UInt64) throws -> Int {
    var commits = 0
    var previous: Int64?
    try journal.forEach(from: first) { view in
        guard view.sequence <= last else { return }
        if view.timestamp != previous { commits += 1; previous = view.timestamp }
    }
    return commits
}

// MARK: - Compression ceiling (the system liblz4, as the journal calls it)

/// One core compressing `payloads` with LZ4_compress_default, as `PreparedRecord` does; MB/s of input.
public func lz4CompressMegabytesPerSecond(_ payloads: [[UInt8]], minimumSeconds: Double = 0.3) -> Double {
    let bound = Int(LZ4_compressBound(Int32(payloads.map(\.count).max() ?? 0)))
    var out = [CChar](repeating: 0, count: bound)
    var bytes = 0
    var sink: Int32 = 0
    let clock = ContinuousClock()
    let start = clock.now
    var elapsed = 0.0
    repeat {
        for p in payloads {
            sink &+= p.withUnsafeBytes { src in
                out.withUnsafeMutableBufferPointer { dst in
                    LZ4_compress_default(src.baseAddress!.assumingMemoryBound(to: CChar.self), dst.baseAddress!,
                                         Int32(src.count), Int32(bound))
                }
            }
            bytes += p.count
        }
        elapsed = seconds(clock.now - start)
    } while elapsed < minimumSeconds
    if sink == 42 { print("") }
    return Double(bytes) / elapsed / 1e6
}

// MARK: - Replay

/// A journal holding about `targetBytes` of whole corpus messages (`sizes` bytes each), appended in
/// batches (so building it is quick), for replay measurements.
public final class ReplayFixture: @unchecked Sendable {
    public private(set) var journal: Journal?
    public private(set) var directory = ""
    public private(set) var records = 0
    public private(set) var payloadBytes = 0
    public private(set) var storedBytes = 0
    public let targetBytes: Int
    public let sizes: ClosedRange<Int>

    public init(targetBytes: Int = 256 << 20, sizes: ClosedRange<Int> = 2_048...102_400) {
        self.targetBytes = targetBytes
        self.sizes = sizes
    }

    public func open() async throws {
        directory = try TempDirectory.make("replay")
        let journal = try Journal(directory: directory, options: JournalOptions())
        self.journal = journal
        let messages = Corpus.messages(sized: sizes)
        var batch: [RecordInput] = []
        var i = 0
        while payloadBytes < targetBytes {
            let m = messages[i % messages.count]
            batch.append(RecordInput(type: AppendFixture.recordType, payload: m))
            payloadBytes += m.count
            records += 1
            i += 1
            if batch.count == 256 { _ = try await journal.append(batch); batch.removeAll(keepingCapacity: true) }
        }
        if !batch.isEmpty { _ = try await journal.append(batch) }
        try journal.forEach { storedBytes += Int($0.header.storedLength) }
    }

    /// One full `forEach` pass (CRC checked, decompressed); returns uncompressed payload bytes seen.
    public func forEachPass() throws -> Int {
        guard let journal else { throw BenchFailure("fixture not open") }
        var bytes = 0
        var fold: UInt8 = 0
        try journal.forEach { view in
            bytes += view.payload.count
            if let last = view.payload.last { fold ^= last }
        }
        if fold == 0xA5 && bytes == 0 { print("") }
        return bytes
    }

    /// One full pass with the async `records(from:)` sequence (a copy of each payload).
    public func asyncPass() async throws -> Int {
        guard let journal else { throw BenchFailure("fixture not open") }
        var bytes = 0
        for try await record in journal.records(from: 1) { bytes += record.payload.count }
        return bytes
    }

    public func close() {
        journal?.close()
        journal = nil
        TempDirectory.remove(directory)
    }
}

// MARK: - Compression ratio of corpus messages as journal records

public struct CompressionFigures: Sendable {
    public var folder: String
    public var messages = 0
    public var payloadBytes = 0
    /// Payload bytes on disk (LZ4 or raw when LZ4 didn't help), without header and padding.
    public var storedBytes = 0
    /// Whole records on disk: 32-byte header, stored payload, padding to 8.
    public var footprintBytes = 0
    public var storedRaw = 0
    public var ratio: Double { Double(payloadBytes) / Double(max(1, storedBytes)) }
    public var footprintRatio: Double { Double(payloadBytes) / Double(max(1, footprintBytes)) }
}

/// Appends every message of `Corpus.directory/folder` to a fresh journal, one record each, and sums
/// `RecordView.header.storedLength` against the payload sizes.
public func compressionFigures(folder: String) async throws -> CompressionFigures {
    var figures = CompressionFigures(folder: folder)
    let messages = Corpus.messages(folder)
    guard !messages.isEmpty else { return figures }
    let directory = try TempDirectory.make("ratio")
    defer { TempDirectory.remove(directory) }
    let journal = try Journal(directory: directory, options: JournalOptions())
    defer { journal.close() }
    var start = 0
    while start < messages.count {
        let chunk = messages[start..<min(messages.count, start + 256)]
        _ = try await journal.append(chunk.map { RecordInput(type: AppendFixture.recordType, payload: $0) })
        start += 256
    }
    try journal.forEach { view in
        figures.messages += 1
        figures.payloadBytes += view.payload.count
        figures.storedBytes += Int(view.header.storedLength)
        figures.footprintBytes += view.header.footprint
        if !view.header.flags.contains(.compressed) { figures.storedRaw += 1 }
    }
    return figures
}
