import Journal
import MailMessage
import Projections

/// CONDSTORE and QRESYNC (RFC 7162). Roost's MODSEQs are journal sequence numbers: a message's
/// MODSEQ is the event that last changed it, a mailbox's HIGHESTMODSEQ the last event that
/// touched it, and the projection keeps every expunged UID with the MODSEQ of its expunge. All
/// of that is rebuilt from the journal to the same values, so a client's saved state stays valid
/// across restarts and `roost rebuild`. Every mailbox keeps MODSEQs: NOMODSEQ is never sent.
extension IMAPSession {
    // MARK: Enabling

    /// ENABLE CONDSTORE / QRESYNC (RFC 7162 §3.2.3, RFC 5161): the capabilities newly enabled.
    func enableResync(_ capabilities: [String]) -> [String] {
        var enabled: [String] = []
        if capabilities.contains("CONDSTORE"), !state.condStore {
            state.condStore = true
            enabled.append("CONDSTORE")
        }
        if capabilities.contains("QRESYNC"), !state.qresync {
            // QRESYNC includes CONDSTORE (§3.2.3).
            state.qresync = true
            state.condStore = true
            enabled.append("QRESYNC")
        }
        return enabled
    }

    /// A CONDSTORE enabling command other than ENABLE (RFC 7162 §3.1). The first one with a
    /// mailbox selected reports its HIGHESTMODSEQ, after the client has been brought up to date
    /// so that the value covers everything it was told.
    func enableCondStore() throws {
        guard !state.condStore else { return }
        state.condStore = true
        guard selected != nil else { return }
        try synchronize(expungeAllowed: false)
        if let modseq = try clientHighestModseq() {
            send(.status(.ok, code: "HIGHESTMODSEQ \(modseq)", text: "CONDSTORE enabled"))
        }
    }

    /// The HIGHESTMODSEQ the client may save: the mailbox's as of the last full catch-up, or,
    /// while expunges are held back (RFC 9051 §7.5.1), just below the first of them, so that a
    /// client resynchronising from it still learns of them (RFC 7162 §3.2).
    func clientHighestModseq() throws -> UInt64? {
        guard let current = selected else { return nil }
        if !current.expungedPending.isEmpty,
           let first = try store.expungedModseqs(mailbox: current.mailbox, uids: Array(current.expungedPending)).values.min() {
            return first - 1
        }
        if let at = synchronizedAt { return at.modseq }
        return try store.mailbox(id: current.mailbox)?.highestModseq
    }

    /// After a catch-up that held expunges back: tell a CONDSTORE client a HIGHESTMODSEQ below
    /// them, since MODSEQs above them may have been sent already (RFC 7162 §3.2).
    func reportHeldBackExpunges() throws {
        guard state.condStore, let current = selected, !current.expungedPending.isEmpty,
              let modseq = try clientHighestModseq() else { return }
        send(.status(.ok, code: "HIGHESTMODSEQ \(modseq)", text: "expunges not yet reported"))
    }

    // MARK: SELECT / EXAMINE (RFC 7162 §3.1.8, §3.2.5)

    /// Checks SELECT parameters before the mailbox is opened; false when answered BAD.
    func acceptSelectParameters(_ tag: String, _ parameters: SelectParameters) -> Bool {
        if parameters.quickResync != nil, !state.qresync {
            bad(tag, "QRESYNC needs ENABLE QRESYNC first")
            return false
        }
        if parameters.condStore { state.condStore = true }
        return true
    }

