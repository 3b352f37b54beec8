import GRDB

/// The SQLite read models. Projections are disposable: when `version` changes, the database is
/// rebuilt from the journal rather than migrated, so only this one migration ever exists per
/// version (GRDB's migrator still creates it, and records that it did).
enum ProjectionSchema {
    /// Bump whenever a table, column or the meaning of a value changes.
    static let version = 3

    static func migrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("projections-v\(version)") { db in
            try db.execute(sql: """
                CREATE TABLE meta (
                    key TEXT PRIMARY KEY NOT NULL,
                    value INTEGER NOT NULL
                );
                CREATE TABLE domain (
                    id INTEGER PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL UNIQUE
                );
                CREATE TABLE user (
                    id INTEGER PRIMARY KEY NOT NULL,
                    domainId INTEGER NOT NULL,
                    localPart TEXT NOT NULL,
                    address TEXT NOT NULL UNIQUE,
                    passwordHash TEXT NOT NULL,
                    displayName TEXT
                );
                CREATE TABLE alias (
                    address TEXT PRIMARY KEY NOT NULL,
                    kind INTEGER NOT NULL
                );
                CREATE TABLE aliasTarget (
                    address TEXT NOT NULL REFERENCES alias(address) ON DELETE CASCADE,
                    position INTEGER NOT NULL,
                    userId INTEGER,
                    forwardTo TEXT,
                    PRIMARY KEY (address, position)
                );
                CREATE TABLE mailbox (
                    id INTEGER PRIMARY KEY NOT NULL,
                    userId INTEGER NOT NULL,
                    name TEXT NOT NULL,
                    uidValidity INTEGER NOT NULL,
                    uidNext INTEGER NOT NULL,
                    highestModseq INTEGER NOT NULL,
                    specialUse TEXT NOT NULL,
                    createdSequence INTEGER NOT NULL,
                    UNIQUE (userId, name)
                );
                CREATE TABLE subscription (
                    userId INTEGER NOT NULL,
                    name TEXT NOT NULL,
                    PRIMARY KEY (userId, name)
                );
                CREATE TABLE message (
                    mailboxId INTEGER NOT NULL,
                    uid INTEGER NOT NULL,
                    refEvent INTEGER NOT NULL,
                    refOrdinal INTEGER NOT NULL,
                    modseq INTEGER NOT NULL,
                    flags TEXT NOT NULL,
                    internalDate INTEGER NOT NULL,
                    size INTEGER NOT NULL,
                    bodySequence INTEGER NOT NULL,
                    headerSequence INTEGER,
                    -- CachedViews form of ENVELOPE + BODYSTRUCTURE (MailMessage), of the CRLF form
                    views BLOB,
                    PRIMARY KEY (mailboxId, uid)
                ) WITHOUT ROWID;
                CREATE UNIQUE INDEX messageByRef ON message (mailboxId, refEvent, refOrdinal);
                CREATE TABLE expunged (
                    mailboxId INTEGER NOT NULL,
                    uid INTEGER NOT NULL,
                    modseq INTEGER NOT NULL,
                    PRIMARY KEY (mailboxId, uid)
                ) WITHOUT ROWID;
                CREATE TABLE decision (
                    sequence INTEGER PRIMARY KEY NOT NULL,
                    receivedSequence INTEGER NOT NULL,
                    stage TEXT NOT NULL,
                    verdict TEXT NOT NULL,
                    scoreMilli INTEGER NOT NULL
                );
                CREATE INDEX decisionByMessage ON decision (receivedSequence);
                CREATE TABLE sieveScript (
                    userId INTEGER NOT NULL,
                    name TEXT NOT NULL,
                    script BLOB NOT NULL,
                    active INTEGER NOT NULL,
                    PRIMARY KEY (userId, name)
                ) WITHOUT ROWID;
                """)
            try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('schemaVersion', ?), ('appliedSequence', 0)",
                           arguments: [version])
        }
        return migrator
    }

    /// Tables in the order the canonical dump lists them, with their ordering keys.
    static let dumpOrder: [(table: String, orderBy: String)] = [
        ("meta", "key"), ("domain", "id"), ("user", "id"), ("alias", "address"),
        ("aliasTarget", "address, position"), ("mailbox", "id"), ("subscription", "userId, name"),
        ("message", "mailboxId, uid"), ("expunged", "mailboxId, uid"), ("decision", "sequence"),
        ("sieveScript", "userId, name"),
    ]
}
