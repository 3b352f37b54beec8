import Foundation
import GRDB
import Journal
import MailMessage
import Foundation

/// Applies one event to the projection tables inside the projector's transaction. Everything it
/// writes is a function of the events so far (DESIGN.md invariant 3): UIDs come from each
/// mailbox's `uidNext`, MODSEQs are event sequence numbers, dates come from the events.
/// An event that refers to something that does not exist (a deleted mailbox, an expunged message)
/// changes nothing; the same happens on every replay.
struct EventApplier {
    var changes: [MailboxChange] = []

    /// Each mailbox's counters as this transaction has changed them, kept here and written back
    /// once per mailbox by `finish` instead of a SELECT and an UPDATE for every message.
    private struct Counters {
        var uidNext: Int64
        var highestModseq: Int64
        var changed = false
    }
    private var counters: [MailboxID: Counters] = [:]
    /// Mailboxes known not to exist in this transaction.
    private var absent: Set<MailboxID> = []

    init() {}

    /// Applies one prepared event (see `Preparer`).
    mutating func apply(_ prepared: PreparedEvent, db: Database) throws {
        switch prepared {
        case .event(let event, let sequence):
            try apply(event, sequence: sequence, db: db)
        case .message(let m):
            guard try mailboxExists(m.mailbox, db: db) else { return }
            let summary: MessageSummary
            switch m.content {
            case .ready(let s): summary = s
            case .pending(let header, let body): summary = MessageSummary(header: header, body: body)
            case .missing: return
            case .failed(let error): throw error
            }
            try insertMessage(
                mailbox: m.mailbox, ref: MessageRef(event: m.sequence), sequence: m.sequence,
                flags: FlagSet.encode(m.flags), internalDate: m.internalDate, size: summary.size,
                bodySequence: m.bodySequence, headerSequence: m.headerSequence,
                views: summary.views.databaseValue, db: db)
        }
    }

    /// Writes back the mailbox counters; call once, at the end of the transaction.
    mutating func finish(_ db: Database) throws {
        for (mailbox, c) in counters where c.changed {
            try db.run("UPDATE mailbox SET uidNext = ?, highestModseq = ? WHERE id = ?",
                       arguments: [c.uidNext, c.highestModseq, Int64(id: mailbox)])
        }
        counters = [:]
        absent = []
    }

