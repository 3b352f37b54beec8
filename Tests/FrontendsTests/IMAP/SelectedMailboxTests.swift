import Journal
import Testing
@testable import Frontends
@testable import Projections

/// Message sequence numbers and the updates a session is sent, without any I/O.
@Suite struct SelectedMailboxTests {
    let box = MailboxID(rawValue: 1)

    func message(_ uid: UInt32, _ flags: [String] = []) -> MessageInfo {
        MessageInfo(mailbox: box, uid: uid, ref: MessageRef(event: UInt64(uid)), modseq: 1, flags: flags, internalDate: 0,
                    size: 10, bodySequence: UInt64(uid), headerSequence: nil)
    }

    func selected(_ uids: [UInt32]) -> SelectedMailbox {
        let info = MailboxInfo(id: box, user: UserID(rawValue: 1), name: "INBOX", uidValidity: 9, uidNext: 100, highestModseq: 1,
                               specialUse: [], messageCount: uids.count)
        return SelectedMailbox(info, messages: uids.map { message($0) }, readOnly: false)
    }

    func text(_ responses: [IMAPResponse]) -> [String] {
        responses.map { String(decoding: IMAPEncoder.encode($0), as: UTF8.self).trimmingSuffix() }
    }

    @Test func resolvesSetsByNumberAndUID() throws {
        let s = selected([3, 5, 9, 12])
        #expect(try s.resolve(SequenceSet(ranges: [.init(.number(2), .last)]), uid: false).map(\.uid) == [5, 9, 12])
        #expect(try s.resolve(SequenceSet(ranges: [.init(.last, .number(3))]), uid: false).map(\.number) == [3, 4])
        #expect(try s.resolve(SequenceSet(ranges: [.init(.number(4), .number(10))]), uid: true).map(\.number) == [2, 3])
        // RFC 9051 §6.4.8: n:* names the highest UID even when n is above it.
        #expect(try s.resolve(SequenceSet(ranges: [.init(.number(50), .last)]), uid: true).map(\.uid) == [12])
        #expect(try s.resolve(.single(7), uid: true).isEmpty)
        #expect(throws: SelectedMailbox.InvalidSet.self) { try s.resolve(.single(5), uid: false) }
        #expect(throws: SelectedMailbox.InvalidSet.self) { try selected([]).resolve(SequenceSet(ranges: [.init(.last, .last)]), uid: false) }
    }

    @Test func expungeIsHeldBackUntilAllowed() throws {
        var s = selected([3, 5, 9, 12])
        let now = [message(3), message(12, ["\\Seen"]), message(13)]
        // During FETCH by number: EXISTS and FETCH only; numbers stay.
        #expect(text(s.synchronize(with: now, expungeAllowed: false)) == ["* 5 EXISTS", "* 4 FETCH (FLAGS (\\Seen))"])
        #expect(s.count == 5)
        #expect(try s.resolve(SequenceSet(ranges: [.init(.number(1), .last)]), uid: false).map(\.uid) == [3, 12, 13])
        // Then at NOOP: the expunges, highest number first, each valid when it is read.
        #expect(text(s.synchronize(with: now, expungeAllowed: true)) == ["* 3 EXPUNGE", "* 2 EXPUNGE"])
        #expect(s.uids == [3, 12, 13])
        #expect(text(s.synchronize(with: now, expungeAllowed: true)).isEmpty)
    }

