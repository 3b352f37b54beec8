import Foundation
import GRDB
import Journal
import MailMessage

/// What the projection caches about a message's bytes: RFC822.SIZE and the cached
/// ENVELOPE + BODYSTRUCTURE (issue 5's compact form), both of the CRLF form IMAP serves.
struct MessageSummary: Sendable {
    let size: Int
    let views: Data

    /// `header` (the fields Roost added, possibly empty) followed by `body`, as IMAP serves them.
    init(header: [UInt8], body: [UInt8]) {
        // The bytes are put in their CRLF form here, in bulk copies between line feeds, so the
        // message is parsed once: `IMAPMessageView` would parse the stored (often LF) form, copy
        // it byte by byte to CRLF and parse again. The result is the same message.
        let view = IMAPMessageView(canonicalBytes: Message.crlfForm(header, body))
        size = view.rfc822Size
        views = Data(CachedViews.encode(envelope: view.envelope, body: view.bodyStructure))
    }
}

/// A message to insert into a mailbox, from a delivery or an IMAP APPEND.
struct NewMessage: Sendable {
    enum Content: Sendable {
        /// Still to be parsed: the added header and the stored bytes.
        case pending(header: [UInt8], body: [UInt8])
        case ready(MessageSummary)
        /// The delivery's received event is not a message: nothing is inserted.
        case missing
        /// Reading the received event failed: applying the delivery fails with this error
        /// (if its mailbox exists; otherwise the delivery changes nothing, as before reading).
        case failed(any Error)
    }

    var mailbox: MailboxID
    var sequence: UInt64
    var flags: [String]
    var internalDate: Int64
    var bodySequence: UInt64
    var headerSequence: UInt64?
    var content: Content
}

/// An event read from the journal with the costly, database-independent part of applying it
/// done (decoding, and parsing message bytes for their IMAP views), so that part can run on
/// other threads while the projector's transaction applies earlier events.
enum PreparedEvent: Sendable {
    case event(Event, sequence: UInt64)
    case message(NewMessage)
}

/// Turns records into prepared events, in journal order. Holds the recently received messages,
/// so the deliveries that follow them (usually right after) don't read and decode them again.
struct Preparer {
    let journal: Journal
    /// What deliveries take from a `MessageReceived`.
    struct Received {
        var receivedAt: Int64
        var message: [UInt8]
    }
    private var recentlyReceived: [UInt64: Received] = [:]
    private var recentOrder: [UInt64] = []
    static let recentLimit = 64

    init(journal: Journal) { self.journal = journal }

    /// The prepared event for one record, or nil for one that changes nothing: an unknown type,
    /// a payload this version cannot decode (the same on every replay), a message received (its
    /// bytes stay in the journal; deliveries refer to it).
    mutating func prepare(_ view: RecordView) throws -> PreparedEvent? {
        guard EventType(rawValue: view.type) != nil else { return nil }
        if view.type == EventType.messageReceived.rawValue {
            // Only the date and the bytes are kept for the deliveries that follow: decoding the
            // whole event (context, envelope strings, recipients) was most of its cost here.
            do {
                remember(try Self.received(payload: view.payload), sequence: view.sequence)
            } catch is FieldDecodingError {
            }
            return nil
        }
        let event: Event
        do {
            guard let decoded = try Event.decode(type: view.type, payload: view.payload) else { return nil }
            event = decoded
        } catch is FieldDecodingError {
            return nil
        }
        switch event.body {
        case let e as MessageDelivered:
            var message = NewMessage(
                mailbox: e.mailbox, sequence: view.sequence, flags: e.flags, internalDate: 0,
                bodySequence: e.received, headerSequence: view.sequence, content: .missing)
            do {
                if let body = try received(e.received) {
                    message.internalDate = body.receivedAt
                    message.content = .pending(header: e.addedHeader, body: body.message)
                }
            } catch {
                message.content = .failed(error)
            }
            return .message(message)
        case let e as MessageAppended:
            return .message(NewMessage(
                mailbox: e.mailbox, sequence: view.sequence, flags: e.flags, internalDate: e.internalDate,
                bodySequence: view.sequence, headerSequence: nil, content: .pending(header: [], body: e.message)))
        default:
            return .event(event, sequence: view.sequence)
        }
    }

    static func received(payload: UnsafeRawBufferPointer) throws -> Received {
        let (receivedAt, octets) = try MessageReceived.receivedAtAndOctets(payload: payload)
        return Received(receivedAt: receivedAt, message: Array(octets))
    }

    private mutating func remember(_ received: Received, sequence: UInt64) {
        recentlyReceived[sequence] = received
        recentOrder.append(sequence)
        if recentOrder.count > Self.recentLimit {
            recentlyReceived[recentOrder.removeFirst()] = nil
        }
    }

    private func received(_ sequence: UInt64) throws -> Received? {
        if let hit = recentlyReceived[sequence] { return hit }
        let record = try journal.record(sequence)
        guard record.type == EventType.messageReceived.rawValue else {
            // Not a message: nothing to deliver, unless it does not decode (as before).
            _ = try Event.decode(record)
            return nil
        }
        return try record.payload.withUnsafeBytes { try Self.received(payload: $0) }
    }