    /// What SELECT says after the standard responses: HIGHESTMODSEQ once CONDSTORE is on, and for
    /// QRESYNC the expunges (VANISHED (EARLIER)) and flag changes since the client's MODSEQ.
    func reportResync(_ info: MailboxInfo, messages: [MessageInfo], _ parameters: SelectParameters) throws {
        guard state.condStore else { return }
        send(.status(.ok, code: "HIGHESTMODSEQ \(info.highestModseq)", text: "highest mailbox mod-sequence"))
        // A different UIDVALIDITY: the client's state is void; it sees the new value (§3.2.5).
        guard let q = parameters.quickResync, q.uidValidity == info.uidValidity, let mailbox = selected else { return }
        let maxUID = info.uidNext > 0 ? info.uidNext - 1 : 0
        // Without known UIDs, 1:(UIDNEXT-1): an empty set for a mailbox that never had mail.
        func known(_ uid: UInt32) -> Bool { q.knownUIDs.map { $0.contains(uid, last: maxUID) } ?? (uid <= maxUID) }
        let floor = mailbox.sequenceMatchFloor(q)
        let vanished = try store.expunged(mailbox: info.id, since: q.modseq).filter { $0 > floor && known($0) }
        if !vanished.isEmpty { send(.data(Array("VANISHED (EARLIER) \(SelectedMailbox.compactSet(vanished))".utf8))) }
        for (index, message) in messages.sorted(by: { $0.uid < $1.uid }).enumerated()
        where message.modseq > q.modseq && known(message.uid) {
            send(.data(Self.flagsFetch(number: index + 1, message, silent: false)))
        }
    }

    // MARK: FETCH (RFC 7162 §3.1.4, §3.2.6)

    /// FETCH with modifiers: CHANGEDSINCE narrows the set to messages changed since, VANISHED
    /// first reports the set's UIDs expunged since (as VANISHED (EARLIER)); then the plain FETCH.
    func fetch(_ tag: String, _ set: SequenceSet, _ attributes: [FetchAttribute], uid: Bool, modifiers: FetchModifiers,
               _ command: IMAPCommand) async throws {
        if modifiers.vanished {
            guard uid else { return bad(tag, "VANISHED is only for UID FETCH") }
            guard state.qresync else { return bad(tag, "VANISHED needs ENABLE QRESYNC first") }
        }
        guard attributes.contains(.modseq) || modifiers.changedSince != nil else {
            return try await fetch(tag, set, attributes, uid: uid, command)
        }
        try enableCondStore()
        guard let since = modifiers.changedSince else { return try await fetch(tag, set, attributes, uid: uid, command) }
        guard let targets = resolve(tag, set, uid: uid) else { return }
        if modifiers.vanished, !set.isSaved {
            // Expunges this session has not announced yet are told as plain VANISHED at the end.
            let last = current.uids.last ?? 0
            let gone = try store.expunged(mailbox: current.mailbox, since: since)
                .filter { set.contains($0, last: last) && !current.expungedPending.contains($0) && current.sequenceNumber(of: $0) == nil }
            if !gone.isEmpty { send(.data(Array("VANISHED (EARLIER) \(SelectedMailbox.compactSet(gone))".utf8))) }
        }
        let infos = try messages(for: targets)
        let changed = targets.filter { infos[$0.uid].map { $0.modseq > since } ?? false }
        guard !changed.isEmpty else { return try await done(tag, command, "FETCH completed") }
        let narrowed = SequenceSet(ranges: changed.map { t in
            let n = uid ? t.uid : UInt32(t.number)
            return SequenceSet.Range(.number(n), .number(n))
        })
        // CHANGEDSINCE implies the MODSEQ item (§3.1.4.1).
        try await fetch(tag, narrowed, attributes.contains(.modseq) ? attributes : attributes + [.modseq], uid: uid, command)
    }

    // MARK: STORE (RFC 7162 §3.1.3)

