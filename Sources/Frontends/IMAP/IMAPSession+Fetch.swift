import Journal
import MailMessage
import NIOCore
import Projections

extension IMAPSession {
    // MARK: FETCH (RFC 9051 §6.4.5, §7.5.2)

    func fetch(_ tag: String, _ set: SequenceSet, _ attributes: [FetchAttribute], uid: Bool, _ command: IMAPCommand) async throws {
        guard let targets = resolve(tag, set, uid: uid) else { return }
        var infos = try messages(for: targets)
        // Fetching BODY[…] (not .PEEK) sets \Seen (RFC 9051 §6.4.5); recorded before the data is sent.
        let setsSeen = attributes.contains { if case .content(let item) = $0 { item.setsSeen } else { false } }
        var flagsAdded = false
        if setsSeen, !current.readOnly {
            let unseen = targets.compactMap { infos[$0.uid] }.filter { !$0.flags.contains("\\Seen") }
            if !unseen.isEmpty {
                try await record([FlagsChanged(context: eventContext, mailbox: current.mailbox, messages: unseen.map(\.ref),
                                               operation: .add, flags: ["\\Seen"])])
                infos = try messages(for: targets)
                flagsAdded = true
            }
        }
        let needsBytes = attributes.contains {
            guard case .content(let item) = $0 else { return false }
            switch item {
            case .envelope, .bodyStructure, .body, .rfc822Size: return false
            default: return true
            }
        }
        // ENVELOPE and BODYSTRUCTURE come from the cached views, read a range of UIDs at a time.
        let needsViews = attributes.contains {
            guard case .content(let item) = $0 else { return false }
            return item == .envelope || item == .bodyStructure || item == .body
        }
        var views: [UInt32: [UInt8]] = [:]
        var viewsThrough = -1
        var failures = 0
        for (index, target) in targets.enumerated() {
            guard let info = infos[target.uid] else { continue }
            if needsViews, index > viewsThrough {
                let end = min(index + Self.viewsChunk, targets.count) - 1
                // Only a dense run is read as a range: a sparse set would read messages it does not name.
                if targets[end].uid >= target.uid, targets[end].uid - target.uid <= UInt32(2 * Self.viewsChunk) {
                    views = try store.cachedViews(mailbox: info.mailbox, uids: target.uid...targets[end].uid)
                } else {
                    views = [:]
                }
                viewsThrough = end
            }
            let preloaded: [UInt8]?? = needsViews && !views.isEmpty ? .some(views[target.uid]) : nil
            var view: IMAPMessageView?
            if needsBytes {
                do {
                    view = IMAPMessageView(bytes: try StoredMessage.bytes(of: info, from: journal))
                } catch {
                    internalError("reading a message failed", metadata: ["uid": "\(info.uid)", "error": "\(error)"])
                    failures += 1
                    continue
                }
            }
            var items = attributes
            if flagsAdded, !items.contains(.flags) { items.append(.flags) }
            // RFC 7162 §3.2.4: a FETCH that set \Seen tells UID and MODSEQ to CONDSTORE clients.
            if flagsAdded, state.condStore { items += [FetchAttribute.uid, .modseq].filter { !items.contains($0) } }
            do {
                let response = try fetchResponse(number: target.number, info: info, items: items, view: view, views: preloaded)
                if response.deferred.isEmpty {
                    sendRaw(response.bytes)
                } else {
                    try await flush()
                    try await stream(response)
                }
            } catch let error as BinaryError {
                // RFC 3516 §4.3: a transfer encoding BINARY cannot undo.
                no(tag, code: error.responseCode, "cannot decode the content transfer encoding \(error.encoding)")
                return
            }
            selected?.told(uid: info.uid, flags: info.flags)
            try await flushIfLarge()
        }
        if failures > 0 {
            no(tag, code: "UNAVAILABLE", "\(failures) messages could not be read, try again later")
            return
        }
        try await done(tag, command, "FETCH completed")
    }

