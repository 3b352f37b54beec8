import Foundation
import Journal
import MailMessage
import Testing
@testable import Projections

@Suite struct ProjectionTests {
    struct World {
        let domain = DomainID.random()
        let alice = UserID.random()
        let bob = UserID.random()
        let inbox = MailboxID.random()
        let archive = MailboxID.random()
        let bobInbox = MailboxID.random()
    }

    func setUp(_ h: Harness) async throws -> World {
        let w = World()
        try await h.append([
            DomainAdded(context: ctx, domain: w.domain, name: "Example.ORG"),
            UserCreated(context: ctx, user: w.alice, domain: w.domain, localPart: "alice", passwordHash: "$y$x"),
            UserCreated(context: ctx, user: w.bob, domain: w.domain, localPart: "Bob", passwordHash: "$y$y"),
            MailboxCreated(context: ctx, mailbox: w.inbox, user: w.alice, name: "INBOX", uidValidity: 1234),
            MailboxCreated(context: ctx, mailbox: w.archive, user: w.alice, name: "Archive", uidValidity: 99, specialUse: ["\\Archive"]),
            MailboxCreated(context: ctx, mailbox: w.bobInbox, user: w.bob, name: "INBOX", uidValidity: 7),
        ])
        return w
    }

    func receive(_ h: Harness, _ text: String = "Subject: hi\r\n\r\nbody\r\n", at time: Int64 = 1_700_000_000_000_000) async throws -> UInt64 {
        let envelope = Envelope(mailFrom: "x@example.net", recipients: [.init(address: "alice@example.org")],
                                clientIP: "192.0.2.1", helo: "x", receivedAt: time)
        return try await h.append(MessageReceived(context: ctx, envelope: envelope, message: Array(text.utf8)))
    }

    @Test func deliveriesGetConsecutiveUIDsAndTheirEventAsModseq() async throws {
        let h = try Harness()
        defer { h.remove() }
        let w = try await setUp(h)
        let received = try await receive(h, "Subject: one\r\n\r\n12345")
        let header = Array("Return-Path: <x@example.net>\r\n".utf8)
        let d1 = try await h.append(MessageDelivered(context: ctx, received: received, recipient: "alice@example.org",
                                                     user: w.alice, mailbox: w.inbox, addedHeader: header, flags: ["\\Seen", "\\Seen"]))
        let d2 = try await h.append(MessageDelivered(context: ctx, received: received, recipient: "alice@example.org",
                                                     user: w.alice, mailbox: w.inbox))
        // Read-your-writes: visible as soon as the append (with apply) returned.
        let messages = try h.store.messages(mailbox: w.inbox)
        #expect(messages.map(\.uid) == [1, 2])
        #expect(messages.map(\.modseq) == [d1, d2])
        #expect(messages[0].flags == ["\\Seen"])
        #expect(messages[0].size == header.count + "Subject: one\r\n\r\n12345".utf8.count)
        #expect(messages[0].internalDate == 1_700_000_000_000_000)
        #expect(messages[0].bodySequence == received && messages[0].headerSequence == d1)
        let inbox = try #require(try h.store.mailbox(user: w.alice, name: "INBOX"))
        #expect(inbox.uidNext == 3 && inbox.uidValidity == 1234 && inbox.highestModseq == d2 && inbox.messageCount == 2)
        #expect(try h.store.mailbox(user: w.alice, name: "Archive")?.specialUse == ["\\Archive"])
    }