    /// STORE once CONDSTORE is on, with or without UNCHANGEDSINCE. Messages changed since the
    /// client's MODSEQ are not touched and are listed in [MODIFIED]; the test is made again where
    /// the event is applied (`FlagsChanged.unchangedSince`), so a change made meanwhile by another
    /// session is never overwritten. Every message answers with UID and MODSEQ, even for .SILENT.
    func conditionalStore(_ tag: String, _ set: SequenceSet, _ operation: StoreOperation, uid: Bool, _ command: IMAPCommand) async throws {
        try enableCondStore()
        guard !current.readOnly else {
            no(tag, code: "READ-ONLY", "the mailbox is read-only (EXAMINE)")
            return
        }
        guard let flags = storableFlags(operation.flags) else {
            bad(tag, "invalid flag")
            return
        }
        guard let targets = resolve(tag, set, uid: uid) else { return }
        let limit = operation.unchangedSince
        let before = try messages(for: targets)
        var failed = Set<UInt32>()
        var refs: [MessageRef] = []
        for target in targets {
            guard let info = before[target.uid] else { continue }
            if let limit, info.modseq > limit { failed.insert(target.uid) } else { refs.append(info.ref) }
        }
        var sequence: UInt64?
        if !refs.isEmpty {
            let kind: FlagsChanged.Operation = switch operation.kind {
            case .add: .add
            case .remove: .remove
            case .replace: .replace
            }
            sequence = try await record([FlagsChanged(context: eventContext, mailbox: current.mailbox, messages: refs, operation: kind,
                                                      flags: flags, unchangedSince: limit)])[0]
        }
        let after = try messages(for: targets)
        for target in targets {
            guard let info = after[target.uid] else { continue }
            // Changed by someone else between the look above and our event (or just after it).
            if let limit, !failed.contains(target.uid), info.modseq > limit, info.modseq != sequence { failed.insert(target.uid) }
            // A message that failed gets its current flags, so the client needs no NOOP (Example 10).
            let silent = operation.silent && !failed.contains(target.uid)
            selected?.told(uid: target.uid, flags: info.flags)
            send(.data(Self.flagsFetch(number: target.number, info, silent: silent)))
        }
        let modified = targets.filter { failed.contains($0.uid) }.map { uid ? $0.uid : UInt32($0.number) }.sorted()
        try await done(tag, command, code: modified.isEmpty ? nil : "MODIFIED \(SelectedMailbox.compactSet(modified))",
                       modified.isEmpty ? "STORE completed" : "conditional STORE failed for some messages")
    }

    /// `n FETCH (UID u MODSEQ (m) FLAGS (…))`, FLAGS left out when `silent`.
    static func flagsFetch(number: Int, _ info: MessageInfo, silent: Bool) -> [UInt8] {
        var w = IMAPWriter()
        w.number(number)
        w.raw(" FETCH (UID ")
        w.number(Int(info.uid))
        w.raw(" MODSEQ (")
        w.number(Int(info.modseq))
        w.raw(")")
        if !silent {
            w.raw(" FLAGS ")
            SelectedMailbox.writeFlags(info.flags, into: &w)
        }
        w.raw(")")
        return w.bytes
    }

    // MARK: EXPUNGE (RFC 7162 §3.2.7, §3.2.9)

    /// Brings the client up to date (VANISHED with QRESYNC), then `tag OK`, with the new
    /// HIGHESTMODSEQ when QRESYNC is on and something was expunged.
    func doneExpunging(_ tag: String, _ command: IMAPCommand, expunged: Bool) async throws {
        try synchronize(expungeAllowed: true, includeUID: isUIDCommand(command))
        let code = state.qresync && expunged ? try clientHighestModseq().map { "HIGHESTMODSEQ \($0)" } : nil
        ok(tag, code: code, "EXPUNGE completed")
    }
}

extension SearchKey {
    /// Whether a MODSEQ key appears anywhere (RFC 7162 §3.1.5 changes the response then).
    var mentionsModseq: Bool {
        switch self {
        case .modseq: true
        case .not(let k): k.mentionsModseq
        case .or(let a, let b): a.mentionsModseq || b.mentionsModseq
        case .and(let keys): keys.contains { $0.mentionsModseq }
        default: false
        }
    }
}

/// The numbers of a sequence set in the order written, each range ascending, without `*`.
/// Lazy: a range like 1:4294967295 costs nothing until walked.
struct SetWalker {
    private let ranges: [SequenceSet.Range]
    private var index = 0
    private var next32: UInt32?
    private var end: UInt32 = 0

    init(_ set: SequenceSet) { ranges = set.ranges }

    mutating func next() -> UInt32? {
        if let n = next32 {
            next32 = n < end ? n + 1 : nil
            return n
        }
        guard index < ranges.count else { return nil }
        let r = ranges[index]
        index += 1
        let a = r.from.value(last: 0), b = r.to.value(last: 0)
        end = max(a, b)
        next32 = min(a, b)
        return next()
    }
}
