#if canImport(Glibc)
import Glibc
#endif
import Journal
import MailMessage
import Projections

extension IMAPSession {
    var currentUser: UserID {
        guard let user = state.user else { preconditionFailure("IMAP command in the wrong state passed the state check") }
        return user
    }

    func mailbox(named name: String) throws -> MailboxInfo? {
        try store.mailbox(user: currentUser, name: MailboxNames.normalized(name))
    }

    /// A mailbox name as this client reads it: UTF-8 for IMAP4rev2 and UTF8=ACCEPT (RFC 6855 §3),
    /// modified UTF-7 otherwise.
    func writeName(_ name: String, into w: inout IMAPWriter) {
        w.string(Array((state.utf8 ? name : ModifiedUTF7.encode(name)).utf8))
    }

    // MARK: SELECT / EXAMINE (RFC 9051 §6.3.2, §6.3.3)

    func select(_ tag: String, _ name: String, readOnly: Bool, parameters: SelectParameters = SelectParameters()) async throws {
        guard acceptSelectParameters(tag, parameters) else { return }
        // RFC 9051 §6.3.2: a SELECT first deselects, even when it fails.
        let wasSelected = selected != nil
        // Selecting the same mailbox again (clients do, to see new mail) brings the listing the
        // session has up to date instead of reading the whole mailbox again.
        let previousMailbox = selected?.mailbox
        var previousListing = listing.take()
        deselect()
        if wasSelected { send(.status(.ok, code: "CLOSED", text: "previous mailbox closed")) }
        guard let info = try mailbox(named: name) else {
            no(tag, code: "NONEXISTENT", "no such mailbox")
            return
        }
        if previousMailbox != info.id { previousListing = nil }
        if previousListing != nil, let since = previousListing?.modseq {
            let changes = try store.changes(mailbox: info.id, since: since)
            guard let now = changes.mailbox else {
                no(tag, code: "NONEXISTENT", "no such mailbox")
                return
            }
            previousListing!.apply(changed: changes.changed, expunged: changes.expunged, through: now.highestModseq)
        }
        let messages = try previousListing?.messages ?? store.messages(mailbox: info.id)
        var mailbox = SelectedMailbox(info, messages: messages, readOnly: readOnly)
        let system = ["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"]
        let keywords = Set(messages.flatMap(\.flags)).subtracting(system).sorted()
        var w = IMAPWriter()
        w.raw("FLAGS ")
        SelectedMailbox.writeFlags(system + keywords, into: &w)
        send(.data(w.bytes))
        send(.data(Array("\(messages.count) EXISTS".utf8)))
        if !state.rev2 {
            send(mailbox.updateRecent(handler.recent))
            if let firstUnseen = messages.firstIndex(where: { !$0.flags.contains("\\Seen") }) {
                send(.status(.ok, code: "UNSEEN \(firstUnseen + 1)", text: "first unseen message"))
            }
        } else {
            var list = IMAPWriter(utf8Quoted: true)
            list.raw("LIST () \"/\" ")
            list.string(Array(info.name.utf8))
            send(.data(list.bytes))
        }
        send(.status(.ok, code: "UIDVALIDITY \(info.uidValidity)", text: "UIDs valid"))
        send(.status(.ok, code: "UIDNEXT \(info.uidNext)", text: "predicted next UID"))
        send(.status(.ok, code: readOnly ? "PERMANENTFLAGS ()" : "PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)",
                     text: readOnly ? "read-only mailbox" : "flags permitted"))
        selected = mailbox
        let current = previousListing ?? MailboxListing(messages: messages, modseq: info.highestModseq)
        listing = current
        synchronizedAt = (current.modseq, messages.count)
        if case .authenticated(let user, let account) = state.phase { state.phase = .selected(user: user, account: account) }
        try reportResync(info, messages: messages, parameters)
        ok(tag, code: readOnly ? "READ-ONLY" : "READ-WRITE", "\(readOnly ? "EXAMINE" : "SELECT") completed")
    }

    // MARK: CREATE / DELETE / RENAME (RFC 9051 §6.3.4–6.3.6)

    func create(_ tag: String, _ name: String, specialUse: [String] = [], _ command: IMAPCommand) async throws {
        guard let name = MailboxNames.validated(name) else {
            no(tag, code: "CANNOT", "invalid mailbox name")
            return
        }
        guard let specialUse = creatableSpecialUse(tag, specialUse) else { return }
        if try mailbox(named: name) != nil {
            no(tag, code: "ALREADYEXISTS", "mailbox already exists")
            return
        }
        // RFC 9051 §6.3.4: create the missing superior names too.
        var events: [any EventBody] = []
        for parent in MailboxNames.parents(of: name) where try mailbox(named: parent) == nil {
            events.append(newMailbox(parent))
        }
        events.append(newMailbox(name, specialUse: specialUse))
        try await record(events)
        try await done(tag, command, "CREATE completed")
    }