    /// Parses the pending messages of `chunk`, on several threads when there are several.
    static func summarize(_ chunk: inout [PreparedEvent]) {
        var jobs: [(index: Int, header: [UInt8], body: [UInt8])] = []
        for (index, prepared) in chunk.enumerated() {
            if case .message(let m) = prepared, case .pending(let header, let body) = m.content {
                jobs.append((index, header, body))
            }
        }
        guard !jobs.isEmpty else { return }
        var summaries = [MessageSummary?](repeating: nil, count: jobs.count)
        if jobs.count == 1 {
            summaries[0] = MessageSummary(header: jobs[0].header, body: jobs[0].body)
        } else {
            summaries.withUnsafeMutableBufferPointer { out in
                jobs.withUnsafeBufferPointer { jobs in
                    // Each iteration writes its own slot; both buffers outlive the call.
                    let shared = SharedSlots(jobs: jobs, out: out)
                    DispatchQueue.concurrentPerform(iterations: jobs.count) { i in
                        shared.out[i] = MessageSummary(header: shared.jobs[i].header, body: shared.jobs[i].body)
                    }
                }
            }
        }
        for (job, summary) in zip(jobs, summaries) {
            guard case .message(var m) = chunk[job.index] else { continue }
            m.content = .ready(summary!)
            chunk[job.index] = .message(m)
        }
    }
}

private struct SharedSlots: @unchecked Sendable {
    let jobs: UnsafeBufferPointer<(index: Int, header: [UInt8], body: [UInt8])>
    let out: UnsafeMutableBufferPointer<MessageSummary?>
}

/// Reads and prepares the events `from...through` and hands them to `apply` in order. Large
/// ranges (a catch-up, a rebuild) are prepared on a separate thread, a chunk ahead of the
/// caller, which applies them meanwhile; small ones (live appends) in the caller's thread.
enum Preparation {
    struct Tuning: Sendable {
        /// Events handed over at a time (and parsed in parallel).
        var chunkSize = 256
        /// Ranges shorter than this are prepared inline: a thread costs more than it saves.
        var pipelineThreshold = 1024
    }

    static func run(journal: Journal, from: UInt64, through: UInt64, tuning: Tuning = Tuning(),
                    _ apply: (PreparedEvent) throws -> Void) throws {
        guard through >= from else { return }
        let chunkSize = tuning.chunkSize
        if through - from + 1 < UInt64(tuning.pipelineThreshold) {
            var preparer = Preparer(journal: journal)
            var chunk: [PreparedEvent] = []
            try journal.forEach(from: from, through: through) { view in
                if let prepared = try preparer.prepare(view) { chunk.append(prepared) }
            }
            Preparer.summarize(&chunk)
            for prepared in chunk { try apply(prepared) }
            return
        }
        // Three stages, each on its own thread, so reading (CRC, LZ4, decoding) overlaps parsing
        // (itself spread over the cores) and both overlap the caller's SQL.
        let decoded = ChunkChannel(capacity: 2), parsed = ChunkChannel(capacity: 2)
        let reader = Thread {
            defer { decoded.producerDone() }
            var preparer = Preparer(journal: journal)
            var chunk: [PreparedEvent] = []
            do {
                try journal.forEach(from: from, through: through) { view in
                    if let prepared = try preparer.prepare(view) { chunk.append(prepared) }
                    if chunk.count >= chunkSize {
                        guard decoded.put(chunk) else { throw CancellationError() }
                        chunk = []
                        chunk.reserveCapacity(chunkSize)
                    }
                }
                _ = decoded.put(chunk)
            } catch is CancellationError {
            } catch {
                decoded.fail(error)
            }
        }
        let parser = Thread {
            defer { parsed.producerDone() }
            // Runs before the line above: the reader has stopped when the consumer hears the end.
            defer { decoded.cancelAndWait() }
            do {
                while var chunk = try decoded.take() {
                    Preparer.summarize(&chunk)
                    guard parsed.put(chunk) else { return }
                }
            } catch {
                parsed.fail(error)
            }
        }
        for thread in [reader, parser] {
            thread.stackSize = 4 << 20
            thread.start()
        }
        // Whatever happens here, both threads stop before this returns.
        defer { parsed.cancelAndWait() }
        while let chunk = try parsed.take() {
            for prepared in chunk { try apply(prepared) }
        }
    }
}

/// A bounded hand-over of prepared chunks from one producer thread to one consumer.
private final class ChunkChannel: @unchecked Sendable {
    private let condition = NSCondition()
    private let capacity: Int
    private var chunks: [[PreparedEvent]] = []
    private var finished = false
    private var cancelled = false
    private var running = true
    private var failure: (any Error)?

    init(capacity: Int) { self.capacity = capacity }

    /// Waits for room; false if the consumer gave up.
    func put(_ chunk: [PreparedEvent]) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while chunks.count >= capacity && !cancelled { condition.wait() }
        if cancelled { return false }
        chunks.append(chunk)
        condition.broadcast()
        return true
    }

    func fail(_ error: any Error) {
        condition.lock()
        failure = error
        condition.broadcast()
        condition.unlock()
    }

    func producerDone() {
        condition.lock()
        finished = true
        running = false
        condition.broadcast()
        condition.unlock()
    }

    /// The next chunk in order, nil at the end; throws what the producer failed with.
    func take() throws -> [PreparedEvent]? {
        condition.lock()
        defer { condition.unlock() }
        while chunks.isEmpty && !finished && failure == nil { condition.wait() }
        if !chunks.isEmpty {
            condition.broadcast()
            return chunks.removeFirst()
        }
        if let failure { throw failure }
        return nil
    }

    func cancelAndWait() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        while running { condition.wait() }
        condition.unlock()
    }
}