    @Test func flagsToldByTheCommandAreNotRepeated() {
        var s = selected([1, 2])
        s.told(uid: 2, flags: ["\\Flagged"])
        #expect(text(s.synchronize(with: [message(1), message(2, ["\\Flagged"])], expungeAllowed: true)).isEmpty)
        #expect(text(s.synchronize(with: [message(1), message(2, ["\\Flagged"])], expungeAllowed: true, includeUID: true)).isEmpty)
        #expect(text(s.synchronize(with: [message(1, ["a"]), message(2, ["\\Flagged"])], expungeAllowed: true, includeUID: true))
                == ["* 1 FETCH (UID 1 FLAGS (a))"])
    }

    @Test func mailboxNamePatterns() {
        #expect(MailboxNames.matches("Archive/2026", pattern: "*"))
        #expect(MailboxNames.matches("Archive", pattern: "%"))
        #expect(!MailboxNames.matches("Archive/2026", pattern: "%"))
        #expect(MailboxNames.matches("Archive/2026", pattern: "Archive/%"))
        #expect(MailboxNames.matches("INBOX", pattern: MailboxNames.pattern(reference: "", "inbox")))
        #expect(MailboxNames.validated("a//b") == nil)
        #expect(MailboxNames.validated("a/b/") == "a/b")
        #expect(MailboxNames.validated("inbox/x") == "INBOX/x")
        #expect(MailboxNames.validated("a*") == nil)
        #expect(MailboxNames.parents(of: "a/b/c") == ["a", "a/b"])
    }

    /// RFC 3501 §2.3.2: the first read-write session told of a message has it as \Recent; after
    /// that, others do not. EXAMINE takes nothing; unknown (after a restart) means recent.
    @Test func recentGoesToTheFirstReadWriteSession() {
        let marks = RecentMarks()
        var examine = selected([3, 5])
        examine.readOnly = true
        #expect(text([examine.updateRecent(marks)]) == ["* 2 RECENT"], "nothing known: all recent")
        var first = selected([3, 5])
        #expect(text([first.updateRecent(marks)]) == ["* 2 RECENT"], "EXAMINE took nothing")
        #expect(first.flagsWithRecent(message(5, ["\\Seen"])) == ["\\Seen", "\\Recent"])
        var second = selected([3, 5])
        #expect(text([second.updateRecent(marks)]) == ["* 0 RECENT"])
        #expect(second.flagsWithRecent(message(5)) == [])
        #expect(marks.firstUnclaimedUID(box) == 6)
        // A new message: the session that is told first takes it.
        _ = second.synchronize(with: [message(3), message(5), message(8)], expungeAllowed: true)
        #expect(text([second.updateRecent(marks)]) == ["* 1 RECENT"])
        _ = first.synchronize(with: [message(3), message(5), message(8)], expungeAllowed: true)
        #expect(text([first.updateRecent(marks)]) == ["* 2 RECENT"], "3 and 5 still, not 8")
        #expect(!first.recent.contains(8) && second.recent == [8])
        // Expunged messages stop counting; FETCH FLAGS from synchronize shows \Recent.
        let responses = first.synchronize(with: [message(5, ["\\Flagged"]), message(8)], expungeAllowed: true)
        #expect(text(responses) == ["* 1 EXPUNGE", "* 1 FETCH (FLAGS (\\Flagged \\Recent))"])
        #expect(first.recent == [5])
    }
}

extension String {
    func trimmingSuffix() -> String {
        var s = self
        while s.hasSuffix("\r\n") { s.removeLast() }
        return s
    }
}

/// RFC 3501 §5.1.3 mailbox names for IMAP4rev1 clients.
@Suite struct ModifiedUTF7Tests {
    @Test func roundTrips() {
        let cases = [
            ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
            ("Entwürfe", "Entw&APw-rfe"),
            ("A&B", "A&-B"),
            ("INBOX", "INBOX"),
            ("😀", "&2D3eAA-"),
        ]
        for (utf8, utf7) in cases {
            #expect(ModifiedUTF7.encode(utf8) == utf7)
            #expect(ModifiedUTF7.decode(utf7) == utf8)
        }
    }

    @Test func invalidFormsAreRefused() {
        for bad in ["&", "&Jjo", "&AGE-", "&U,BTF-", "a&\u{7}-b", "&!!-"] {
            #expect(ModifiedUTF7.decode(bad) == nil, "\(bad.debugDescription)")
        }
    }
}