    func newMailbox(_ name: String, specialUse: [String] = []) -> MailboxCreated {
        MailboxCreated(context: eventContext, mailbox: .random(), user: currentUser, name: name,
                       uidValidity: UInt32.random(in: 1...UInt32.max), specialUse: specialUse)
    }

    func delete(_ tag: String, _ name: String, _ command: IMAPCommand) async throws {
        let name = MailboxNames.normalized(name)
        guard name != "INBOX" else {
            no(tag, code: "CANNOT", "INBOX cannot be deleted")
            return
        }
        guard let info = try mailbox(named: name) else {
            no(tag, code: "NONEXISTENT", "no such mailbox")
            return
        }
        if selected?.mailbox == info.id { deselect() }
        try await record([MailboxDeleted(context: eventContext, mailbox: info.id)])
        try await done(tag, command, "DELETE completed")
    }

    func rename(_ tag: String, _ from: String, _ to: String, _ command: IMAPCommand) async throws {
        let from = MailboxNames.normalized(from)
        guard let target = MailboxNames.validated(to) else {
            no(tag, code: "CANNOT", "invalid mailbox name")
            return
        }
        guard let source = try mailbox(named: from) else {
            no(tag, code: "NONEXISTENT", "no such mailbox")
            return
        }
        guard target != "INBOX", try mailbox(named: target) == nil else {
            no(tag, code: "ALREADYEXISTS", "a mailbox with the new name exists")
            return
        }
        guard !target.hasPrefix(source.name + "/") else {
            no(tag, code: "CANNOT", "a mailbox cannot be moved under itself")
            return
        }
        var events: [any EventBody] = []
        for parent in MailboxNames.parents(of: target) where try mailbox(named: parent) == nil && parent != source.name {
            events.append(newMailbox(parent))
        }
        if source.name == "INBOX" {
            // RFC 9051 §6.3.6: renaming INBOX moves its messages to a new mailbox and leaves
            // INBOX empty (its inferiors stay where they are).
            let created = newMailbox(target)
            events.append(created)
            let refs = try store.messages(mailbox: source.id).map(\.ref)
            if !refs.isEmpty {
                events.append(MessagesMoved(MessagesTransferred(context: eventContext, source: source.id, messages: refs, destination: created.mailbox)))
            }
        } else {
            events.append(MailboxRenamed(context: eventContext, mailbox: source.id, newName: target))
            // The inferiors move with it (RFC 9051 §6.3.6).
            for child in try store.mailboxes(user: currentUser) where child.name.hasPrefix(source.name + "/") {
                events.append(MailboxRenamed(context: eventContext, mailbox: child.id, newName: target + child.name.dropFirst(source.name.count)))
            }
        }
        try await record(events)
        try await done(tag, command, "RENAME completed")
    }

    func subscribe(_ tag: String, _ name: String, _ on: Bool, _ command: IMAPCommand) async throws {
        let name = MailboxNames.normalized(name)
        let subscription = MailboxSubscription(context: eventContext, user: currentUser, name: name)
        if on {
            guard try mailbox(named: name) != nil else {
                no(tag, code: "NONEXISTENT", "no such mailbox")
                return
            }
            try await record([MailboxSubscribed(subscription)])
        } else {
            try await record([MailboxUnsubscribed(subscription)])
        }
        try await done(tag, command, "\(on ? "SUBSCRIBE" : "UNSUBSCRIBE") completed")
    }

    // MARK: LIST / LSUB (RFC 9051 §6.3.9, RFC 3501 §6.3.9, RFC 5258, RFC 6154, RFC 5819)

