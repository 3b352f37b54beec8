import GRDB
public import Journal
import Foundation

/// The projection database: one SQLite file in WAL mode, written only by the projector
/// (DESIGN.md invariant 1), read by everyone.
public final class ProjectionStore: Sendable {
    public let path: String
    let pool: DatabasePool

    public struct SchemaMismatch: Error, CustomStringConvertible {
        public var found: Int
        public var description: String { "projection schema version \(found), this Roost uses \(ProjectionSchema.version)" }
    }

    /// Opens (creating if needed) the database at `path`. A database made by another schema
    /// version is thrown away and created empty: the projector then rebuilds it from the journal.
    public init(path: String, readOnly: Bool = false) throws {
        self.path = path
        var configuration = Configuration()
        if readOnly {
            // For commands that look while a server runs: no schema changes, no writes.
            configuration.readonly = true
            pool = try DatabasePool(path: path, configuration: configuration)
            return
        }
        configuration.journalMode = .wal
        // WAL with synchronous=NORMAL: a crash may lose the last transactions, never corrupt; the
        // projector replays whatever is missing from the journal.
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        configuration.maximumReaderCount = 8
        if let found = try? ProjectionStore.schemaVersion(at: path), found != ProjectionSchema.version {
            ProjectionStore.removeDatabaseFiles(at: path)
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        try ProjectionSchema.migrator().migrate(pool)
    }

    /// The version recorded in an existing database, or nil if there is none.
    static func schemaVersion(at path: String) throws -> Int? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { db in
            guard try db.tableExists("meta") else { return -1 }
            return try Int.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'schemaVersion'") ?? -1
        }
    }