    @Test func messagesCarryTheirCachedIMAPViewsAndCRLFSize() async throws {
        let h = try Harness()
        defer { h.remove() }
        let w = try await setUp(h)
        // Stored as received (bare LF); IMAP serves CRLF, so RFC822.SIZE counts one more byte per line.
        let received = try await receive(h, "From: Ann <ann@example.net>\nSubject: Lunch?\n\nAt noon.\n")
        let header = Array("Return-Path: <x@example.net>\r\n".utf8)
        _ = try await h.append(MessageDelivered(context: ctx, received: received, recipient: "alice@example.org",
                                                user: w.alice, mailbox: w.inbox, addedHeader: header))
        let appended = try await h.append(MessageAppended(context: ctx, mailbox: w.inbox, internalDate: 1,
                                                          message: Array("Subject: draft\r\n\r\nx\r\n".utf8)))
        let messages = try h.store.messages(mailbox: w.inbox)
        let storedLength = header.count + "From: Ann <ann@example.net>\nSubject: Lunch?\n\nAt noon.\n".utf8.count
        #expect(messages[0].size == storedLength + 4)
        let bytes = try #require(try h.store.cachedViews(mailbox: w.inbox, uid: 1))
        let (envelope, body) = try CachedViews.decode(bytes)
        let direct = IMAPMessageView(bytes: header + Array("From: Ann <ann@example.net>\nSubject: Lunch?\n\nAt noon.\n".utf8))
        #expect(envelope == direct.envelope && body == direct.bodyStructure)
        // Copies keep the cached views.
        _ = try await h.append(MessagesCopied(MessagesTransferred(context: ctx, source: w.inbox, messages: [MessageRef(event: appended)], destination: w.archive)))
        let copied = try #require(try h.store.cachedViews(mailbox: w.archive, uid: 1))
        #expect(copied == (try h.store.cachedViews(mailbox: w.inbox, uid: 2)))
    }

    @Test func sieveScriptsStoreRenameActivateDelete() async throws {
        let h = try Harness()
        defer { h.remove() }
        let w = try await setUp(h)
        let v1 = Array("keep;\r\n".utf8), v2 = Array("discard;\r\n".utf8)
        try await h.append([
            SieveScriptStored(context: ctx, user: w.alice, name: "main", script: v1),
            SieveScriptStored(context: ctx, user: w.alice, name: "other", script: v1),
            SieveScriptActivated(context: ctx, user: w.alice, name: "main"),
            SieveScriptStored(context: ctx, user: w.bob, name: "main", script: v2),
        ])
        #expect(try h.store.activeSieveScript(user: w.alice)?.name == "main")
        // A replacement keeps the active state; a rename keeps it too.
        try await h.append([SieveScriptStored(context: ctx, user: w.alice, name: "main", script: v2),
                            SieveScriptRenamed(context: ctx, user: w.alice, name: "main", newName: "filters")])
        #expect(try h.store.activeSieveScript(user: w.alice).map { [$0.name: $0.script] } == ["filters": v2])
        #expect(try h.store.sieveScripts(user: w.alice).map { "\($0.name):\($0.active)" } == ["filters:true", "other:false"])
        try await h.append([SieveScriptActivated(context: ctx, user: w.alice, name: "other")])
        #expect(try h.store.sieveScript(user: w.alice, name: "filters")?.active == false)
        try await h.append([SieveScriptActivated(context: ctx, user: w.alice, name: ""),
                            SieveScriptDeleted(context: ctx, user: w.alice, name: "filters")])
        #expect(try h.store.activeSieveScript(user: w.alice) == nil)
        #expect(try h.store.sieveScripts(user: w.alice).map(\.name) == ["other"])
        #expect(try h.store.sieveScript(user: w.bob, name: "main")?.script == v2)
        #expect(try await h.rebuiltDump() == (try h.store.canonicalDump()))
    }