    mutating func apply(_ event: Event, sequence: UInt64, db: Database) throws {
        switch event.body {
        case let e as DomainAdded:
            try db.execute(sql: "INSERT OR REPLACE INTO domain (id, name) VALUES (?, ?)",
                           arguments: [Int64(id: e.domain), e.name.lowercased()])
        case let e as DomainRemoved:
            try db.execute(sql: "DELETE FROM domain WHERE id = ?", arguments: [Int64(id: e.domain)])
        case let e as UserCreated:
            let domain = try String.fetchOne(db, sql: "SELECT name FROM domain WHERE id = ?", arguments: [Int64(id: e.domain)])
            guard let domain else { return }
            let address = e.localPart.lowercased() + "@" + domain
            try db.execute(sql: """
                INSERT OR REPLACE INTO user (id, domainId, localPart, address, passwordHash, displayName)
                VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [Int64(id: e.user), Int64(id: e.domain), e.localPart, address, e.passwordHash, e.displayName])
        case let e as UserDeleted:
            try deleteUser(e.user, sequence: sequence, db: db)
        case let e as PasswordChanged:
            try db.execute(sql: "UPDATE user SET passwordHash = ? WHERE id = ?", arguments: [e.passwordHash, Int64(id: e.user)])
        case let e as AliasAdded:
            let address = e.address.lowercased()
            try db.execute(sql: "DELETE FROM aliasTarget WHERE address = ?", arguments: [address])
            try db.execute(sql: "INSERT OR REPLACE INTO alias (address, kind) VALUES (?, ?)", arguments: [address, Int64(e.kind.rawValue)])
            var position = 0
            for user in e.users {
                try db.execute(sql: "INSERT INTO aliasTarget (address, position, userId) VALUES (?, ?, ?)",
                               arguments: [address, position, Int64(id: user)])
                position += 1
            }
            for forward in e.forwardTo {
                try db.execute(sql: "INSERT INTO aliasTarget (address, position, forwardTo) VALUES (?, ?, ?)",
                               arguments: [address, position, forward])
                position += 1
            }
        case let e as AliasRemoved:
            try db.execute(sql: "DELETE FROM aliasTarget WHERE address = ?", arguments: [e.address.lowercased()])
            try db.execute(sql: "DELETE FROM alias WHERE address = ?", arguments: [e.address.lowercased()])
        case is MessageReceived:
            // The bytes stay in the journal; deliveries refer to this event.
            break
        case is MessageDelivered, is MessageAppended:
            // Prepared into `PreparedEvent.message` by `Preparer`.
            break
        case let e as FlagsChanged:
            try changeFlags(e, sequence: sequence, db: db)
        case let e as MessagesCopied:
            try transfer(e.transfer, removingSources: false, sequence: sequence, db: db)
        case let e as MessagesMoved:
            try transfer(e.transfer, removingSources: true, sequence: sequence, db: db)
        case let e as MessagesExpunged:
            for ref in e.messages { try expunge(mailbox: e.mailbox, ref: ref, sequence: sequence, db: db) }
        case let e as MailboxCreated:
            // Ignored if the id or the name exists; either way the next use looks again.
            absent.remove(e.mailbox)
            try db.execute(sql: """
                INSERT OR IGNORE INTO mailbox (id, userId, name, uidValidity, uidNext, highestModseq, specialUse, createdSequence)
                VALUES (?, ?, ?, ?, 1, ?, ?, ?)
                """, arguments: [Int64(id: e.mailbox), Int64(id: e.user), e.name, Int64(e.uidValidity), Int64(sequence),
                                 e.specialUse.joined(separator: " "), Int64(sequence)])
        case let e as MailboxRenamed:
            guard try mailboxExists(e.mailbox, db: db) else { return }
            try db.execute(sql: "UPDATE OR IGNORE mailbox SET name = ? WHERE id = ?", arguments: [e.newName, Int64(id: e.mailbox)])
            changes.append(MailboxChange(mailbox: e.mailbox, kind: .renamed(to: e.newName), modseq: sequence))
        case let e as MailboxDeleted:
            try deleteMailbox(e.mailbox, sequence: sequence, db: db)
        case let e as MailboxSubscribed:
            try db.execute(sql: "INSERT OR IGNORE INTO subscription (userId, name) VALUES (?, ?)",
                           arguments: [Int64(id: e.subscription.user), e.subscription.name])
        case let e as MailboxUnsubscribed:
            try db.execute(sql: "DELETE FROM subscription WHERE userId = ? AND name = ?",
                           arguments: [Int64(id: e.subscription.user), e.subscription.name])
        case let e as FilterDecision:
            // Several per received message: a cached statement, like the message insert.
            try db.run("""
                INSERT OR REPLACE INTO decision (sequence, receivedSequence, stage, verdict, scoreMilli) VALUES (?, ?, ?, ?, ?)
                """, arguments: [Int64(sequence), Int64(e.received), e.stage, e.verdict, e.scoreMilli])
        case let e as SieveScriptStored:
            // A replacement keeps the script's active state (RFC 5804 §2.6).
            try db.execute(sql: """
                INSERT INTO sieveScript (userId, name, script, active) VALUES (?, ?, ?, 0)
                ON CONFLICT (userId, name) DO UPDATE SET script = excluded.script
                """, arguments: [Int64(id: e.user), e.name, Data(e.script)])
        case let e as SieveScriptRenamed:
            try db.execute(sql: "UPDATE sieveScript SET name = ? WHERE userId = ? AND name = ?",
                           arguments: [e.newName, Int64(id: e.user), e.name])
        case let e as SieveScriptDeleted:
            try db.execute(sql: "DELETE FROM sieveScript WHERE userId = ? AND name = ?", arguments: [Int64(id: e.user), e.name])
        case let e as SieveScriptActivated:
            try db.execute(sql: "UPDATE sieveScript SET active = (name = ?) WHERE userId = ?", arguments: [e.name, Int64(id: e.user)])
        default:
            // A known type this projection has nothing to keep from.
            break
        }
    }

    private mutating func load(_ mailbox: MailboxID, db: Database) throws -> Counters? {
        if let c = counters[mailbox] { return c }
        if absent.contains(mailbox) { return nil }
        guard let row = try db.row("SELECT uidNext, highestModseq FROM mailbox WHERE id = ?",
                                   arguments: [Int64(id: mailbox)]) else {
            absent.insert(mailbox)
            return nil
        }
        let c = Counters(uidNext: row[0], highestModseq: row[1])
        counters[mailbox] = c
        return c
    }

    private mutating func mailboxExists(_ mailbox: MailboxID, db: Database) throws -> Bool {
        try load(mailbox, db: db) != nil
    }

    /// Takes the mailbox's next UID and records `sequence` as its highest MODSEQ.
    private mutating func nextUID(_ mailbox: MailboxID, sequence: UInt64, db: Database) throws -> UInt32 {
        guard var c = try load(mailbox, db: db) else { return 1 }
        let uid = c.uidNext
        c.uidNext += 1
        c.highestModseq = Int64(sequence)
        c.changed = true
        counters[mailbox] = c
        return UInt32(uid)
    }

    private mutating func touch(_ mailbox: MailboxID, sequence: UInt64, db: Database) throws {
        guard var c = try load(mailbox, db: db) else { return }
        c.highestModseq = Int64(sequence)
        c.changed = true
        counters[mailbox] = c
    }

    private mutating func insertMessage(
        mailbox: MailboxID, ref: MessageRef, sequence: UInt64, flags: String, internalDate: Int64, size: Int,
        bodySequence: UInt64, headerSequence: UInt64?, views: DatabaseValue, db: Database
    ) throws {
        let uid = try nextUID(mailbox, sequence: sequence, db: db)
        try db.run( """
            INSERT INTO message (mailboxId, uid, refEvent, refOrdinal, modseq, flags, internalDate, size,
                                 bodySequence, headerSequence, views)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [Int64(id: mailbox), Int64(uid), Int64(ref.event), Int64(ref.ordinal), Int64(sequence), flags,
                             internalDate, size, Int64(bodySequence), headerSequence.map { Int64($0) }, views])
        changes.append(MailboxChange(mailbox: mailbox, kind: .added(uid: uid), modseq: sequence))
    }

    private mutating func changeFlags(_ e: FlagsChanged, sequence: UInt64, db: Database) throws {
        var touched = false
        for ref in e.messages {
            guard let row = try db.row( """
                SELECT uid, flags, modseq FROM message WHERE mailboxId = ? AND refEvent = ? AND refOrdinal = ?
                """, arguments: [Int64(id: e.mailbox), Int64(ref.event), Int64(ref.ordinal)]) else { continue }
            let uid: Int64 = row["uid"]
            // RFC 7162 §3.1.3: changed since the client looked, so this message is left alone.
            if let limit = e.unchangedSince, UInt64(row["modseq"] as Int64) > limit { continue }
            let old = FlagSet.decode(row["flags"])
            let new: String
            switch e.operation {
            case .add: new = FlagSet.encode(old + e.flags)
            case .remove:
                let removed = Set(e.flags.map { $0.lowercased() })
                new = FlagSet.encode(old.filter { !removed.contains($0.lowercased()) })
            case .replace: new = FlagSet.encode(e.flags)
            }
            guard new != FlagSet.encode(old) else { continue }
            try db.run( "UPDATE message SET flags = ?, modseq = ? WHERE mailboxId = ? AND uid = ?",
                           arguments: [new, Int64(sequence), Int64(id: e.mailbox), uid])
            changes.append(MailboxChange(mailbox: e.mailbox, kind: .flagsChanged(uid: UInt32(uid), flags: FlagSet.decode(new)), modseq: sequence))
            touched = true
        }
        if touched { try touch(e.mailbox, sequence: sequence, db: db) }
    }

    private mutating func transfer(_ t: MessagesTransferred, removingSources: Bool, sequence: UInt64, db: Database) throws {
        guard try mailboxExists(t.source, db: db), try mailboxExists(t.destination, db: db) else { return }
        for (ordinal, ref) in t.messages.enumerated() {
            guard let row = try db.row( """
                SELECT flags, internalDate, size, bodySequence, headerSequence, views
                FROM message WHERE mailboxId = ? AND refEvent = ? AND refOrdinal = ?
                """, arguments: [Int64(id: t.source), Int64(ref.event), Int64(ref.ordinal)]) else { continue }
            let headerSequence: Int64? = row["headerSequence"]
            let bodySequence: Int64 = row["bodySequence"]
            try insertMessage(
                mailbox: t.destination, ref: MessageRef(event: sequence, ordinal: UInt32(ordinal)), sequence: sequence,
                flags: row["flags"], internalDate: row["internalDate"], size: row["size"],
                bodySequence: UInt64(bodySequence), headerSequence: headerSequence.map { UInt64($0) },
                views: row["views"] as DatabaseValue, db: db)
            if removingSources { try expunge(mailbox: t.source, ref: ref, sequence: sequence, db: db) }
        }
    }

    private mutating func expunge(mailbox: MailboxID, ref: MessageRef, sequence: UInt64, db: Database) throws {
        guard let uid = try db.one(Int64.self, """
            SELECT uid FROM message WHERE mailboxId = ? AND refEvent = ? AND refOrdinal = ?
            """, arguments: [Int64(id: mailbox), Int64(ref.event), Int64(ref.ordinal)]) else { return }
        try db.run( "DELETE FROM message WHERE mailboxId = ? AND uid = ?", arguments: [Int64(id: mailbox), uid])
        // Kept for QRESYNC's VANISHED (RFC 7162 §3.2.10).
        try db.run( "INSERT OR REPLACE INTO expunged (mailboxId, uid, modseq) VALUES (?, ?, ?)",
                       arguments: [Int64(id: mailbox), uid, Int64(sequence)])
        try touch(mailbox, sequence: sequence, db: db)
        changes.append(MailboxChange(mailbox: mailbox, kind: .expunged(uid: UInt32(uid)), modseq: sequence))
    }

    private mutating func deleteMailbox(_ mailbox: MailboxID, sequence: UInt64, db: Database) throws {
        guard try mailboxExists(mailbox, db: db) else { return }
        let id = Int64(id: mailbox)
        try db.execute(sql: "DELETE FROM message WHERE mailboxId = ?", arguments: [id])
        try db.execute(sql: "DELETE FROM expunged WHERE mailboxId = ?", arguments: [id])
        try db.execute(sql: "DELETE FROM mailbox WHERE id = ?", arguments: [id])
        counters[mailbox] = nil
        absent.insert(mailbox)
        changes.append(MailboxChange(mailbox: mailbox, kind: .deleted, modseq: sequence))
    }

    private mutating func deleteUser(_ user: UserID, sequence: UInt64, db: Database) throws {
        let mailboxes = try Int64.fetchAll(db, sql: "SELECT id FROM mailbox WHERE userId = ? ORDER BY id", arguments: [Int64(id: user)])
        for mailbox in mailboxes { try deleteMailbox(MailboxID(column: mailbox), sequence: sequence, db: db) }
        try db.execute(sql: "DELETE FROM subscription WHERE userId = ?", arguments: [Int64(id: user)])
        try db.execute(sql: "DELETE FROM sieveScript WHERE userId = ?", arguments: [Int64(id: user)])
        try db.execute(sql: "DELETE FROM aliasTarget WHERE userId = ?", arguments: [Int64(id: user)])
        try db.execute(sql: "DELETE FROM user WHERE id = ?", arguments: [Int64(id: user)])
    }
}

extension Database {
    /// Statements the applier runs for every message are prepared once and cached.
    func run(_ sql: String, arguments: StatementArguments) throws {
        try cachedStatement(sql: sql).execute(arguments: arguments)
    }

    func one<T: DatabaseValueConvertible & StatementColumnConvertible>(_ type: T.Type, _ sql: String, arguments: StatementArguments) throws -> T? {
        try T.fetchOne(cachedStatement(sql: sql), arguments: arguments)
    }

    func row(_ sql: String, arguments: StatementArguments) throws -> Row? {
        try Row.fetchOne(cachedStatement(sql: sql), arguments: arguments)
    }
}