    /// Sends a response whose large literals were left out of its bytes: they go to the
    /// connection straight from the message, `IMAPLimits.writeChunk` octets at a time, each write
    /// waiting while the channel is not writable. No second whole copy of the message is made.
    func stream(_ response: IMAPWriter) async throws {
        var at = 0
        for literal in response.deferred {
            try await connection.write(ByteBuffer(bytes: response.bytes[at..<literal.offset]))
            var piece = literal.octets.startIndex
            while piece < literal.octets.endIndex {
                let end = min(piece + IMAPLimits.writeChunk, literal.octets.endIndex)
                try await connection.writePiece(ByteBuffer(bytes: literal.octets[piece..<end]))
                piece = end
            }
            at = literal.offset
        }
        try await connection.write(ByteBuffer(bytes: response.bytes[at...]))
    }

    /// The `* n FETCH (…)` response; literals of `IMAPLimits.writeChunk` octets or more are
    /// deferred (`IMAPWriter.deferred`) for `stream`.
    /// How many messages' cached views FETCH and SEARCH read in one query.
    static let viewsChunk = 256

    func fetchResponse(number: Int, info: MessageInfo, items: [FetchAttribute], view: IMAPMessageView?,
                       views: [UInt8]?? = nil) throws -> IMAPWriter {
        var w = IMAPWriter(utf8Quoted: state.utf8, capacity: 512)
        w.deferLiteralsFrom = IMAPLimits.writeChunk
        w.raw("* ")
        w.number(number)
        w.raw(" FETCH (")
        // `views` when the caller read them (nil inside: the message has none).
        var cached: [UInt8]? = views ?? nil
        var cachedRead = views != nil
        for (k, item) in items.enumerated() {
            if k > 0 { w.space() }
            switch item {
            case .uid:
                w.raw("UID ")
                w.number(Int(info.uid))
            case .flags:
                w.raw("FLAGS ")
                SelectedMailbox.writeFlags(selected?.flagsWithRecent(info) ?? info.flags, into: &w)
            case .internalDate:
                w.raw("INTERNALDATE \"")
                w.raw(Array(Self.internalDate(info.internalDate).utf8))
                w.raw("\"")
            case .modseq:
                w.raw("MODSEQ (")
                w.number(Int(info.modseq))
                w.raw(")")
            case .content(.rfc822Size):
                w.raw("RFC822.SIZE ")
                w.number(info.size)
            case .content(let content) where content == .envelope || content == .bodyStructure || content == .body:
                // From the projection's cached views: no message bytes read (issue 5's compact form).
                if !cachedRead {
                    cached = try store.cachedViews(mailbox: info.mailbox, uid: info.uid)
                    cachedRead = true
                }
                let name: StaticString = content == .envelope ? "ENVELOPE " : content == .body ? "BODY " : "BODYSTRUCTURE "
                w.raw(name)
                do {
                    guard let cached else { throw CachedViewsError("no cached views", at: 0) }
                    try CachedViews.write(cached, envelope: content == .envelope, body: content != .envelope,
                                          extensions: content == .bodyStructure, into: &w)
                } catch {
                    // A cache this version cannot read: work it out from the message itself.
                    let view = try view ?? IMAPMessageView(bytes: StoredMessage.bytes(of: info, from: journal))
                    switch content {
                    case .envelope: w.envelope(view.envelope)
                    case .body: w.bodyStructure(view.bodyStructure, extensions: false)
                    default: w.bodyStructure(view.bodyStructure, extensions: true)
                    }
                }
            case .content(let content):
                guard let view else { preconditionFailure("message bytes were not read for \(content)") }
                try view.write(content, into: &w)
            }
        }
        w.raw(")\r\n")
        return w
    }

    /// date-time (RFC 9051 §9) in UTC: "dd-Mon-yyyy hh:mm:ss +0000".
    static func internalDate(_ micros: Int64) -> String {
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let rest = Int(seconds - days * 86_400)
        let (y, m, d) = civil(fromDays: Int(days))
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let year = String(repeating: "0", count: max(0, 4 - String(y).count)) + String(y)
        return "\(two(d))-\(Cursor.months[m - 1].prefix(1))\(Cursor.months[m - 1].dropFirst().lowercased())-\(year) \(two(rest / 3600)):\(two(rest / 60 % 60)):\(two(rest % 60)) +0000"
    }

    /// The inverse of `Cursor.daysSinceEpoch` (Howard Hinnant's civil_from_days).
    static func civil(fromDays z: Int) -> (year: Int, month: Int, day: Int) {
        let z = z + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
