import Journal
import MailMessage
import Projections

extension IMAPSession {
    /// The selected mailbox; commands of the selected state passed the state check.
    var current: SelectedMailbox {
        guard let selected else { preconditionFailure("selected-state command without a selected mailbox") }
        return selected
    }

    /// Resolves a set, answering `BAD` for sequence numbers that name no message.
    func resolve(_ tag: String, _ set: SequenceSet, uid: Bool) -> [(number: Int, uid: UInt32)]? {
        do {
            return try current.resolve(set, uid: uid)
        } catch {
            bad(tag, "invalid message sequence number (mailbox has \(current.count) messages)")
            return nil
        }
    }

    /// The projection's messages for the resolved UIDs, by UID (from the session's listing,
    /// brought up to date first; none once the mailbox is deleted).
    func messages(for targets: [(number: Int, uid: UInt32)]) throws -> [UInt32: MessageInfo] {
        guard try refreshListing() != nil, let listing else { return [:] }
        var out: [UInt32: MessageInfo] = [:]
        out.reserveCapacity(targets.count)
        for t in targets { if let m = listing.message(uid: t.uid) { out[t.uid] = m } }
        return out
    }

    // MARK: STORE (RFC 9051 §6.4.6)

    func storeFlags(_ tag: String, _ set: SequenceSet, _ operation: StoreOperation, uid: Bool, _ command: IMAPCommand) async throws {
        guard !current.readOnly else {
            no(tag, code: "READ-ONLY", "the mailbox is read-only (EXAMINE)")
            return
        }
        guard let flags = storableFlags(operation.flags) else {
            bad(tag, "invalid flag")
            return
        }
        guard let targets = resolve(tag, set, uid: uid) else { return }
        let infos = try messages(for: targets)
        let refs = targets.compactMap { infos[$0.uid]?.ref }
        if !refs.isEmpty {
            let kind: FlagsChanged.Operation = switch operation.kind {
            case .add: .add
            case .remove: .remove
            case .replace: .replace
            }
            try await record([FlagsChanged(context: eventContext, mailbox: current.mailbox, messages: refs, operation: kind, flags: flags)])
        }
        let after = try messages(for: targets)
        for target in targets {
            guard let info = after[target.uid] else { continue }
            selected?.told(uid: target.uid, flags: info.flags)
            // .SILENT: no FETCH for the change (RFC 9051 §6.4.6).
            guard !operation.silent else { continue }
            var w = IMAPWriter()
            w.number(target.number)
            w.raw(" FETCH (")
            if uid {
                w.raw("UID ")
                w.number(Int(target.uid))
                w.space()
            }
            w.raw("FLAGS ")
            SelectedMailbox.writeFlags(selected?.flagsWithRecent(info) ?? info.flags, into: &w)
            w.raw(")")
            send(.data(w.bytes))
        }
        try await done(tag, command, "STORE completed")
    }

    // MARK: EXPUNGE / UID EXPUNGE (RFC 9051 §6.4.3, §6.4.9)

    func expunge(_ tag: String, only set: SequenceSet?, _ command: IMAPCommand) async throws {
        guard !current.readOnly else {
            no(tag, code: "READ-ONLY", "the mailbox is read-only (EXAMINE)")
            return
        }
        var deleted = try currentMessages().filter { $0.flags.contains("\\Deleted") }
        if let set {
            guard let targets = resolve(tag, set, uid: true) else { return }
            let wanted = Set(targets.map(\.uid))
            deleted = deleted.filter { wanted.contains($0.uid) }
        }
        if !deleted.isEmpty {
            try await record([MessagesExpunged(context: eventContext, mailbox: current.mailbox, messages: deleted.map(\.ref))])
        }
        try await doneExpunging(tag, command, expunged: !deleted.isEmpty)
    }

    // MARK: COPY / MOVE (RFC 9051 §6.4.7, §6.4.8, RFC 4315 COPYUID)

    func transfer(_ tag: String, _ set: SequenceSet, to name: String, uid: Bool, move: Bool, _ command: IMAPCommand) async throws {
        if move, current.readOnly {
            no(tag, code: "READ-ONLY", "the mailbox is read-only (EXAMINE)")
            return
        }
        guard let destination = try mailbox(named: name) else {
            no(tag, code: "TRYCREATE", "no such mailbox")
            return
        }
        guard let targets = resolve(tag, set, uid: uid) else { return }
        let infos = try messages(for: targets)
        let sources = targets.compactMap { infos[$0.uid] }
        guard !sources.isEmpty else {
            try await done(tag, command, "\(move ? "MOVE" : "COPY") completed, nothing to do")
            return
        }
        let transfer = MessagesTransferred(context: eventContext, source: current.mailbox, messages: sources.map(\.ref),
                                           destination: destination.id)
        let sequence = try await record([move ? MessagesMoved(transfer) : MessagesCopied(transfer)])[0]
        let copies = try store.messages(mailbox: destination.id, createdBy: sequence)
        let code = "COPYUID \(destination.uidValidity) \(Self.uidSet(sources.map(\.uid))) \(Self.uidSet(copies.map(\.uid)))"
        if move {
            // RFC 6851 §4.3: COPYUID goes in an untagged OK before the EXPUNGEs.
            send(.status(.ok, code: code, text: "moved"))
            try await done(tag, command, "MOVE completed")
        } else {
            try await done(tag, command, code: code, "COPY completed")
        }
    }

    /// UIDs in order, as a compact set (RFC 4315 `uid-set`): runs become ranges.
    static func uidSet(_ uids: [UInt32]) -> String {
        var parts: [String] = []
        var k = 0
        while k < uids.count {
            var end = k
            while end + 1 < uids.count, uids[end + 1] == uids[end] + 1 { end += 1 }
            parts.append(end > k ? "\(uids[k]):\(uids[end])" : "\(uids[k])")
            k = end + 1
        }
        return parts.joined(separator: ",")
    }
}