    /// Found by the apply-latency benchmark: concurrent writers must not apply a batch twice.
    @Test func concurrentWritersEachSeeTheirOwnAppend() async throws {
        let h = try Harness()
        defer { h.remove() }
        let w = try await setUp(h)
        let journal = h.journal, projector = h.projector, store = h.store
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<32 {
                group.addTask {
                    for i in 0..<10 {
                        let seq = try await journal.append(events: [MessageAppended(context: ctx, mailbox: w.inbox, internalDate: 1,
                                                                                    message: Array("Subject: \(writer)-\(i)\r\n\r\n".utf8))],
                                                           applyingWith: projector)[0]
                        #expect(try store.messages(mailbox: w.inbox).contains { $0.ref.event == seq }, "read-your-writes")
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try h.store.messages(mailbox: w.inbox).map(\.uid) == Array(1...320))
        #expect(try h.store.appliedSequence() == h.journal.lastSequence)
    }

    /// The journal's commit listener starts the projector: events appended without anyone waiting
    /// for them are applied all the same, and `lastChange(of:)` moves only for the mailbox touched.
    @Test func committedEventsAreAppliedWithoutAWaiter() async throws {
        let h = try Harness()
        defer { h.remove() }
        let w = try await setUp(h)
        let before = (inbox: h.projector.lastChange(of: w.inbox), bob: h.projector.lastChange(of: w.bobInbox))
        let seq = try await h.journal.append(events: [MessageAppended(context: ctx, mailbox: w.inbox, internalDate: 1,
                                                                      message: Array("Subject: unwaited\r\n\r\n".utf8))])[0]
        let deadline = ContinuousClock.now + .seconds(30)
        while h.projector.appliedSequence < seq && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(h.projector.appliedSequence == seq, "applied by the commit listener, not by apply(through:)")
        #expect(try h.store.messages(mailbox: w.inbox).contains { $0.ref.event == seq })
        #expect(h.projector.lastChange(of: w.inbox) == seq && before.inbox < seq)
        #expect(h.projector.lastChange(of: w.bobInbox) == before.bob, "another mailbox did not move")
        // A writer that waits afterwards returns at once.
        try await h.projector.apply(through: seq)
    }

    @Test func mailboxIDsOfManyUsersInOneRead() async throws {
        let h = try Harness()
        defer { h.remove() }
        let w = try await setUp(h)
        let stranger = UserID.random()
        #expect(try h.store.mailboxIDs(users: [w.alice, w.bob, stranger], name: "INBOX") == [w.alice: w.inbox, w.bob: w.bobInbox])
        #expect(try h.store.mailboxIDs(users: [w.alice, w.bob], name: "Archive") == [w.alice: w.archive])
        #expect(try h.store.mailboxIDs(users: [], name: "INBOX").isEmpty)
    }

    @Test func flagChangesAddRemoveReplaceAndOnlyRealChangesBumpModseq() async throws {
        let h = try Harness()
        defer { h.remove() }
        let w = try await setUp(h)
        let a = try await h.append(MessageAppended(context: ctx, mailbox: w.inbox, flags: ["\\Draft"], internalDate: 5, message: Array("x".utf8)))
        let ref = MessageRef(event: a)
        let add = try await h.append(FlagsChanged(context: ctx, mailbox: w.inbox, messages: [ref], operation: .add, flags: ["\\Seen", "work"]))
        #expect(try h.store.message(mailbox: w.inbox, uid: 1)?.flags == ["\\Draft", "\\Seen", "work"])
        #expect(try h.store.message(mailbox: w.inbox, uid: 1)?.modseq == add)
        // Adding what is there already changes nothing, not even MODSEQ.
        _ = try await h.append(FlagsChanged(context: ctx, mailbox: w.inbox, messages: [ref], operation: .add, flags: ["\\Seen"]))
        #expect(try h.store.message(mailbox: w.inbox, uid: 1)?.modseq == add)
        let remove = try await h.append(FlagsChanged(context: ctx, mailbox: w.inbox, messages: [ref], operation: .remove, flags: ["\\draft"]))
        #expect(try h.store.message(mailbox: w.inbox, uid: 1)?.flags == ["\\Seen", "work"])
        #expect(try h.store.message(mailbox: w.inbox, uid: 1)?.modseq == remove)
        _ = try await h.append(FlagsChanged(context: ctx, mailbox: w.inbox, messages: [ref], operation: .replace, flags: ["\\Flagged", "\\Recent"]))
        #expect(try h.store.message(mailbox: w.inbox, uid: 1)?.flags == ["\\Flagged"], "\\Recent is never stored")
    }

    /// RFC 7162 UNCHANGEDSINCE, tested where the event is applied: a message changed after the
    /// client's MODSEQ is left alone, the others change; the same on every replay.
    @Test func conditionalFlagChangesSkipMessagesChangedSince() async throws {
        let h = try Harness()
        defer { h.remove() }
        let w = try await setUp(h)
        let a = try await h.append(MessageAppended(context: ctx, mailbox: w.inbox, flags: [], internalDate: 5, message: Array("a".utf8)))
        let b = try await h.append(MessageAppended(context: ctx, mailbox: w.inbox, flags: [], internalDate: 6, message: Array("b".utf8)))
        let seen = try await h.append(FlagsChanged(context: ctx, mailbox: w.inbox, messages: [MessageRef(event: b)], operation: .add, flags: ["\\Seen"]))
        // The client looked at b before `seen`: b fails the test, a passes.
        let conditional = try await h.append(FlagsChanged(context: ctx, mailbox: w.inbox, messages: [MessageRef(event: a), MessageRef(event: b)],
                                                          operation: .add, flags: ["\\Flagged"], unchangedSince: seen - 1))
        #expect(try h.store.message(mailbox: w.inbox, uid: 1)?.flags == ["\\Flagged"])
        #expect(try h.store.message(mailbox: w.inbox, uid: 1)?.modseq == conditional)
        #expect(try h.store.message(mailbox: w.inbox, uid: 2)?.flags == ["\\Seen"])
        #expect(try h.store.message(mailbox: w.inbox, uid: 2)?.modseq == seen)
        // UNCHANGEDSINCE 0 never passes.
        _ = try await h.append(FlagsChanged(context: ctx, mailbox: w.inbox, messages: [MessageRef(event: a)], operation: .replace, flags: [],
                                            unchangedSince: 0))
        #expect(try h.store.message(mailbox: w.inbox, uid: 1)?.flags == ["\\Flagged"])
    }

    @Test func copyMoveAndExpunge() async throws {
        let h = try Harness()
        defer { h.remove() }
        let w = try await setUp(h)
        var refs: [MessageRef] = []
        for i in 0..<3 {
            let seq = try await h.append(MessageAppended(context: ctx, mailbox: w.inbox, flags: ["f\(i)"], internalDate: Int64(i), message: Array("m\(i)".utf8)))
            refs.append(MessageRef(event: seq))
        }
        let copy = try await h.append(MessagesCopied(MessagesTransferred(context: ctx, source: w.inbox, messages: [refs[2], refs[0]], destination: w.archive)))
        let archived = try h.store.messages(mailbox: w.archive)
        #expect(archived.map(\.uid) == [1, 2])
        #expect(archived.map(\.flags) == [["f2"], ["f0"]], "copies keep flags, in the order given")
        #expect(archived.map(\.ref) == [MessageRef(event: copy, ordinal: 0), MessageRef(event: copy, ordinal: 1)])
        #expect(archived[0].bodySequence == refs[2].event)

        let move = try await h.append(MessagesMoved(MessagesTransferred(context: ctx, source: w.inbox, messages: [refs[1]], destination: w.archive)))
        #expect(try h.store.messages(mailbox: w.inbox).map(\.uid) == [1, 3])
        #expect(try h.store.messages(mailbox: w.archive).map(\.uid) == [1, 2, 3])
        #expect(try h.store.expunged(mailbox: w.inbox, since: 0) == [2])

        let expunge = try await h.append(MessagesExpunged(context: ctx, mailbox: w.inbox, messages: [refs[0], refs[1], MessageRef(event: 424242)]))
        #expect(try h.store.messages(mailbox: w.inbox).map(\.uid) == [3])
        #expect(try h.store.expunged(mailbox: w.inbox, since: move) == [1])
        #expect(try h.store.expunged(mailbox: w.inbox, since: expunge).isEmpty)
        #expect(try h.store.mailbox(user: w.alice, name: "INBOX")?.highestModseq == expunge)
        // Copying into a mailbox of someone else is applied like any other (authorisation is the front-end's).
        _ = try await h.append(MailboxDeleted(context: ctx, mailbox: w.archive))
        #expect(try h.store.mailbox(user: w.alice, name: "Archive") == nil)
        #expect(try h.store.messages(mailbox: w.archive).isEmpty)
        // Events naming the deleted mailbox change nothing.
        _ = try await h.append(MessagesCopied(MessagesTransferred(context: ctx, source: w.inbox, messages: [refs[2]], destination: w.archive)))
        #expect(try h.store.messages(mailbox: w.archive).isEmpty)
    }

    @Test func changesSinceAModseqAgreeWithTheWholeListing() async throws {
        let h = try Harness()
        defer { h.remove() }
        let w = try await setUp(h)
        var refs: [MessageRef] = []
        for i in 0..<4 {
            let seq = try await h.append(MessageAppended(context: ctx, mailbox: w.inbox, internalDate: Int64(i),
                                                         message: Array("Subject: m\(i)\r\n\r\nx\r\n".utf8)))
            refs.append(MessageRef(event: seq))
        }
        let start = try #require(try h.store.mailbox(id: w.inbox)).highestModseq
        #expect(try h.store.changes(mailbox: w.inbox, since: start) == MailboxChanges(
            mailbox: try h.store.changes(mailbox: w.inbox, since: start).mailbox, changed: [], expunged: []))
        let flagged = try await h.append(FlagsChanged(context: ctx, mailbox: w.inbox, messages: [refs[1]], operation: .add, flags: ["\\Flagged"]))
        _ = try await h.append(MessagesExpunged(context: ctx, mailbox: w.inbox, messages: [refs[2]]))
        let added = try await h.append(MessageAppended(context: ctx, mailbox: w.inbox, internalDate: 9, message: Array("Subject: new\r\n\r\ny\r\n".utf8)))
        // A change in another mailbox is not this one's.
        _ = try await h.append(MessageAppended(context: ctx, mailbox: w.archive, internalDate: 9, message: Array("z".utf8)))
        let changes = try h.store.changes(mailbox: w.inbox, since: start)
        #expect(changes.mailbox?.highestModseq == added && changes.mailbox?.name == "INBOX")
        #expect(changes.changed.map(\.uid) == [2, 5])
        #expect(changes.changed[0].flags == ["\\Flagged"] && changes.changed[0].modseq == flagged)
        #expect(changes.expunged == [3])
        #expect(try h.store.changes(mailbox: w.inbox, since: flagged).changed.map(\.uid) == [5])
        // Rows read by column position equal the listing's.
        #expect(changes.changed[1] == (try h.store.messages(mailbox: w.inbox)).last)
        #expect(try h.store.message(mailbox: w.inbox, uid: 5) == changes.changed[1])
        // Cached views a range at a time equal those read one by one.
        let views = try h.store.cachedViews(mailbox: w.inbox, uids: 1...5)
        #expect(views.keys.sorted() == [1, 2, 4, 5])
        for uid in views.keys { #expect(views[uid] == (try h.store.cachedViews(mailbox: w.inbox, uid: uid))) }
        _ = try await h.append(MailboxDeleted(context: ctx, mailbox: w.inbox))
        #expect(try h.store.changes(mailbox: w.inbox, since: 0).mailbox == nil)
    }

    @Test func renameSubscribeAndUserDeletion() async throws {
        let h = try Harness()
        defer { h.remove() }
        let w = try await setUp(h)
        _ = try await h.append(MailboxRenamed(context: ctx, mailbox: w.archive, newName: "Old/2025"))
        #expect(try h.store.mailboxes(user: w.alice).map(\.name) == ["INBOX", "Old/2025"])
        let sub = MailboxSubscription(context: ctx, user: w.alice, name: "Old/2025")
        _ = try await h.append([MailboxSubscribed(sub), MailboxSubscribed(sub), MailboxSubscribed(MailboxSubscription(context: ctx, user: w.alice, name: "Nonexistent"))])
        #expect(try h.store.subscriptions(user: w.alice) == ["Nonexistent", "Old/2025"])
        _ = try await h.append(MailboxUnsubscribed(sub))
        #expect(try h.store.subscriptions(user: w.alice) == ["Nonexistent"])
        _ = try await h.append(UserDeleted(context: ctx, user: w.alice))
        #expect(try h.store.user(address: "alice@example.org") == nil)
        #expect(try h.store.mailboxes(user: w.alice).isEmpty)
        #expect(try h.store.subscriptions(user: w.alice).isEmpty)
        #expect(try h.store.user(address: "BOB@example.org")?.id == w.bob)
    }

    @Test func recipientResolution() async throws {
        let h = try Harness()
        defer { h.remove() }
        let w = try await setUp(h)
        _ = try await h.append([
            AliasAdded(context: ctx, address: "Postmaster@example.org", kind: .alias, users: [w.alice, w.bob]),
            AliasAdded(context: ctx, address: "friends@example.org", kind: .forward, forwardTo: ["pal@elsewhere.net"]),
        ])
        #expect(try h.store.resolve(address: "alice@example.org").users == [w.alice])
        #expect(try h.store.resolve(address: "ALICE+lists@Example.org").users == [w.alice], "subaddressing")
        #expect(try h.store.resolve(address: "postmaster@example.org").users == [w.alice, w.bob])
        #expect(try h.store.resolve(address: "friends@example.org").forwardTo == ["pal@elsewhere.net"])
        #expect(try h.store.resolve(address: "nobody@example.org").isEmpty)
        #expect(try h.store.resolve(address: "+x@example.org").isEmpty)
        #expect(try h.store.resolve(address: "no-at-sign").isEmpty)
        #expect(try h.store.isLocalDomain("EXAMPLE.org"))
        _ = try await h.append(AliasAdded(context: ctx, address: "@example.org", kind: .catchAll, users: [w.bob]))
        #expect(try h.store.resolve(address: "nobody@example.org").users == [w.bob], "catch-all")
        #expect(try h.store.resolve(address: "alice@example.org").users == [w.alice], "real users win over the catch-all")
        _ = try await h.append(AliasRemoved(context: ctx, address: "@example.org"))
        #expect(try h.store.resolve(address: "nobody@example.org").isEmpty)
        #expect(try h.store.resolve(address: "nobody@other.example").isEmpty)
    }

    @Test func changeNotificationsCarryModseq() async throws {
        let h = try Harness()
        defer { h.remove() }
        let w = try await setUp(h)
        let stream = h.projector.changes(for: w.inbox)
        let a = try await h.append(MessageAppended(context: ctx, mailbox: w.inbox, internalDate: 1, message: [0x41]))
        _ = try await h.append(MessageAppended(context: ctx, mailbox: w.bobInbox, internalDate: 1, message: [0x41]))
        let f = try await h.append(FlagsChanged(context: ctx, mailbox: w.inbox, messages: [MessageRef(event: a)], operation: .add, flags: ["\\Seen"]))
        let x = try await h.append(MessagesExpunged(context: ctx, mailbox: w.inbox, messages: [MessageRef(event: a)]))
        var seen: [MailboxChange] = []
        for await change in stream {
            seen.append(change)
            if seen.count == 3 { break }
        }
        #expect(seen == [
            MailboxChange(mailbox: w.inbox, kind: .added(uid: 1), modseq: a),
            MailboxChange(mailbox: w.inbox, kind: .flagsChanged(uid: 1, flags: ["\\Seen"]), modseq: f),
            MailboxChange(mailbox: w.inbox, kind: .expunged(uid: 1), modseq: x),
        ])
    }

    @Test func deletingTheDatabaseRebuildsItIdentically() async throws {
        let h = try Harness()
        defer { h.remove() }
        var source = RandomEventSourceForTests(seed: 42)
        try await source.run(h, batches: 150)
        let before = try h.store.canonicalDump()
        try h.store.close()
        ProjectionStore.removeDatabaseFiles(at: h.databasePath)
        try await h.reopenDatabase()
        #expect(try h.store.canonicalDump() == before)
        #expect(try h.store.appliedSequence() == h.journal.lastSequence)
    }

    @Test func aDifferentSchemaVersionIsRebuiltNotACrash() async throws {
        let h = try Harness()
        defer { h.remove() }
        _ = try await setUp(h)
        let before = try h.store.canonicalDump()
        try await h.store.pool.write { db in try db.execute(sql: "UPDATE meta SET value = 999 WHERE key = 'schemaVersion'") }
        try await h.reopenDatabase()
        #expect(try h.store.canonicalDump() == before)
    }

    @Test func rebuildSwapsInAtomicallyAndLeavesTheLiveDatabaseOnFailure() async throws {
        let h = try Harness()
        defer { h.remove() }
        _ = try await setUp(h)
        let live = try h.store.canonicalDump()
        try h.store.close()
        // A leftover from an interrupted rebuild is ignored and replaced.
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: h.databasePath + ".rebuild"))
        let reports = ProgressLog()
        try await Rebuild.run(journal: h.journal, databasePath: h.databasePath, batchSize: 2) { reports.add($0) }
        #expect(!FileManager.default.fileExists(atPath: h.databasePath + ".rebuild"))
        #expect(reports.all.last?.applied == h.journal.lastSequence)
        #expect(reports.all.count >= 3)
        try await h.reopenDatabase()
        #expect(try h.store.canonicalDump() == live)
    }
}

final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Rebuild.Progress] = []
    func add(_ p: Rebuild.Progress) { lock.lock(); items.append(p); lock.unlock() }
    var all: [Rebuild.Progress] { lock.lock(); defer { lock.unlock() }; return items }
}