    static func removeDatabaseFiles(at path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    public func close() throws { try pool.close() }

    /// The sequence number of the last event applied.
    public func appliedSequence() throws -> UInt64 {
        try pool.read { db in UInt64(try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'appliedSequence'") ?? 0) }
    }

    // MARK: Accounts

    public func user(address: String) throws -> UserInfo? {
        try pool.read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM user WHERE address = ?"), arguments: [address.lowercased()]).map(UserInfo.init(row:))
        }
    }

    public func user(id: UserID) throws -> UserInfo? {
        try pool.read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM user WHERE id = ?"), arguments: [Int64(id: id)]).map(UserInfo.init(row:))
        }
    }

    public func users() throws -> [UserInfo] {
        try pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM user ORDER BY address").map(UserInfo.init(row:)) }
    }

    public func domains() throws -> [(id: DomainID, name: String)] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, name FROM domain ORDER BY name").map { (DomainID(column: $0["id"]), $0["name"]) }
        }
    }

    public func isLocalDomain(_ name: String) throws -> Bool {
        // Asked for every recipient: cached statements here and in `resolve`.
        try pool.read { db in try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM domain WHERE name = ?"), arguments: [name.lowercased()]) ?? false }
    }

    /// Where mail to `address` goes: a user's own address, an alias, the address without its
    /// `+tag` (subaddressing, RFC 5233), then the domain's catch-all; empty if nowhere.
    public func resolve(address: String) throws -> Destination {
        let lowered = address.lowercased()
        guard let at = lowered.lastIndex(of: "@") else { return Destination(users: [], forwardTo: []) }
        let local = lowered[..<at], domain = lowered[lowered.index(after: at)...]
        var candidates = [lowered]
        if let plus = local.firstIndex(of: "+"), plus != local.startIndex {
            candidates.append(String(local[..<plus]) + "@" + domain)
        }
        candidates.append("@" + domain)
        return try pool.read { db in
            for candidate in candidates {
                if !candidate.hasPrefix("@"),
                   let user = try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM user WHERE address = ?"), arguments: [candidate]) {
                    return Destination(users: [UserID(column: user)], forwardTo: [])
                }
                let targets = try Row.fetchAll(db.cachedStatement(sql: """
                    SELECT userId, forwardTo FROM aliasTarget WHERE address = ? ORDER BY position
                    """), arguments: [candidate])
                if !targets.isEmpty {
                    return Destination(users: targets.compactMap { ($0["userId"] as Int64?).map(UserID.init(column:)) },
                                       forwardTo: targets.compactMap { $0["forwardTo"] })
                }
            }
            return Destination(users: [], forwardTo: [])
        }
    }

    /// Whether `user` may use `address` as a sender: the user's own address, it with a `+tag`
    /// (RFC 5233), or an alias (not a catch-all) that delivers to the user.
    public func isOwnAddress(_ address: String, user: UserID) throws -> Bool {
        let lowered = address.lowercased()
        guard let at = lowered.lastIndex(of: "@") else { return false }
        let local = lowered[..<at], domain = lowered[lowered.index(after: at)...]
        var candidates = [lowered]
        if let plus = local.firstIndex(of: "+"), plus != local.startIndex {
            candidates.append(String(local[..<plus]) + "@" + domain)
        }
        return try pool.read { db in
            for candidate in candidates {
                if try Int64.fetchOne(db, sql: "SELECT id FROM user WHERE address = ?", arguments: [candidate]) == Int64(id: user) { return true }
                if try Bool.fetchOne(db, sql: "SELECT 1 FROM aliasTarget WHERE address = ? AND userId = ?",
                                     arguments: [candidate, Int64(id: user)]) ?? false { return true }
            }
            return false
        }
    }

    /// Aliases with their targets (user addresses and forward addresses), by address.
    public func aliases() throws -> [(address: String, targets: [String])] {
        try pool.read { db in
            try String.fetchAll(db, sql: "SELECT address FROM alias ORDER BY address").map { address in
                let targets = try String.fetchAll(db, sql: """
                    SELECT COALESCE(u.address, t.forwardTo, '(deleted user)') FROM aliasTarget t
                    LEFT JOIN user u ON u.id = t.userId WHERE t.address = ? ORDER BY t.position
                    """, arguments: [address])
                return (address, targets)
            }
        }
    }

    // MARK: Mailboxes and messages

    public func mailboxes(user: UserID) throws -> [MailboxInfo] {
        try pool.read { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT m.*, (SELECT COUNT(*) FROM message WHERE mailboxId = m.id) AS messageCount
                FROM mailbox m WHERE userId = ? ORDER BY name
                """), arguments: [Int64(id: user)]).map(MailboxInfo.init(row:))
        }
    }

    /// The ids of each user's mailbox `name`, in one read (a delivery to many local recipients),
    /// without the message count `mailbox(user:name:)` adds; users without one are left out.
    public func mailboxIDs(users: [UserID], name: String) throws -> [UserID: MailboxID] {
        try pool.read { db in
            let statement = try db.cachedStatement(sql: "SELECT id FROM mailbox WHERE userId = ? AND name = ?")
            var found: [UserID: MailboxID] = [:]
            for user in users {
                if let id = try Int64.fetchOne(statement, arguments: [Int64(id: user), name]) { found[user] = MailboxID(column: id) }
            }
            return found
        }
    }

    public func mailbox(user: UserID, name: String) throws -> MailboxInfo? {
        try pool.read { db in
            try Row.fetchOne(db.cachedStatement(sql: """
                SELECT m.*, (SELECT COUNT(*) FROM message WHERE mailboxId = m.id) AS messageCount
                FROM mailbox m WHERE userId = ? AND name = ?
                """), arguments: [Int64(id: user), name]).map(MailboxInfo.init(row:))
        }
    }

    public func mailbox(id mailboxID: MailboxID) throws -> MailboxInfo? {
        try pool.read { db in
            try Row.fetchOne(db.cachedStatement(sql: """
                SELECT m.*, (SELECT COUNT(*) FROM message WHERE mailboxId = m.id) AS messageCount
                FROM mailbox m WHERE id = ?
                """), arguments: [Int64(id: mailboxID)]).map(MailboxInfo.init(row:))
        }
    }

    /// The messages one event put in a mailbox (an APPEND, a COPY or MOVE), in the event's order.
    public func messages(mailbox: MailboxID, createdBy event: UInt64) throws -> [MessageInfo] {
        try pool.read { db in
            try MessageInfo.fetchAll(db, sql: "SELECT \(MessageInfo.columns) FROM message WHERE mailboxId = ? AND refEvent = ? ORDER BY refOrdinal",
                                     arguments: [Int64(id: mailbox), Int64(event)])
        }
    }

    /// A user's Sieve scripts by name (ManageSieve LISTSCRIPTS), without their content.
    public func sieveScripts(user: UserID) throws -> [(name: String, active: Bool)] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT name, active FROM sieveScript WHERE userId = ? ORDER BY name",
                             arguments: [Int64(id: user)]).map { (name: $0["name"], active: $0["active"]) }
        }
    }

    public func sieveScript(user: UserID, name: String) throws -> (script: [UInt8], active: Bool)? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT script, active FROM sieveScript WHERE userId = ? AND name = ?",
                             arguments: [Int64(id: user), name]).map { (script: [UInt8]($0["script"] as Data), active: $0["active"]) }
        }
    }

    /// The script the Sieve stage runs for this user, if one is active.
    public func activeSieveScript(user: UserID) throws -> (name: String, script: [UInt8])? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT name, script FROM sieveScript WHERE userId = ? AND active = 1",
                             arguments: [Int64(id: user)]).map { (name: $0["name"], script: [UInt8]($0["script"] as Data)) }
        }
    }

    public func subscriptions(user: UserID) throws -> [String] {
        try pool.read { db in try String.fetchAll(db, sql: "SELECT name FROM subscription WHERE userId = ? ORDER BY name", arguments: [Int64(id: user)]) }
    }

    /// The messages of a mailbox in UID order.
    public func messages(mailbox: MailboxID) throws -> [MessageInfo] {
        try pool.read { db in
            try MessageInfo.fetchAll(db, sql: "SELECT \(MessageInfo.columns) FROM message WHERE mailboxId = ? ORDER BY uid",
                                     arguments: [Int64(id: mailbox)])
        }
    }

    /// What changed in a mailbox after MODSEQ `since`, read in one transaction so that the three
    /// parts agree: the mailbox (nil once deleted), the messages added or changed (UID order) and
    /// the UIDs expunged. Sessions keep a mailbox's listing and bring it up to date with this
    /// instead of reading it all again (every change raises the mailbox's HIGHESTMODSEQ).
    public func changes(mailbox: MailboxID, since modseq: UInt64) throws -> MailboxChanges {
        try pool.read { db in
            guard let row = try db.row("SELECT \(MailboxInfo.columns) FROM mailbox m WHERE id = ?", arguments: [Int64(id: mailbox)]) else {
                return MailboxChanges(mailbox: nil, changed: [], expunged: [])
            }
            // No message count here: counting a big mailbox on every command is what this avoids.
            let info = MailboxInfo(columns: row, messageCount: 0)
            guard info.highestModseq > modseq else { return MailboxChanges(mailbox: info, changed: [], expunged: []) }
            let changed = try MessageInfo.fetchAll(db, sql: """
                SELECT \(MessageInfo.columns) FROM message WHERE mailboxId = ? AND modseq > ? ORDER BY uid
                """, arguments: [Int64(id: mailbox), Int64(bitPattern: modseq)])
            let expunged = try Int64.fetchAll(db.cachedStatement(sql: "SELECT uid FROM expunged WHERE mailboxId = ? AND modseq > ? ORDER BY uid"),
                                              arguments: [Int64(id: mailbox), Int64(bitPattern: modseq)]).map { UInt32(truncatingIfNeeded: $0) }
            return MailboxChanges(mailbox: info, changed: changed, expunged: expunged)
        }
    }

    /// The cached views (`cachedViews(mailbox:uid:)`) of the messages with UIDs in `uids`, in one
    /// read: FETCH ENVELOPE and header SEARCH over many messages ask for them a range at a time.
    public func cachedViews(mailbox: MailboxID, uids: ClosedRange<UInt32>) throws -> [UInt32: [UInt8]] {
        try pool.read { db in
            var out: [UInt32: [UInt8]] = [:]
            let rows = try Row.fetchCursor(db.cachedStatement(sql: """
                SELECT uid, views FROM message WHERE mailboxId = ? AND uid BETWEEN ? AND ? AND views IS NOT NULL
                """), arguments: [Int64(id: mailbox), Int64(uids.lowerBound), Int64(uids.upperBound)])
            while let row = try rows.next() {
                let uid: Int64 = row[0]
                let views: Data = row[1]
                out[UInt32(truncatingIfNeeded: uid)] = Array(views)
            }
            return out
        }
    }

    /// Every current copy of the message whose bytes are in event `sequence` (a delivery, an
    /// APPEND, and copies and moves of them), in any mailbox.
    public func messages(bodySequence sequence: UInt64) throws -> [MessageInfo] {
        try pool.read { db in
            try MessageInfo.fetchAll(db, sql: "SELECT \(MessageInfo.columns) FROM message WHERE bodySequence = ? ORDER BY mailboxId, uid",
                                     arguments: [Int64(bitPattern: sequence)])
        }
    }

    public func message(mailbox: MailboxID, uid: UInt32) throws -> MessageInfo? {
        try pool.read { db in
            try MessageInfo.fetchAll(db, sql: "SELECT \(MessageInfo.columns) FROM message WHERE mailboxId = ? AND uid = ?",
                                     arguments: [Int64(id: mailbox), Int64(uid)]).first
        }
    }

    /// The cached ENVELOPE + BODYSTRUCTURE of a message (decode with `CachedViews`).
    public func cachedViews(mailbox: MailboxID, uid: UInt32) throws -> [UInt8]? {
        try pool.read { db in
            try Data.fetchOne(db.cachedStatement(sql: "SELECT views FROM message WHERE mailboxId = ? AND uid = ?"),
                              arguments: [Int64(id: mailbox), Int64(uid)]).map { Array($0) }
        }
    }

    /// UIDs expunged with a MODSEQ above `modseq` (QRESYNC's VANISHED (EARLIER)).
    public func expunged(mailbox: MailboxID, since modseq: UInt64) throws -> [UInt32] {
        try pool.read { db in
            try Int64.fetchAll(db, sql: "SELECT uid FROM expunged WHERE mailboxId = ? AND modseq > ? ORDER BY uid",
                               arguments: [Int64(id: mailbox), Int64(modseq)]).map { UInt32($0) }
        }
    }

    /// The MODSEQ each of `uids` was expunged with (those not expunged are left out).
    public func expungedModseqs(mailbox: MailboxID, uids: [UInt32]) throws -> [UInt32: UInt64] {
        try pool.read { db in
            var out: [UInt32: UInt64] = [:]
            for uid in uids {
                if let modseq = try db.one(Int64.self, "SELECT modseq FROM expunged WHERE mailboxId = ? AND uid = ?",
                                           arguments: [Int64(id: mailbox), Int64(uid)]) {
                    out[uid] = UInt64(modseq)
                }
            }
            return out
        }
    }

    /// Every table, rows in key order, one line per row: equal dumps mean equal projections.
    public func canonicalDump() throws -> String {
        try pool.read { db in
            var out = ""
            for (table, order) in ProjectionSchema.dumpOrder {
                out += "== \(table)\n"
                for row in try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY \(order)") {
                    out += row.columnNames.map { name in "\(name)=\(render(row[name] as DatabaseValue))" }.joined(separator: " ") + "\n"
                }
            }
            return out
        }
    }
}

private func render(_ value: DatabaseValue) -> String {
    switch value.storage {
    case .null: return "NULL"
    case .int64(let i): return String(i)
    case .double(let d): return String(d)
    case .string(let s): return "\"" + s.replacingOccurrences(of: "\"", with: "\\\"") + "\""
    case .blob(let data): return "x'" + data.map { String(format: "%02x", $0) }.joined() + "'"
    }
}

extension UserInfo {
    init(row: Row) {
        self.init(id: UserID(column: row["id"]), domain: DomainID(column: row["domainId"]), localPart: row["localPart"],
                  address: row["address"], passwordHash: row["passwordHash"], displayName: row["displayName"])
    }
}

extension MailboxInfo {
    init(row: Row) {
        let specialUse: String = row["specialUse"]
        self.init(id: MailboxID(column: row["id"]), user: UserID(column: row["userId"]), name: row["name"],
                  uidValidity: UInt32(truncatingIfNeeded: row["uidValidity"] as Int64), uidNext: UInt32(truncatingIfNeeded: row["uidNext"] as Int64),
                  highestModseq: UInt64(row["highestModseq"] as Int64),
                  specialUse: specialUse.isEmpty ? [] : specialUse.split(separator: " ").map(String.init),
                  messageCount: row["messageCount"] ?? 0)
    }
}

extension MailboxInfo {
    /// The columns `init(columns:messageCount:)` reads, by position.
    static let columns = "m.id, m.userId, m.name, m.uidValidity, m.uidNext, m.highestModseq, m.specialUse"

    init(columns row: Row, messageCount: Int) {
        let specialUse: String = row[6]
        self.init(id: MailboxID(column: row[0]), user: UserID(column: row[1]), name: row[2],
                  uidValidity: UInt32(truncatingIfNeeded: row[3] as Int64), uidNext: UInt32(truncatingIfNeeded: row[4] as Int64),
                  highestModseq: UInt64(row[5] as Int64),
                  specialUse: specialUse.isEmpty ? [] : specialUse.split(separator: " ").map(String.init),
                  messageCount: messageCount)
    }
}

extension MessageInfo {
    /// The columns `fetchAll` reads, by position (GRDB's lookup by name lowercases the name on
    /// every access, which showed in profiles of big listings).
    static let columns = "mailboxId, uid, refEvent, refOrdinal, modseq, flags, internalDate, size, bodySequence, headerSequence"

    static func fetchAll(_ db: Database, sql: String, arguments: StatementArguments) throws -> [MessageInfo] {
        var out: [MessageInfo] = []
        let rows = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: arguments)
        while let row = try rows.next() {
            let header: Int64? = row[9]
            out.append(MessageInfo(
                mailbox: MailboxID(column: row[0]), uid: UInt32(truncatingIfNeeded: row[1] as Int64),
                ref: MessageRef(event: UInt64(row[2] as Int64), ordinal: UInt32(truncatingIfNeeded: row[3] as Int64)),
                modseq: UInt64(row[4] as Int64), flags: FlagSet.decode(row[5]), internalDate: row[6], size: row[7],
                bodySequence: UInt64(row[8] as Int64), headerSequence: header.map { UInt64($0) }))
        }
        return out
    }
}