    func list(_ tag: String, reference: String, patterns: [String], subscribedOnly: Bool, specialUseOnly: Bool, recursiveMatch: Bool = false,
              returnSubscribed: Bool, returnSpecialUse: Bool, returnStatus: [StatusItem]?, _ command: IMAPCommand) async throws {
        if patterns == [""] {
            // RFC 9051 §6.3.9: the hierarchy delimiter and root.
            send(.data(Array("LIST (\\Noselect) \"/\" \"\"".utf8)))
            try await done(tag, command, "LIST completed")
            return
        }
        let mailboxes = try store.mailboxes(user: currentUser)
        let listing = ListedMailboxes(mailboxes: mailboxes.map { .init(name: $0.name, specialUse: $0.specialUse) },
                                     subscribed: Set(try store.subscriptions(user: currentUser)))
        let options = ListedMailboxes.Options(
            subscribedOnly: subscribedOnly, specialUseOnly: specialUseOnly, recursiveMatch: recursiveMatch,
            returnSubscribed: returnSubscribed || subscribedOnly,
            // Extended LIST (RFC 5258 §3.4) and IMAP4rev2 say \NonExistent; a plain IMAP4rev1 LIST \Noselect.
            nonExistentAttribute: state.rev2 || subscribedOnly ? "\\NonExistent" : "\\Noselect")
        _ = returnSpecialUse
        let byName = Dictionary(mailboxes.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for entry in listing.entries(reference: reference, patterns: patterns, options) {
            var w = IMAPWriter(utf8Quoted: state.utf8)
            w.raw("LIST (")
            w.raw(Array(entry.attributes.joined(separator: " ").utf8))
            w.raw(") \"/\" ")
            writeName(entry.name, into: &w)
            if entry.childInfo {
                w.raw(" (\"CHILDINFO\" (")
                w.raw(Array(options.childInfoCriteria.map { "\"\($0)\"" }.joined(separator: " ").utf8))
                w.raw("))")
            }
            send(.data(w.bytes))
            if let returnStatus, entry.selectable, let info = byName[entry.name] { send(.data(try statusData(info, returnStatus))) }
        }
        try await done(tag, command, "LIST completed")
    }

    func lsub(_ tag: String, reference: String, pattern: String, _ command: IMAPCommand) async throws {
        let canonical = MailboxNames.pattern(reference: reference, pattern)
        let existing = Set(try store.mailboxes(user: currentUser).map(\.name))
        for name in try store.subscriptions(user: currentUser) where MailboxNames.matches(name, pattern: canonical) {
            var w = IMAPWriter(utf8Quoted: state.utf8)
            w.raw(existing.contains(name) ? "LSUB () \"/\" " : "LSUB (\\Noselect) \"/\" ")
            writeName(name, into: &w)
            send(.data(w.bytes))
        }
        try await done(tag, command, "LSUB completed")
    }

    // MARK: STATUS (RFC 9051 §6.3.11)

    func status(_ tag: String, _ name: String, _ items: [StatusItem], _ command: IMAPCommand) async throws {
        guard let info = try mailbox(named: name) else {
            no(tag, code: "NONEXISTENT", "no such mailbox")
            return
        }
        send(.data(try statusData(info, items)))
        try await done(tag, command, "STATUS completed")
    }

    func statusData(_ info: MailboxInfo, _ items: [StatusItem]) throws -> [UInt8] {
        let needMessages = items.contains { [.unseen, .deleted, .size].contains($0) }
        let messages = needMessages ? try store.messages(mailbox: info.id) : []
        var w = IMAPWriter(utf8Quoted: state.utf8)
        w.raw("STATUS ")
        writeName(info.name, into: &w)
        w.raw(" (")
        for (k, item) in items.enumerated() {
            if k > 0 { w.space() }
            w.raw(Array(item.rawValue.utf8))
            w.space()
            switch item {
            case .messages: w.number(info.messageCount)
            case .uidNext: w.number(Int(info.uidNext))
            case .uidValidity: w.number(Int(info.uidValidity))
            case .unseen: w.number(messages.filter { !$0.flags.contains("\\Seen") }.count)
            case .deleted: w.number(messages.filter { $0.flags.contains("\\Deleted") }.count)
            case .size: w.number(messages.reduce(0) { $0 + $1.size })
            case .recent:
                // Counted, not claimed (RFC 3501 §6.3.10: STATUS "MUST NOT cause messages to lose the \Recent flag").
                let first = handler.recent.firstUnclaimedUID(info.id) ?? 0
                w.number(try store.messages(mailbox: info.id).filter { $0.uid >= first }.count)
            case .highestModseq: w.number(Int(info.highestModseq))
            case .appendLimit: w.number(IMAPLimits.appendLimit)
            }
        }
        w.raw(")")
        return w.bytes
    }

    // MARK: APPEND (RFC 9051 §6.3.12, RFC 4315 APPENDUID)

    func append(_ tag: String, _ name: String, flags: [String], date: Int64?, zoneMinutes: Int16, message: [UInt8],
                _ command: IMAPCommand) async throws {
        guard let info = try mailbox(named: name) else {
            // RFC 9051 §6.3.12: TRYCREATE tells the client CREATE would help.
            no(tag, code: "TRYCREATE", "no such mailbox")
            return
        }
        guard let flags = storableFlags(flags) else {
            bad(tag, "invalid flag")
            return
        }
        let internalDate = date ?? Self.now()
        let sequence = try await record([MessageAppended(context: eventContext, mailbox: info.id, flags: flags, internalDate: internalDate,
                                                         zoneOffsetMinutes: zoneMinutes, message: message)])[0]
        guard let added = try store.messages(mailbox: info.id, createdBy: sequence).first else {
            let id = internalError("appended message not in the projection", metadata: ["sequence": "\(sequence)"])
            no(tag, code: "SERVERBUG", "message stored but not listed (\(id))")
            return
        }
        try await done(tag, command, code: "APPENDUID \(info.uidValidity) \(added.uid)", "APPEND completed")
    }

    /// Flags a client may set: system flags (not \Recent) and keyword atoms. Nil if one is invalid.
    func storableFlags(_ flags: [String]) -> [String]? {
        let system: Set<String> = ["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"]
        var out: [String] = []
        for flag in flags {
            if flag.hasPrefix("\\") {
                guard system.contains(flag) else { return nil }
            }
            if !out.contains(flag) { out.append(flag) }
        }
        return out
    }

    static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec / 1000)
    }
}
